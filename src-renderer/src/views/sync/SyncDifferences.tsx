// The differences between this station's record and its Security Server's (sync.reconcile), as the hub
// operator and the auditor both see them: what, and what each side says.
import type { SyncDifference } from '../../../../src-shared/api/sync';

export function SyncDifferences({ differences, className = 'ledger' }: { differences: readonly SyncDifference[]; className?: string }): React.JSX.Element {
  return (
    <table className={className}>
      <thead>
        <tr>
          <th scope="col">What</th>
          <th scope="col">This station</th>
          <th scope="col">The Security Server</th>
        </tr>
      </thead>
      <tbody>
        {differences.map((d, i) => (
          <tr key={i}>
            <td>{d.what}</td>
            <td>{d.station}</td>
            <td>{d.server}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
