// The hand receipt: what was delivered (from the station's record), a printed QR sheet's file destroyed
// once printed, optionally the client's "I'm here" code, then the receipt as a PDF for both to sign.
import { useRef, useState } from 'react';
import type { ApplicationView } from '../../../../src-shared/api/enrolment';
import type { StationError } from '../../../../src-shared/api/result';
import { station } from '../../station-client';
import { shownTime } from '../../time';
import { useCall } from '../../use-call';
import { DeskError, StepHeading, lastPackage, localError, sizeText } from './shared';

function SheetFile({ pkg, path }: { pkg: string; path: string }): React.JSX.Element {
  const [error, setError] = useState<StationError>();
  const [done, setDone] = useState<string>();
  async function destroy(): Promise<void> {
    setError(undefined);
    const r = await station().delivery.destroySheet({ package: pkg });
    if (!r.ok) return setError(r.error);
    setDone(r.value.found ? `${r.value.path} was overwritten and removed, and that is recorded.` : `${r.value.path} was already gone; that is recorded.`);
  }
  return (
    <div className="enrol-note" data-testid="enrol-sheet">
      <p>
        The sheet’s PDF, <span className="facts">{path}</span>, is a third copy of the PSRD. Print it now; then destroy the file.
      </p>
      {done ? (
        <p className="good" role="status">
          {done}
        </p>
      ) : (
        <button type="button" className="enrol-danger" onClick={() => void destroy()}>
          Destroy the sheet file
        </button>
      )}
      <DeskError error={error} testId="enrol-sheet-error" />
    </div>
  );
}

export function ReceiptStep({ app, onDone }: { app: ApplicationView; onDone: (next?: ApplicationView) => void }): React.JSX.Element {
  const client = app.client!;
  const record = useCall(() => station().clients.show({ client }), [client]);
  const pkgId = lastPackage(app);
  const pkg = record.value?.packageList.find((p) => p.package === pkgId);
  const [path, setPath] = useState('');
  const [error, setError] = useState<StationError>();
  const [codeError, setCodeError] = useState<StationError>();
  const [busy, setBusy] = useState(false);
  const code = useRef<HTMLInputElement>(null);

  async function confirmPresence(): Promise<void> {
    const typed = code.current?.value.trim() ?? '';
    if (!/^[0-9]{8}$/.test(typed)) return setCodeError(localError('The code is 8 digits, as the client’s program shows it.'));
    setCodeError(undefined);
    const r = await station().enrolment.confirmPresence({ application: app.application, code: typed });
    if (!r.ok) return setCodeError(r.error);
    if (code.current) code.current.value = '';
    onDone(r.value);
  }

  async function print(): Promise<void> {
    const to = path.trim();
    if (!pkgId) return setError(localError('No package was delivered to this client yet.'));
    if (!to.startsWith('/') || !/\.pdf$/i.test(to)) return setError(localError('Type the full path of the receipt’s PDF, starting with / and ending in .pdf.'));
    setBusy(true);
    setError(undefined);
    const r = await station().enrolment.receipt({ application: app.application, package: pkgId, to: `file:${to}` });
    setBusy(false);
    if (!r.ok) return setError(r.error);
    onDone();
  }

  return (
    <div className="enrol-body">
      <StepHeading>Hand receipt</StepHeading>
      {pkg && (
        <p data-testid="enrol-receipt-package">
          Delivered to {client}: package <span className="facts">{pkg.package}</span>, {sizeText(pkg.bytes)} of PSRD on{' '}
          <span className="facts">
            {pkg.medium.kind}:{pkg.medium.target}
          </span>
          {pkg.medium.serial ? ` (serial ${pkg.medium.serial})` : ''}, {pkg.state} on {shownTime(pkg.time)}.
        </p>
      )}
      {pkg?.medium.kind === 'qr' && pkgId && <SheetFile pkg={pkgId} path={pkg.medium.target} />}

      {app.presentAt ? (
        <p className="good" data-testid="enrol-present">
          The client’s “I’m here” code matched on {shownTime(app.presentAt)}.
        </p>
      ) : (
        <form
          className="enrol-form"
          onSubmit={(e) => {
            e.preventDefault();
            void confirmPresence();
          }}
        >
          <label>
            The client’s “I’m here” code (optional: 8 digits, read out once they imported the keys)
            <input ref={code} name="presence-code" inputMode="numeric" autoComplete="off" />
          </label>
          <DeskError error={codeError} testId="enrol-code-error" />
          <div className="row">
            <button type="submit" className="enrol-secondary">
              Check the code
            </button>
          </div>
        </form>
      )}

      <form
        className="enrol-form"
        onSubmit={(e) => {
          e.preventDefault();
          void print();
        }}
      >
        <label>
          PDF of the hand receipt (to print; both sign it)
          <input name="receipt-path" autoComplete="off" spellCheck={false} placeholder="/home/desk/receipts/receipt.pdf" value={path} onChange={(e) => setPath(e.target.value)} />
        </label>
        <DeskError error={error} />
        <div className="row">
          <button type="submit" disabled={busy}>
            {busy ? 'Writing…' : 'Write the hand receipt'}
          </button>
        </div>
      </form>
    </div>
  );
}
