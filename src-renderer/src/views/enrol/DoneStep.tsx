// The end of the path: done (the receipt issued, what the client leaves with), or refused/withdrawn
// (the reason the ledger keeps).
import type { ApplicationView } from '../../../../src-shared/api/enrolment';
import { shownTime } from '../../time';
import { StepHeading } from './shared';

export function DoneStep({ app, onNew }: { app: ApplicationView; onNew: () => void }): React.JSX.Element {
  return (
    <div className="enrol-body">
      <StepHeading>Done</StepHeading>
      <p className="good" data-testid="enrol-done">
        {app.name ?? 'The client'} is enrolled as client {app.client}. Hand receipt{app.receipts.length > 1 ? 's' : ''} {app.receipts.join(', ')} issued.
      </p>
      <ul>
        <li>
          The client leaves with the sealed envelope of initial keys{app.keysHandedOver ? ` (written ${shownTime(app.keysHandedOver.time)})` : ''} and, apart from it, the medium with the PSRD.
        </li>
        <li>Both of you sign the printed receipt; file it. An auditor can check it later against the ledger.</li>
      </ul>
      <div className="row">
        <button type="button" onClick={onNew}>
          Start another application
        </button>
      </div>
    </div>
  );
}

export function RefusedStep({ app, onBack }: { app: ApplicationView; onBack: () => void }): React.JSX.Element {
  return (
    <div className="enrol-body">
      <StepHeading>Application closed</StepHeading>
      <p data-testid="enrol-refused">
        This application was refused or withdrawn{app.refusedReason ? `: ${app.refusedReason}` : ''}. Nothing more happens with it; the reason stays in the ledger.
      </p>
      <div className="row">
        <button type="button" onClick={onBack}>
          Back to the applications
        </button>
      </div>
    </div>
  );
}
