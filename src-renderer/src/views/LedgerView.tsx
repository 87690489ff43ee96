// The auditor's view: the ledger, newest first, and an end-to-end verification of its hash chain.
import { useEffect, useState } from 'react';
import type { LedgerEntryView, LedgerVerification } from '../../../src-shared/api/audit';
import { station } from '../station-client';
import { useCall } from '../use-call';
import { ErrorNote } from './ErrorNote';
import { shownTime } from '../time';

export function LedgerView(): React.JSX.Element {
  const entries = useCall(() => station().audit.ledger({ limit: 200 }), []);
  const [verification, setVerification] = useState<LedgerVerification>();
  const { refresh } = entries;
  useEffect(() => station().on('ledger.appended', () => refresh()), [refresh]);

  async function verify(): Promise<void> {
    const r = await station().audit.verify({});
    if (r.ok) setVerification(r.value);
  }

  const list: LedgerEntryView[] = [...(entries.value ?? [])].reverse();
  return (
    <section className="panel">
      <h2>Ledger</h2>
      <div className="row">
        <button onClick={() => void verify()}>Verify the ledger</button>
        {verification && (
          <span data-testid="ledger-verification" className={verification.ok ? 'good' : 'error'}>
            {verification.ok ? `Verified: ${verification.entries} entries, chain intact.` : `FAILED after ${verification.entries} entries: ${verification.problem}`}
          </span>
        )}
      </div>
      <ErrorNote error={entries.error} />
      <table className="ledger">
        <thead>
          <tr>
            <th>#</th>
            <th>Time</th>
            <th>Entry</th>
            <th>Facts</th>
          </tr>
        </thead>
        <tbody>
          {list.map((e) => (
            <tr key={e.seq} data-testid="ledger-entry" data-type={e.type}>
              <td>{e.seq}</td>
              <td>{shownTime(e.time)}</td>
              <td>{e.type}</td>
              <td className="facts">{Object.entries(e.data).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' · ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
