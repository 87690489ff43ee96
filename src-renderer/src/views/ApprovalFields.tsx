// A second person's approval, inline where a two-person call is made (docs/DESIGN.md, two-person
// control): their name and passphrase, checked by the station with the call. The passphrase is cleared
// after every attempt, so it is never kept in the window longer than one call.
import { useState } from 'react';
import type { Approval } from '../../../src-shared/api/contract';

export interface ApprovalInput {
  readonly fields: React.JSX.Element;
  /** The approval to send, or undefined (with `missing` set) when a field is empty. */
  take(): Approval | undefined;
  /** Empties the passphrase (after the call, whatever its outcome). */
  clear(): void;
}

export function useApproval(purpose: string, idPrefix: string): ApprovalInput {
  const [operator, setOperator] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const fields = (
    <fieldset className="approval">
      <legend>Second person ({purpose})</legend>
      <label>
        Approver <input id={`${idPrefix}-approver`} autoComplete="off" value={operator} onChange={(e) => setOperator(e.target.value)} />
      </label>
      <label>
        Approver passphrase <input id={`${idPrefix}-approver-passphrase`} type="password" autoComplete="off" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} />
      </label>
    </fieldset>
  );
  return {
    fields,
    take: () => (operator.trim() && passphrase ? { operator: operator.trim(), passphrase } : undefined),
    clear: () => setPassphrase(''),
  };
}

/** What the window says when the approval fields are empty: the station would refuse the call. */
export const APPROVAL_MISSING = { code: 'approval-required', message: 'A second person approves this: enter their name and passphrase first.' } as const;
