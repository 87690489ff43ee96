// The wizard's first page: a new application (the person's name as given, the medium they asked for),
// and the open applications, each resumable at the step the station recorded.
import { useState } from 'react';
import { MEDIA, type ApplicationView } from '../../../../src-shared/api/enrolment';
import type { StationError } from '../../../../src-shared/api/result';
import { station } from '../../station-client';
import { shownTime } from '../../time';
import { useCall } from '../../use-call';
import { DeskError, MEDIUM_NAMES, STEPS, StepHeading, localError, stepOf } from './shared';

export function ApplicationsStep({ onOpen }: { onOpen: (application: string) => void }): React.JSX.Element {
  const open = useCall(() => station().enrolment.list({ open: 'yes' }), []);
  const [name, setName] = useState('');
  const [medium, setMedium] = useState<ApplicationView['medium']>('usb');
  const [error, setError] = useState<StationError>();
  const [busy, setBusy] = useState(false);

  async function apply(): Promise<void> {
    const given = name.trim();
    if (!given) {
      setError(localError('Type the applicant’s name as it is written on their identity document.'));
      return;
    }
    setBusy(true);
    setError(undefined);
    const r = await station().enrolment.apply({ name: given, medium });
    setBusy(false);
    if (!r.ok) return setError(r.error);
    onOpen(r.value.application);
  }

  const list = [...(open.value ?? [])].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return (
    <div className="enrol-body">
      <StepHeading>New application</StepHeading>
      <form
        className="enrol-form"
        onSubmit={(e) => {
          e.preventDefault();
          void apply();
        }}
      >
        <label>
          Applicant’s name, as on their identity document
          <input name="applicant" autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <fieldset>
          <legend>Medium the applicant asked for</legend>
          <div className="enrol-choices">
            {MEDIA.map((m) => (
              <label key={m} className="enrol-choice">
                <input type="radio" name="medium" value={m} checked={medium === m} onChange={() => setMedium(m)} />
                {MEDIUM_NAMES[m]}
              </label>
            ))}
          </div>
        </fieldset>
        <DeskError error={error} />
        <div className="row">
          <button type="submit" disabled={busy}>
            {busy ? 'Opening…' : 'Open the application'}
          </button>
        </div>
      </form>

      <h3 className="enrol-subheading">Open applications</h3>
      <DeskError error={open.error} />
      {open.value && list.length === 0 && <p className="fine enrol-fine">No application is open.</p>}
      {list.length > 0 && (
        <div className="enrol-table-wrap">
          <table className="ledger enrol-open" data-testid="enrol-open-list">
            <caption className="visually-hidden">Open applications, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Applicant</th>
                <th scope="col">Step reached</th>
                <th scope="col">Opened</th>
                <th scope="col">
                  <span className="visually-hidden">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((a) => (
                <tr key={a.application} data-application={a.application}>
                  <td>
                    {a.name ?? '(name erased on request)'}
                    <div className="facts">{a.application}{a.client ? ` · ${a.client}` : ''}</div>
                  </td>
                  <td>
                    {STEPS.find((s) => s.id === stepOf(a))?.label ?? a.step}
                    <div className="enrol-next">Next: {a.next}</div>
                  </td>
                  <td>{shownTime(a.createdAt)}</td>
                  <td>
                    <button type="button" className="enrol-secondary" aria-label={`Resume the application of ${a.name ?? a.application}`} onClick={() => onOpen(a.application)}>
                      Resume
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
