// The pool as the hub operator watches it: unallocated PSRD against the low-water mark (a meter), what of
// it is only computationally secure, segments past their refresh age, and the newest pool entry in the
// ledger. Kept current as segments are added or taken (every pool entry in the ledger refreshes it).
import { useEffect, useState } from 'react';
import { formatBytes } from '../../../../src-shared/psrd/size';
import type { LedgerEntryView } from '../../../../src-shared/api/audit';
import type { PoolStatus } from '../../../../src-shared/api/pool';
import type { StationError } from '../../../../src-shared/api/result';
import { station } from '../../station-client';
import { shownTime } from '../../time';
import { ErrorNote } from '../ErrorNote';
import { useRunningJob } from '../../use-running-job';

export function PoolLevel({ status, error, onRefreshed }: { status: PoolStatus | undefined; error: StationError | undefined; onRefreshed: () => void }): React.JSX.Element {
  const busy = useRunningJob('pool-generation') !== undefined;
  const [last, setLast] = useState<LedgerEntryView>();
  const [refreshError, setRefreshError] = useState<StationError>();
  useEffect(
    () =>
      station().on('ledger.appended', (e) => {
        if (e.type.startsWith('pool.')) setLast(e);
      }),
    [],
  );

  async function refresh(): Promise<void> {
    setRefreshError(undefined);
    const r = await station().pool.refresh({});
    if (!r.ok) setRefreshError(r.error);
    onRefreshed();
  }

  const s = status;
  // The meter's scale: twice the low-water mark, or the pool, whichever is more (so the mark sits in view).
  const scale = s ? Math.max(2 * s.lowWaterBytes, s.unallocatedBytes, 1) : 1;
  return (
    <section aria-labelledby="pool-heading">
      <h2 id="pool-heading">Unallocated pool</h2>
      <ErrorNote error={error} />
      {s && (
        <>
          <dl className="figures">
            <div>
              <dt>Unallocated</dt>
              <dd data-testid="pool-size" data-bytes={s.unallocatedBytes}>{formatBytes(s.unallocatedBytes)}</dd>
            </div>
            <div>
              <dt>Segments</dt>
              <dd data-testid="pool-segments">{s.segmentCount.toLocaleString('en-US')}</dd>
            </div>
            <div>
              <dt>From DRBG sources only</dt>
              <dd title="PSRD from the OS generator or another DRBG is computationally secure, not information-theoretically">{formatBytes(s.computationalBytes)}</dd>
            </div>
            <div>
              <dt>Low-water mark</dt>
              <dd className={s.belowLowWater ? 'warn' : ''}>{formatBytes(s.lowWaterBytes)}{s.belowLowWater ? ' — below it' : ''}</dd>
            </div>
          </dl>
          <div className="pool-meter">
            <meter
              aria-label={`Pool level: ${formatBytes(s.unallocatedBytes)}, low-water mark ${formatBytes(s.lowWaterBytes)}`}
              min={0}
              max={scale}
              low={s.lowWaterBytes}
              optimum={scale}
              value={s.unallocatedBytes}
              data-testid="pool-meter"
            />
            <span className="pool-meter-mark" style={{ left: `${(100 * s.lowWaterBytes) / scale}%` }} aria-hidden="true" title="low-water mark" />
          </div>
          {s.belowLowWater && <p className="warn" data-testid="pool-low">The pool is below its low-water mark: generate more before the next deliveries.</p>}
        </>
      )}
      {s && s.expiredSegments > 0 && (
        <p className="warn row">
          {s.expiredSegments} segment(s) are past their refresh age.
          <button disabled={busy} onClick={() => void refresh()}>Refresh: destroy them and generate as much again</button>
        </p>
      )}
      <ErrorNote error={refreshError} />
      {last && (
        <p className="ledger-note" data-testid="pool-last-ledger">
          Ledger #{last.seq}: {last.type} at {shownTime(last.time)}
        </p>
      )}
    </section>
  );
}
