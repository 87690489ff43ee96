// The pictures: the pool's level over time, deliveries per day and PSRD per client, from the station's
// running figures (audit.series: no scan of the ledger), refreshed as the ledger grows.
import { useEffect } from 'react';
import { ClientBytesChart } from '../charts/ClientBytesChart';
import { DeliveriesChart } from '../charts/DeliveriesChart';
import { PoolLevelChart } from '../charts/PoolLevelChart';
import { station } from '../../station-client';
import { useCall } from '../../use-call';
import { ErrorNote } from '../ErrorNote';

export function LedgerCharts(): React.JSX.Element {
  const series = useCall(() => station().audit.series({ top: 10 }), []);
  const { refresh } = series;
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = station().on('ledger.appended', () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        refresh();
      }, 2000);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [refresh]);
  const s = series.value;
  return (
    <section aria-labelledby="charts-heading" className="ledger-charts">
      <h3 id="charts-heading">In pictures</h3>
      <ErrorNote error={series.error} />
      {s && (
        <div className="ledger-chart-grid">
          <PoolLevelChart days={s.days} />
          <DeliveriesChart days={s.days} />
          <ClientBytesChart clients={s.clients} others={s.others} />
        </div>
      )}
    </section>
  );
}
