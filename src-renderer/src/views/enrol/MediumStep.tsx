// Choosing the medium for the PSRD: how much, and where — a USB stick from the live list of drives with
// what the drive-safety policy says of each (a drive with an error cannot be chosen; none is ever
// pre-selected), an HSM token (from the list of tokens present, or its label typed; the PIN is read from
// its field when sent, then cleared),
// a printed QR sheet (a PDF) or a file. Above the two-person threshold the station asks for a second
// person, whose name and passphrase are typed here.
import { useCallback, useRef, useState } from 'react';
import { MEDIA, type ApplicationView } from '../../../../src-shared/api/enrolment';
import type { DriveView } from '../../../../src-shared/api/delivery';
import type { JobView } from '../../../../src-shared/api/jobs';
import type { StationError } from '../../../../src-shared/api/result';
import { parseSize } from '../../../../src-shared/psrd/size';
import { station } from '../../station-client';
import { shownTime } from '../../time';
import { useCall } from '../../use-call';
import type { DeliverArgs } from './EnrolWizard';
import { DeskError, MEDIUM_NAMES, StepHeading, localError, sizeText } from './shared';
import { TokenList } from './TokenList';
import { usePolled } from '../../use-polled';

export interface MediumChoice {
  readonly kind?: ApplicationView['medium'];
  readonly size: string;
  /** The stick chosen by the desk (a device path), never set by the station. */
  readonly device?: string;
  readonly label: string;
  readonly path: string;
  readonly approver: string;
}

export const NO_CHOICE: MediumChoice = { size: '', label: '', path: '', approver: '' };

/** How often the drive list is asked again while it shows (sticks come and go). */
const DRIVES_EVERY_MS = 4000;

/** The package is the PSRD, a header and a tag per MiB chunk: a generous estimate for the drive check. */
const packageEstimate = (bytes: number): number => bytes + Math.ceil(bytes / 2 ** 20) * 16 + 64 * 1024;

const APPROVAL_CODES = new Set(['approval-required', 'approval-refused', 'same-person']);

function DriveList({ bytes, choice, onChoose }: { bytes: number | null; choice: string | undefined; onChoose: (device: string | undefined) => void }): React.JSX.Element {
  const [drives, setDrives] = useState<DriveView[]>();
  const [error, setError] = useState<StationError>();
  const [asked, setAsked] = useState<string>();
  const chosen = useRef(choice);
  chosen.current = choice;
  const load = useCallback(async () => {
    const r = await station().delivery.drives(bytes ? { packageBytes: packageEstimate(bytes) } : {});
    if (r.ok) {
      setDrives(r.value);
      setError(undefined);
      setAsked(new Date().toISOString());
      // A stick that left, or that may no longer be chosen, is chosen no more.
      const c = chosen.current;
      if (c && !r.value.some((d) => d.device === c && d.deliverable)) onChoose(undefined);
    } else setError(r.error);
  }, [bytes, onChoose]);
  usePolled(load, DRIVES_EVERY_MS);

  return (
    <fieldset className="enrol-drives">
      <legend>USB sticks present</legend>
      <div className="row">
        <button type="button" className="enrol-secondary" onClick={() => void load()}>
          Refresh the list
        </button>
        {asked && <span className="enrol-fine">Asked {shownTime(asked)}; asked again every few seconds.</span>}
      </div>
      <DeskError error={error} testId="enrol-drives-error" />
      {drives && drives.length === 0 && <p>No drive is plugged in. Plug in the client’s stick, then refresh the list.</p>}
      {drives && drives.length > 0 && (
        <ul className="enrol-drive-list" data-testid="enrol-drives">
          {drives.map((d) => {
            const id = `drive-${d.device.replace(/\W/g, '-')}`;
            return (
              <li key={d.device} className={d.deliverable ? '' : 'refused'} data-device={d.device} data-deliverable={d.deliverable}>
                <label>
                  <input type="radio" name="drive" value={d.device} disabled={!d.deliverable} checked={choice === d.device} aria-describedby={`${id}-statuses`} onChange={() => onChoose(d.device)} />
                  <span className="facts">{d.device}</span> {d.description || 'drive'}
                  {d.size !== null ? ` · ${sizeText(d.size)}` : ''}
                  {d.mountpoint ? ` · mounted at ${d.mountpoint}` : ' · not mounted'}
                  {d.serial ? ` · serial ${d.serial}` : ''}
                </label>
                <ul id={`${id}-statuses`} className="enrol-statuses">
                  {d.statuses.length === 0 && <li className="good">Nothing speaks against this drive.</li>}
                  {d.statuses.map((s) => (
                    <li key={s.code} className={s.severity === 'error' ? 'error' : 'warn'} data-code={s.code}>
                      {s.severity === 'error' ? 'Cannot be used: ' : 'Warning: '}
                      {s.message}
                    </li>
                  ))}
                </ul>
              </li>
            );
          })}
        </ul>
      )}
    </fieldset>
  );
}

export function MediumStep(props: {
  app: ApplicationView;
  choice: MediumChoice;
  onChoice: (c: MediumChoice | ((c: MediumChoice) => MediumChoice)) => void;
  error: StationError | undefined;
  lastAttempt: JobView | undefined;
  delivering: boolean;
  onDeliver: (args: DeliverArgs) => Promise<boolean>;
}): React.JSX.Element {
  const { app, choice, onChoice, error, lastAttempt, delivering, onDeliver } = props;
  const kind = choice.kind ?? app.medium;
  const bytes = parseSize(choice.size);
  const [local, setLocal] = useState<StationError>();
  const pin = useRef<HTMLInputElement>(null);
  const passphrase = useRef<HTMLInputElement>(null);
  const client = app.client!;
  // The client's packages so far: a voided attempt is shown with its reason.
  const record = useCall(() => station().clients.show({ client }), [client, error]);
  const set = (patch: Partial<MediumChoice>): void => onChoice((c) => ({ ...c, ...patch }));
  const chooseDevice = useCallback((device: string | undefined) => onChoice((c) => ({ ...c, device })), [onChoice]);
  const needsApproval = error !== undefined && APPROVAL_CODES.has(error.code);

  async function write(): Promise<void> {
    setLocal(undefined);
    if (bytes === null) return setLocal(localError(`“${choice.size}” is not an amount of PSRD. Write it as for example 64KiB, 16MiB or 1GiB.`));
    let to: string;
    if (kind === 'usb') {
      if (!choice.device) return setLocal(localError('Choose the client’s stick in the list first (a stick marked “Cannot be used” cannot be chosen).'));
      to = `usb:${choice.device}`;
    } else if (kind === 'hsm') {
      if (!choice.label.trim()) return setLocal(localError('Type the label of the client’s token, as printed on it.'));
      if (!pin.current?.value) return setLocal(localError('Type the token’s user PIN.'));
      to = `hsm:${choice.label.trim()}`;
    } else {
      const path = choice.path.trim();
      if (!path.startsWith('/')) return setLocal(localError('Type the full path, starting with /.'));
      if (kind === 'qr' && !/\.pdf$/i.test(path)) return setLocal(localError('A QR sheet is written as a PDF: the path ends in .pdf.'));
      to = `${kind}:${path}`;
    }
    const approval = needsApproval || passphrase.current?.value ? { operator: choice.approver.trim(), passphrase: passphrase.current?.value ?? '' } : undefined;
    if (approval && (!approval.operator || !approval.passphrase)) return setLocal(localError('Type the approving operator’s name and their passphrase.'));
    const token = kind === 'hsm' ? { pin: pin.current!.value } : undefined;
    // Neither the PIN nor the passphrase stays anywhere once sent.
    if (pin.current) pin.current.value = '';
    if (passphrase.current) passphrase.current.value = '';
    await onDeliver({ client, bytes, to, ...(token ? { token } : {}), ...(approval ? { approval } : {}) });
  }

  const earlier = (record.value?.packageList ?? []).filter((p) => p.state === 'voided');
  return (
    <div className="enrol-body">
      <StepHeading>Medium</StepHeading>
      {app.keysHandedOver && (
        <p data-testid="enrol-keys-note">
          Initial keys written to <span className="facts">{app.keysHandedOver.target}</span> on {shownTime(app.keysHandedOver.time)}. Seal the envelope before the PSRD is
          written; it travels apart from it.
        </p>
      )}
      <DeskError error={error} testId="enrol-delivery-error" />
      {error && !needsApproval && (
        <p className="enrol-note" data-testid="enrol-recovery">
          Nothing of this attempt reached the client: any range it had taken from the pool was voided — destroyed here and reported to the Security Server as voided. Choose the medium
          again and write once more.
        </p>
      )}
      {!error && lastAttempt && (
        <p className="enrol-note" data-testid="enrol-last-attempt">
          The last delivery to {client} ({lastAttempt.title}, started by {lastAttempt.startedBy} on {shownTime(lastAttempt.startedAt)}) ended {lastAttempt.state}
          {lastAttempt.error ? `: ${lastAttempt.error.message}` : lastAttempt.state === 'interrupted' ? ' when the station stopped; it was settled at the restart (voided, unless its read-back had matched).' : '.'}
        </p>
      )}
      <form
        className="enrol-form"
        onSubmit={(e) => {
          e.preventDefault();
          void write();
        }}
      >
        <label>
          Amount of PSRD (for example 64KiB, 16MiB, 1GiB)
          <input name="amount" autoComplete="off" spellCheck={false} value={choice.size} onChange={(e) => set({ size: e.target.value })} aria-describedby="enrol-amount-shown" />
        </label>
        <p id="enrol-amount-shown" className="enrol-fine">
          {bytes !== null ? `${sizeText(bytes)} of PSRD.` : choice.size ? 'Not an amount yet.' : ''}
        </p>
        <fieldset>
          <legend>Kind of medium{app.medium ? ` (the applicant asked for: ${MEDIUM_NAMES[app.medium]})` : ''}</legend>
          <div className="enrol-choices">
            {MEDIA.map((m) => (
              <label key={m} className="enrol-choice">
                <input type="radio" name="kind" value={m} checked={kind === m} onChange={() => set({ kind: m, device: undefined })} />
                {MEDIUM_NAMES[m]}
              </label>
            ))}
          </div>
        </fieldset>
        {kind === 'usb' && <DriveList bytes={bytes} choice={choice.device} onChoose={chooseDevice} />}
        {kind === 'hsm' && (
          <>
            <TokenList chosen={choice.label} onChoose={(label) => set({ label })} />
            <label>
              Token label (chosen above, or typed as printed on it)
              <input name="token-label" autoComplete="off" spellCheck={false} value={choice.label} onChange={(e) => set({ label: e.target.value })} />
            </label>
            <label>
              Token user PIN (typed by the client, or by you in front of them; not kept)
              <input ref={pin} name="token-pin" type="password" autoComplete="off" />
            </label>
          </>
        )}
        {(kind === 'qr' || kind === 'file') && (
          <label>
            {kind === 'qr' ? 'PDF of the QR sheet, in memory-backed storage (for example /run/user/1000/sheet.pdf)' : 'File for the package (on the carrier)'}
            <input name="target-path" autoComplete="off" spellCheck={false} value={choice.path} onChange={(e) => set({ path: e.target.value })} />
          </label>
        )}
        {needsApproval && (
          <fieldset className="enrol-approval" data-testid="enrol-approval">
            <legend>Second person’s approval</legend>
            <p className="enrol-fine">A hub operator other than you, and not whoever checked this person’s identity, types their name and passphrase.</p>
            <label>
              Approving operator’s name
              <input name="approver" autoComplete="off" value={choice.approver} onChange={(e) => set({ approver: e.target.value })} />
            </label>
            <label>
              Approving operator’s passphrase
              <input ref={passphrase} name="approver-passphrase" type="password" autoComplete="off" />
            </label>
          </fieldset>
        )}
        <DeskError error={local} testId="enrol-local-error" />
        <div className="row">
          <button type="submit" disabled={delivering}>
            {delivering ? 'Starting…' : needsApproval ? 'Approve and write the PSRD' : 'Write the PSRD'}
          </button>
        </div>
      </form>
      {earlier.length > 0 && (
        <>
          <h4 className="enrol-subheading">Earlier attempts for {client}</h4>
          <ul className="enrol-attempts" data-testid="enrol-voided">
            {earlier.map((p) => (
              <li key={p.package}>
                <span className="facts">{p.package}</span>: {sizeText(p.bytes)} to {p.medium.kind}:{p.medium.target} — voided on {shownTime(p.time)} (destroyed here, reported to the Security Server as
                voided){p.reason ? `: ${p.reason}` : ''}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
