// Deliveries per day (UTC): one bar a day, its height the number of PSRD deliveries (audit.series).
import type { LedgerDay } from '../../../../src-shared/api/audit';
import { formatBytes } from '../../../../src-shared/psrd/size';
import { grouped } from '../../../../src-shared/ledger/entry-words';
import { ChartFrame } from './ChartFrame';
import { dayNumber, H, PAD, plotW, W, xOfDay, yOf } from './scale';

export function DeliveriesChart({ days }: { days: readonly LedgerDay[] }): React.JSX.Element {
  const withDeliveries = days.filter((d) => d.deliveries > 0);
  const total = withDeliveries.reduce((a, d) => a + d.deliveries, 0);
  const bytes = withDeliveries.reduce((a, d) => a + d.bytesDelivered, 0);
  const busiest = withDeliveries.reduce<LedgerDay | undefined>((b, d) => (!b || d.deliveries > b.deliveries ? d : b), undefined);
  const summary = busiest
    ? `${grouped(total)} deliveries (${formatBytes(bytes)}) on ${grouped(withDeliveries.length)} days; the most on ${busiest.day}: ${grouped(busiest.deliveries)}.`
    : 'No delivery recorded yet.';
  const max = Math.max(1, busiest?.deliveries ?? 1);
  const d0 = days[0] ? dayNumber(days[0].day) : 0;
  const d1 = days.at(-1) ? Math.max(dayNumber(days.at(-1)!.day) + 1, d0 + 1) : 1;
  const barW = Math.max(1, plotW / (d1 - d0) - 1);
  const base = yOf(0, max);
  return (
    <ChartFrame
      title="Deliveries per day"
      summary={summary}
      testId="chart-deliveries"
      columns={[{ label: 'Day (UTC)' }, { label: 'Deliveries', numeric: true }, { label: 'PSRD delivered', numeric: true }]}
      rows={withDeliveries.map((d) => [d.day, grouped(d.deliveries), formatBytes(d.bytesDelivered)])}
    >
      <svg viewBox={`0 0 ${W} ${H}`} aria-hidden="true" focusable="false">
        <line className="axis" x1={PAD.left} y1={base} x2={W - PAD.right} y2={base} />
        <text className="label" x={PAD.left - 6} y={PAD.top + 8} textAnchor="end">{grouped(max)}</text>
        <text className="label" x={PAD.left - 6} y={base} textAnchor="end">0</text>
        {days[0] && <text className="label" x={PAD.left} y={H - 6}>{days[0].day}</text>}
        {days.length > 1 && <text className="label" x={W - PAD.right} y={H - 6} textAnchor="end">{days.at(-1)!.day}</text>}
        {withDeliveries.map((d) => {
          const y = yOf(d.deliveries, max);
          return <rect key={d.day} className="series-2" x={xOfDay(dayNumber(d.day), d0, d1)} y={y} width={barW} height={Math.max(1, base - y)} />;
        })}
      </svg>
    </ChartFrame>
  );
}
