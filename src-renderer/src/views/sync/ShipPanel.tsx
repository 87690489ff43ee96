// A bulk shipment of the pool to the Security Server (§10.1), prepared by one operator and approved by a
// second, inline: how much (all not yet shipped when left empty), where to (a file on a mounted volume,
// a USB stick checked as a delivery's, an HSM token), then the shipment's progress from the station's
// job, with Cancel. The same file again resumes a shipment cut short. Its segments are allocatable only
// once the server's acknowledgement is imported.
import { useState } from 'react';
import { formatBytes, parseSize } from '../../../../src-shared/psrd/size';
import type { ShipmentResult } from '../../../../src-shared/api/sync';
import type { StationError } from '../../../../src-shared/api/result';
import { station } from '../../station-client';
import { useRunningJob } from '../../use-running-job';
import { APPROVAL_MISSING, useApproval } from '../ApprovalFields';
import { ErrorNote } from '../ErrorNote';
import { fullPathProblem } from './full-path';

export function ShipPanel({ unshippedBytes, onDone }: { unshippedBytes: number; onDone: () => void }): React.JSX.Element {
  const [amount, setAmount] = useState('');
  const [target, setTarget] = useState('');
  const [pin, setPin] = useState('');
  const [error, setError] = useState<StationError>();
  const [shipped, setShipped] = useState<ShipmentResult>();
  const [starting, setStarting] = useState(false);
  const approval = useApproval('approves the shipment', 'ship');
  const running = useRunningJob('shipment');
  const isToken = target.startsWith('hsm:');

  async function ship(): Promise<void> {
    const bytes = amount.trim() ? parseSize(amount.trim()) : undefined;
    if (bytes === null) return setError({ code: 'bad-request', message: `"${amount}" is not a size. Write for example 4GiB, or leave it empty to ship all that waits.` });
    const where = target.trim();
    if (!where) return setError({ code: 'bad-request', message: 'Name where the shipment goes: a full file path, usb:/dev/sdX or hsm:LABEL.' });
    const medium = where.startsWith('usb:') || where.startsWith('hsm:');
    const bad = medium ? undefined : fullPathProblem('shipment file', where);
    if (bad) return setError(bad);
    const approver = approval.take();
    if (!approver) return setError(APPROVAL_MISSING);
    setError(undefined);
    setShipped(undefined);
    setStarting(true);
    const r = await station().sync.ship({
      ...(medium ? { to: where } : { out: where }),
      ...(isToken ? { token: { pin } } : {}),
      ...(bytes !== undefined ? { bytes } : {}),
      approval: approver,
    });
    setStarting(false);
    setPin('');
    approval.clear();
    if (r.ok) setShipped(r.value);
    else setError(r.error);
    onDone();
  }

  async function cancel(): Promise<void> {
    if (!running) return;
    const r = await station().jobs.cancel({ id: running.id });
    if (!r.ok) setError(r.error);
  }

  return (
    <section aria-labelledby="ship-heading">
      <h3 id="ship-heading">Ship the pool</h3>
      <p className="fine">{formatBytes(unshippedBytes)} of the pool is not shipped yet or not acknowledged; only what the server acknowledges may be allocated.</p>
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void ship();
        }}
      >
        <label>
          Amount (empty: all not yet shipped) <input value={amount} onChange={(e) => setAmount(e.target.value)} placeholder="all" />
        </label>
        <label>
          To (a full file path, usb:/dev/sdX or hsm:LABEL) <input value={target} onChange={(e) => setTarget(e.target.value)} placeholder="/media/transfer/shipment.dske" />
        </label>
        {isToken && (
          <label>
            Token PIN <input type="password" autoComplete="off" value={pin} onChange={(e) => setPin(e.target.value)} />
          </label>
        )}
        {approval.fields}
        <button type="submit" disabled={starting || running !== undefined}>{running || starting ? 'Shipping…' : 'Ship'}</button>
      </form>
      {running && (
        <div className="job-progress" data-testid="ship-job">
          <p>
            {running.title}, started by {running.startedBy}: {formatBytes(running.done)} of {formatBytes(running.total)}
          </p>
          <progress max={Math.max(running.total, 1)} value={running.done} aria-label="Shipment progress" />
          <button type="button" className="secondary" onClick={() => void cancel()}>
            Cancel
          </button>
        </div>
      )}
      {shipped && (
        <p className="good" data-testid="ship-done" role="status">
          Shipment {shipped.shipment}: {shipped.segments} segment(s), {formatBytes(shipped.bytes)}, written to {shipped.path}
          {shipped.resumed ? ' (resumed)' : ''}. Carry it to the Security Server (dske-server import-shipment) and import its acknowledgement below.
        </p>
      )}
      <ErrorNote error={error} />
    </section>
  );
}
