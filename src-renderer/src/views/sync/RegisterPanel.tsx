// Registering the station with its Security Server (§10.1), by two operators: the registration file (the
// keys shared with the server) written where the operator names; the code both sides confirm is then
// shown with the registration (SyncView).
import { useState } from 'react';
import type { StationError } from '../../../../src-shared/api/result';
import { station } from '../../station-client';
import { APPROVAL_MISSING, useApproval } from '../ApprovalFields';
import { ErrorNote } from '../ErrorNote';
import { fullPathProblem } from './full-path';

export function RegisterPanel({ onDone }: { onDone: () => void }): React.JSX.Element {
  const [out, setOut] = useState('');
  const [error, setError] = useState<StationError>();
  const approval = useApproval('approves the registration', 'register');

  async function register(): Promise<void> {
    const bad = fullPathProblem('registration file', out.trim());
    if (bad) return setError(bad);
    const approver = approval.take();
    if (!approver) return setError(APPROVAL_MISSING);
    setError(undefined);
    const r = await station().sync.register({ out: out.trim(), approval: approver });
    approval.clear();
    if (!r.ok) setError(r.error);
    onDone();
  }

  return (
    <section aria-labelledby="register-heading">
      <h3 id="register-heading">Register with the Security Server</h3>
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            void register();
          }}
        >
          <label>
            Registration file (a full path, on the medium that goes to the server) <input value={out} onChange={(e) => setOut(e.target.value)} placeholder="/media/transfer/registration.dske" />
          </label>
          {approval.fields}
          <button type="submit">Register</button>
        </form>
      <ErrorNote error={error} />
    </section>
  );
}
