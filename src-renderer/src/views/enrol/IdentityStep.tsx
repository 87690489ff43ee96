// The identity check: the document in front of the desk, its own checklist (every check confirmed by
// looking, or the application refused with a reason), and its number — of which the station keeps only
// the last characters and an HMAC. The number is read from its field when sent and then cleared: it is
// never held in this window's state.
import { useRef, useState } from 'react';
import type { ApplicationView } from '../../../../src-shared/api/enrolment';
import type { StationError } from '../../../../src-shared/api/result';
import { DOCUMENTS, DOCUMENT_NUMBER, IDENTITY_CHECKS, missingChecks, type DocumentType } from '../../../../src-shared/enrolment/identity-documents';
import { station } from '../../station-client';
import { DeskError, StepHeading, localError } from './shared';
import { Withdraw } from './Withdraw';

const DOCUMENT_NAMES: Readonly<Record<DocumentType, string>> = {
  passport: 'Passport',
  'id-card': 'Identity card',
  'driving-licence': 'Driving licence',
  'residence-permit': 'Residence permit',
};

export function IdentityStep({ app, onDone }: { app: ApplicationView; onDone: (next: ApplicationView) => void }): React.JSX.Element {
  const [document, setDocument] = useState<DocumentType>('passport');
  const [checks, setChecks] = useState<readonly string[]>([]);
  const [refusing, setRefusing] = useState(false);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<StationError>();
  const [busy, setBusy] = useState(false);
  const number = useRef<HTMLInputElement>(null);
  const list = IDENTITY_CHECKS[document];

  async function record(outcome: 'accepted' | 'refused'): Promise<void> {
    const typed = number.current?.value.trim() ?? '';
    if (!DOCUMENT_NUMBER.test(typed)) return setError(localError('Type the document number as printed: 4 to 40 letters, digits or dashes.'));
    if (outcome === 'accepted') {
      const missing = missingChecks(document, checks);
      if (missing.length) {
        return setError(localError(`Not confirmed yet: ${missing.map((m) => list[m]).join(' ')} Tick a check only when you have seen it on the document; if one fails, refuse the application.`));
      }
    } else if (!reason.trim()) return setError(localError('A refusal keeps its reason: say why (without the person’s name or document number).'));
    setBusy(true);
    setError(undefined);
    const r = await station().enrolment.checkIdentity({
      application: app.application,
      document,
      number: typed,
      checks: [...checks],
      outcome,
      ...(outcome === 'refused' ? { reason: reason.trim() } : {}),
    });
    setBusy(false);
    if (!r.ok) return setError(r.error);
    if (number.current) number.current.value = '';
    onDone(r.value);
  }

  return (
    <div className="enrol-body">
      <StepHeading>Identity check</StepHeading>
      <p>Check the document in front of you, with the person present. Tick each check only when you have seen it yourself.</p>
      <form
        className="enrol-form"
        onSubmit={(e) => {
          e.preventDefault();
          void record(refusing ? 'refused' : 'accepted');
        }}
      >
        <fieldset>
          <legend>Document shown</legend>
          <div className="enrol-choices">
            {DOCUMENTS.map((d) => (
              <label key={d} className="enrol-choice">
                <input
                  type="radio"
                  name="document"
                  value={d}
                  checked={document === d}
                  onChange={() => {
                    setDocument(d);
                    setChecks([]);
                  }}
                />
                {DOCUMENT_NAMES[d]}
              </label>
            ))}
          </div>
        </fieldset>
        <fieldset>
          <legend>Checklist for a {DOCUMENT_NAMES[document].toLowerCase()}</legend>
          <ul className="enrol-checklist">
            {Object.entries(list).map(([id, text]) => (
              <li key={id}>
                <label>
                  <input type="checkbox" name={`check-${id}`} checked={checks.includes(id)} onChange={(e) => setChecks((c) => (e.target.checked ? [...c, id] : c.filter((x) => x !== id)))} />
                  {text}
                </label>
              </li>
            ))}
          </ul>
        </fieldset>
        <label>
          Document number (only its last 4 characters and a keyed fingerprint are kept)
          <input ref={number} name="document-number" type="password" autoComplete="off" spellCheck={false} />
        </label>
        <fieldset>
          <legend>Outcome</legend>
          <div className="enrol-choices">
            <label className="enrol-choice">
              <input type="radio" name="outcome" checked={!refusing} onChange={() => setRefusing(false)} />
              Every check holds: accept
            </label>
            <label className="enrol-choice">
              <input type="radio" name="outcome" checked={refusing} onChange={() => setRefusing(true)} />
              A check fails: refuse
            </label>
          </div>
        </fieldset>
        {refusing && (
          <label>
            Reason for refusing (kept in the ledger: no name, no document number)
            <input name="refuse-reason" autoComplete="off" value={reason} onChange={(e) => setReason(e.target.value)} />
          </label>
        )}
        <DeskError error={error} />
        <div className="row">
          <button type="submit" disabled={busy} className={refusing ? 'enrol-danger' : undefined}>
            {refusing ? 'Refuse the application' : 'Accept the identity'}
          </button>
        </div>
      </form>
      <Withdraw app={app} onDone={onDone} />
    </div>
  );
}
