// The initial keys: written to their own medium (a file for the sealed envelope), apart from the PSRD —
// two independent factors (spec §11.1). The desk prints the envelope and seals it before going on.
import { useState } from 'react';
import type { ApplicationView } from '../../../../src-shared/api/enrolment';
import type { StationError } from '../../../../src-shared/api/result';
import { station } from '../../station-client';
import { DeskError, StepHeading, localError } from './shared';

export function KeysStep({ app, onDone }: { app: ApplicationView; onDone: (next: ApplicationView) => void }): React.JSX.Element {
  const [path, setPath] = useState('');
  const [error, setError] = useState<StationError>();
  const [busy, setBusy] = useState(false);

  async function handOver(): Promise<void> {
    const to = path.trim();
    if (!to.startsWith('/')) return setError(localError('Type the full path of the file for the envelope’s medium, starting with / (for example /media/envelope/keys.ikf).'));
    setBusy(true);
    setError(undefined);
    const r = await station().enrolment.handOverKeys({ application: app.application, to: `file:${to}` });
    setBusy(false);
    if (!r.ok) return setError(r.error);
    onDone(r.value);
  }

  return (
    <div className="enrol-body">
      <StepHeading>Initial keys</StepHeading>
      <p>
        Client <strong className="facts">{app.client}</strong> is registered. Write its initial keys to the envelope’s medium, print the envelope and seal it in front of
        the client. The keys travel apart from the PSRD: never on the same stick, token, sheet or folder.
      </p>
      <form
        className="enrol-form"
        onSubmit={(e) => {
          e.preventDefault();
          void handOver();
        }}
      >
        <label>
          File for the initial keys (on the envelope’s medium)
          <input name="keys-path" autoComplete="off" spellCheck={false} placeholder="/media/envelope/keys.ikf" value={path} onChange={(e) => setPath(e.target.value)} />
        </label>
        <DeskError error={error} />
        <div className="row">
          <button type="submit" disabled={busy}>
            {busy ? 'Writing…' : 'Write the initial keys'}
          </button>
        </div>
      </form>
    </div>
  );
}
