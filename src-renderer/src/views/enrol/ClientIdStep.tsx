// The client ID: the accepted applicant registered as a client of the hub — an ID never reused, and 64
// bytes of initial keys drawn from the pool into the station's keystore (they leave it at the next step).
import { useState } from 'react';
import type { ApplicationView } from '../../../../src-shared/api/enrolment';
import type { StationError } from '../../../../src-shared/api/result';
import { station } from '../../station-client';
import { shownTime } from '../../time';
import { DeskError, StepHeading } from './shared';
import { Withdraw } from './Withdraw';

export function ClientIdStep({ app, onDone }: { app: ApplicationView; onDone: (next: ApplicationView) => void }): React.JSX.Element {
  const [error, setError] = useState<StationError>();
  const [busy, setBusy] = useState(false);

  async function register(): Promise<void> {
    setBusy(true);
    setError(undefined);
    const r = await station().enrolment.register({ application: app.application });
    setBusy(false);
    if (!r.ok) return setError(r.error);
    onDone(r.value);
  }

  return (
    <div className="enrol-body">
      <StepHeading>Client ID</StepHeading>
      {app.identity && (
        <p data-testid="enrol-identity-summary">
          Identity accepted by {app.identity.checkedBy} on {shownTime(app.identity.time)}: {app.identity.document}, number ending {app.identity.last4}.
        </p>
      )}
      <p>Registering gives the applicant a client ID of this hub (never reused) and draws their initial keys from the pool into the station’s keystore.</p>
      <DeskError error={error} />
      <div className="row">
        <button type="button" disabled={busy} onClick={() => void register()}>
          {busy ? 'Registering…' : 'Register the client'}
        </button>
      </div>
      <Withdraw app={app} onDone={onDone} />
    </div>
  );
}
