// The unallocated segments, oldest first, a page at a time (a pool of terabytes has tens of thousands).
import { formatBytes } from '../../../../src-shared/psrd/size';
import type { SegmentPage } from '../../../../src-shared/api/pool';
import { shownTime } from '../../time';

export function SegmentTable({ page }: { page: SegmentPage | undefined }): React.JSX.Element | null {
  if (!page || page.total === 0) return null;
  return (
    <section aria-labelledby="segments-heading">
      <h3 id="segments-heading">Segments</h3>
      <table className="ledger" data-testid="segments">
        <thead>
          <tr>
            <th>Segment</th>
            <th>Size</th>
            <th>Created</th>
            <th>Protection</th>
            <th>Sources</th>
          </tr>
        </thead>
        <tbody>
          {page.segments.map((g) => (
            <tr key={g.id}>
              <td className="facts">{g.id}</td>
              <td>{formatBytes(g.liveBytes)}{g.liveBytes < g.bytes ? ` of ${formatBytes(g.bytes)}` : ''}</td>
              <td>{shownTime(g.createdAt)}</td>
              <td>{g.label}</td>
              <td className="facts">{g.sources.join(' ⊕ ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {page.total > page.segments.length && <p className="fine">Showing the oldest {page.segments.length} of {page.total.toLocaleString('en-US')} segments.</p>}
    </section>
  );
}
