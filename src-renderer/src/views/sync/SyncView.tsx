// The hub operator's view of the link to the Security Server (issue S8; the window's full dashboard is
// issue S9): the registration, how much of the pool the server holds too (only that may be allocated),
// each shipment and its state, "in sync up to #N", what waits, and the server's last refusal with its
// reason. Read-only: registering, shipping and syncing stay two-operator CLI steps for now.
import { useEffect } from 'react';
import type { SyncStatus } from '../../../src-shared/api/sync';
import { formatBytes } from '../../../src-shared/psrd/size';
import { station } from '../station-client';
import { useCall } from '../use-call';
import { ErrorNote } from './ErrorNote';
import { shownTime } from '../time';

export function SyncView(): React.JSX.Element {
  const status = useCall(() => station().sync.status({}), []);
  const { refresh } = status;
  useEffect(() => station().on('ledger.appended', () => refresh()), [refresh]);
  const s: SyncStatus | undefined = status.value;
  return (
    <section className="panel">
      <h2>Security Server</h2>
      <ErrorNote error={status.error} />
      {s && (
        <>
          <p data-testid="sync-registration">
            {s.registration ? `Registered with the Security Server of hub ${s.registration.hub} since ${shownTime(s.registration.createdAt)}.` : 'Not registered with a Security Server yet (dske-station sync register, two operators).'}
          </p>
          <dl className="figures">
            <div>
              <dt>Pool the server holds too (allocatable)</dt>
              <dd data-testid="sync-shipped" data-bytes={s.shippedBytes}>{formatBytes(s.shippedBytes)}</dd>
            </div>
            <div>
              <dt>Pool not shipped or not acknowledged</dt>
              <dd data-testid="sync-unshipped" data-bytes={s.unshippedBytes}>{formatBytes(s.unshippedBytes)}</dd>
            </div>
            <div>
              <dt>Range reports</dt>
              <dd data-testid="sync-position">
                {`In sync up to #${s.acknowledgedUpTo}`}
                {s.reportsWaiting > 0 ? `; ${s.reportsWaiting} waiting (${formatBytes(s.bytesWaiting)})` : '; nothing waits'}
              </dd>
            </div>
          </dl>
          {s.lastRefusal && (
            <p role="alert" className="error" data-testid="sync-refusal">
              The Security Server refused report #{s.lastRefusal.seq} ({s.lastRefusal.code}): {s.lastRefusal.reason}
            </p>
          )}
          {s.lastRejected && (
            <p role="alert" className="error">This station refused the server&apos;s last {s.lastRejected.kind} acknowledgement: {s.lastRejected.reason}</p>
          )}
          {s.shipments.length > 0 && <table className="ledger" data-testid="sync-shipments">
            <thead>
              <tr>
                <th>Shipment</th>
                <th>Segments</th>
                <th>Size</th>
                <th>State</th>
                <th>Since</th>
              </tr>
            </thead>
            <tbody>
              {s.shipments.map((sh) => (
                <tr key={sh.shipment}>
                  <td>{sh.shipment}</td>
                  <td>{sh.segments}</td>
                  <td>{formatBytes(sh.bytes)}</td>
                  <td>{sh.state}</td>
                  <td>{shownTime(sh.time)}</td>
                </tr>
              ))}
            </tbody>
          </table>}
          {s.shipments.length === 0 && <p className="fine">No shipment yet (dske-station sync ship, two operators).</p>}
        </>
      )}
    </section>
  );
}
