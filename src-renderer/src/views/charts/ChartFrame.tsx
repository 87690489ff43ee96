// What every chart shares: a caption, the figures summarised in words (the picture's accessible name,
// role=img), and the figures themselves as a table on demand, for those who would rather read.
import { useId, useState } from 'react';
import './charts.css';

export interface ChartColumn {
  readonly label: string;
  readonly numeric?: boolean;
}

export function ChartFrame({
  title,
  summary,
  columns,
  rows,
  children,
  testId,
}: {
  title: string;
  summary: string;
  columns: readonly ChartColumn[];
  rows: readonly (readonly string[])[];
  children: React.ReactNode;
  testId?: string;
}): React.JSX.Element {
  const [table, setTable] = useState(false);
  const id = useId();
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption id={`${id}-title`}>{title}</figcaption>
      <p className="chart-summary">{summary}</p>
      {rows.length === 0 ? (
        <p className="empty">Nothing recorded yet.</p>
      ) : (
        <div role="img" aria-label={`${title}: ${summary}`}>
          {children}
        </div>
      )}
      {rows.length > 0 && (
        <button type="button" className="link" aria-expanded={table} aria-controls={`${id}-table`} onClick={() => setTable(!table)}>
          {table ? 'Hide the figures' : 'Show the figures as a table'}
        </button>
      )}
      {table && (
        <div className="table-wrap" id={`${id}-table`} tabIndex={0} role="region" aria-label={`${title}, figures`}>
          <table>
            <thead>
              <tr>
                {columns.map((c) => (
                  <th key={c.label} scope="col" className={c.numeric ? 'n' : undefined}>
                    {c.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={i}>
                  {r.map((v, j) => (
                    <td key={j} className={columns[j]?.numeric ? 'n' : undefined}>
                      {v}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </figure>
  );
}
