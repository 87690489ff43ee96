// Withdrawing an application (before the client is registered): the reason is kept for good in the
// ledger, so it names neither the person nor their document.
import { useState } from 'react';
import type { ApplicationView } from '../../../../src-shared/api/enrolment';
import type { StationError } from '../../../../src-shared/api/result';
import { station } from '../../station-client';
import { DeskError, localError } from './shared';

export function Withdraw({ app, onDone }: { app: ApplicationView; onDone: (next: ApplicationView) => void }): React.JSX.Element {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<StationError>();
  const [busy, setBusy] = useState(false);

  async function withdraw(): Promise<void> {
    if (!reason.trim()) return setError(localError('Give the reason for withdrawing (without the person’s name or document number: the ledger keeps it for good).'));
    setBusy(true);
    const r = await station().enrolment.withdraw({ application: app.application, reason: reason.trim() });
    setBusy(false);
    if (!r.ok) return setError(r.error);
    onDone(r.value);
  }

  return (
    <details className="enrol-withdraw">
      <summary>Withdraw this application</summary>
      <form
        className="enrol-form"
        onSubmit={(e) => {
          e.preventDefault();
          void withdraw();
        }}
      >
        <label>
          Reason for withdrawing (kept in the ledger: no name, no document number)
          <input name="withdraw-reason" autoComplete="off" value={reason} onChange={(e) => setReason(e.target.value)} />
        </label>
        <DeskError error={error} testId="enrol-withdraw-error" />
        <div className="row">
          <button type="submit" className="enrol-danger" disabled={busy}>
            Withdraw the application
          </button>
        </div>
      </form>
    </details>
  );
}
