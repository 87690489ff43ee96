// The hub operator's view of the link to the Security Server (issues S8, S9): the registration, how much
// of the pool the server holds too (only that may be allocated), each shipment and its state, "in sync
// up to #N", what waits, and the server's last refusal with its reason; and the work itself —
// registering and shipping with a second person's approval inline, acknowledgements imported, reports
// pushed or exported, the two records reconciled.
import { useEffect } from 'react';
import type { SyncStatus } from '../../../../src-shared/api/sync';
import { formatBytes } from '../../../../src-shared/psrd/size';
import { station } from '../../station-client';
import { useCall } from '../../use-call';
import { ErrorNote } from '../ErrorNote';
import { shownTime } from '../../time';
import { RegisterPanel } from './RegisterPanel';
import { ReportsPanel } from './ReportsPanel';
import { ShipPanel } from './ShipPanel';

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
            {s.registration ? `Registered with the Security Server of hub ${s.registration.hub} since ${shownTime(s.registration.createdAt)}.` : 'Not registered with a Security Server yet: register below, with a second operator.'}
          </p>
          {s.registration && (
            <p data-testid="sync-registered">
              Confirmation code <strong>{s.registration.confirmationCode}</strong>: the server&apos;s operator types it when importing the registration file
              (dske-server register FILE --code {s.registration.confirmationCode}); carry the file on a medium of its own and destroy that copy afterwards.
            </p>
          )}
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
                <tr key={sh.shipment} data-state={sh.state}>
                  <td>{sh.shipment}</td>
                  <td>{sh.segments}</td>
                  <td>{formatBytes(sh.bytes)}</td>
                  <td>{sh.state}</td>
                  <td>{shownTime(sh.time)}</td>
                </tr>
              ))}
            </tbody>
          </table>}
          {s.shipments.length === 0 && <p className="fine">No shipment yet.</p>}
          {s.registration ? (
            <>
              <ShipPanel unshippedBytes={s.unshippedBytes} onDone={refresh} />
              <ReportsPanel onDone={refresh} />
            </>
          ) : (
            <RegisterPanel onDone={refresh} />
          )}
        </>
      )}
    </section>
  );
}
