// The hub operator's dashboard (issue S9, part 3): the pool against its low-water mark and its level day
// by day (the ledger's series), the sources, the Security Server's record and the jobs running,
// generation with progress and Cancel, and the segments.
// Everything comes from the station and is kept current by its events: nothing here is PSRD.
import { useCallback, useEffect } from 'react';
import { station } from '../../station-client';
import { useCall } from '../../use-call';
import { PoolLevelChart } from '../charts/PoolLevelChart';
import { GenerationPanel } from './GenerationPanel';
import { PoolLevel } from './PoolLevel';
import { SegmentTable } from './SegmentTable';
import { StationHealth } from './StationHealth';
import './dashboard.css';

export function Dashboard(): React.JSX.Element {
  const status = useCall(() => station().pool.status({}), []);
  const page = useCall(() => station().pool.segments({ limit: 50 }), []);
  const series = useCall(() => station().audit.series({ top: 1 }), []);
  const { refresh: refreshStatus } = status;
  const { refresh: refreshSeries } = series;
  const { refresh: refreshPage } = page;
  const refresh = useCallback(() => {
    refreshStatus();
    refreshPage();
  }, [refreshStatus, refreshPage]);
  // A segment added or taken by anyone (a generation, a delivery, a scrub) moves the figures.
  useEffect(
    () =>
      station().on('ledger.appended', (e) => {
        if (!e.type.startsWith('pool.') && !e.type.startsWith('allocation.')) return;
        refreshStatus();
        refreshSeries();
      }),
    [refreshStatus, refreshSeries],
  );

  return (
    <section className="panel dashboard">
      <PoolLevel status={status.value} error={status.error} onRefreshed={refresh} />
      {series.value && series.value.days.length > 0 && <PoolLevelChart days={series.value.days} title="Pool level, day by day" />}
      <StationHealth />
      <GenerationPanel onChanged={refresh} />
      <SegmentTable page={page.value} />
      <p className="fine">
        Segments are encrypted at rest under their own keys. Destroying a segment destroys its keys (crypto-erase) and then overwrites its
        file as a best effort; overwriting alone cannot sanitize flash storage.
      </p>
    </section>
  );
}
