// PSRD bytes per client: the clients that received the most, one bar each, and the others together (audit.series).
import type { ClientTotal, LedgerSeries } from '../../../../src-shared/api/audit';
import { formatBytes } from '../../../../src-shared/psrd/size';
import { grouped } from '../../../../src-shared/ledger/entry-words';
import { ChartFrame } from './ChartFrame';

const ROW = 22;
const LEFT = 66;
const WIDTH = 360;

export function ClientBytesChart({ clients, others }: { clients: readonly ClientTotal[]; others: LedgerSeries['others'] }): React.JSX.Element {
  const top = clients[0];
  const all = clients.length + others.clients;
  const summary = top
    ? `${top.client} received the most: ${formatBytes(top.bytes)} in ${grouped(top.deliveries)} deliveries; ${grouped(all)} clients in all${others.clients ? `, the ${grouped(others.clients)} not shown ${formatBytes(others.bytes)} together` : ''}.`
    : 'No client has received PSRD yet.';
  const max = Math.max(1, top?.bytes ?? 1);
  const height = clients.length * ROW + 8;
  return (
    <ChartFrame
      title="PSRD per client"
      summary={summary}
      testId="chart-clients"
      columns={[{ label: 'Client' }, { label: 'PSRD delivered', numeric: true }, { label: 'Deliveries', numeric: true }]}
      rows={[
        ...clients.map((c) => [c.client, formatBytes(c.bytes), grouped(c.deliveries)]),
        ...(others.clients ? [[`${grouped(others.clients)} other clients`, formatBytes(others.bytes), grouped(others.deliveries)]] : []),
      ]}
    >
      <svg viewBox={`0 0 ${WIDTH} ${height}`} aria-hidden="true" focusable="false">
        {clients.map((c, i) => {
          const w = Math.max(1, (c.bytes / max) * (WIDTH - LEFT - 64));
          const y = 4 + i * ROW;
          return (
            <g key={c.client}>
              <text className="label" x={LEFT - 6} y={y + 14} textAnchor="end">{c.client}</text>
              <rect className="series-3" x={LEFT} y={y + 3} width={w} height={ROW - 8} />
              <text className="label" x={LEFT + w + 6} y={y + 14}>{formatBytes(c.bytes)}</text>
            </g>
          );
        })}
      </svg>
    </ChartFrame>
  );
}
