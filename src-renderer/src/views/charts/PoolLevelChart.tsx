// The pool's level over time: the bytes in the pool at the end of each day the ledger recorded something
// (audit.series), as a step line. Exported for the operator's dashboard as well as the auditor's ledger.
import type { LedgerDay } from '../../../../src-shared/api/audit';
import { formatBytes } from '../../../../src-shared/psrd/size';
import { grouped } from '../../../../src-shared/ledger/entry-words';
import { ChartFrame } from './ChartFrame';
import { dayNumber, H, PAD, plotW, W, xOfDay, yOf } from './scale';

export function PoolLevelChart({ days, title = 'Pool level over time' }: { days: readonly Pick<LedgerDay, 'day' | 'poolBytes'>[]; title?: string }): React.JSX.Element {
  const first = days[0];
  const last = days.at(-1);
  let high = first;
  let low = first;
  for (const d of days) {
    if (d.poolBytes > high!.poolBytes) high = d;
    if (d.poolBytes < low!.poolBytes) low = d;
  }
  const summary =
    first && last && high && low
      ? `From ${first.day} to ${last.day} (UTC) the pool went from ${formatBytes(first.poolBytes)} to ${formatBytes(last.poolBytes)}; highest ${formatBytes(high.poolBytes)} on ${high.day}, lowest ${formatBytes(low.poolBytes)} on ${low.day}.`
      : 'No pool recorded yet.';
  const max = Math.max(1, high?.poolBytes ?? 1);
  const d0 = first ? dayNumber(first.day) : 0;
  const d1 = last ? Math.max(dayNumber(last.day) + 1, d0 + 1) : 1;
  // A step line: each day's level holds until the next day's.
  let path = '';
  days.forEach((d, i) => {
    const x0 = xOfDay(dayNumber(d.day), d0, d1);
    const x1 = xOfDay(i + 1 < days.length ? dayNumber(days[i + 1]!.day) : d1, d0, d1);
    const y = yOf(d.poolBytes, max);
    path += `${i === 0 ? 'M' : 'L'}${x0.toFixed(1)},${y.toFixed(1)}L${x1.toFixed(1)},${y.toFixed(1)}`;
  });
  const base = yOf(0, max);
  const area = path ? `${path}L${(PAD.left + plotW).toFixed(1)},${base}L${PAD.left},${base}Z` : '';
  return (
    <ChartFrame
      title={title}
      summary={summary}
      testId="chart-pool-level"
      columns={[{ label: 'Day (UTC)' }, { label: 'Pool at the day’s end', numeric: true }, { label: 'Bytes', numeric: true }]}
      rows={days.map((d) => [d.day, formatBytes(d.poolBytes), grouped(d.poolBytes)])}
    >
      <svg viewBox={`0 0 ${W} ${H}`} aria-hidden="true" focusable="false">
        <line className="axis" x1={PAD.left} y1={base} x2={W - PAD.right} y2={base} />
        <line className="axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={base} />
        <text className="label" x={PAD.left - 6} y={PAD.top + 8} textAnchor="end">{formatBytes(max)}</text>
        <text className="label" x={PAD.left - 6} y={base} textAnchor="end">0</text>
        {first && <text className="label" x={PAD.left} y={H - 6}>{first.day}</text>}
        {last && last !== first && <text className="label" x={W - PAD.right} y={H - 6} textAnchor="end">{last.day}</text>}
        <path className="series-1 area" d={area} />
        <path className="series-1 line" d={path} />
      </svg>
    </ChartFrame>
  );
}
