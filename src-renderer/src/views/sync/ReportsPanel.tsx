// The range reports and acknowledgements: an acknowledgement file from the server imported (a shipment's,
// or the reports'), the waiting reports pushed online or exported to a file for an air-gapped server, and
// this station's record reconciled with the server's, every difference listed.
import { useState } from 'react';
import type { ImportResult, PushResult, ReconcileResult } from '../../../../src-shared/api/sync';
import type { StationError } from '../../../../src-shared/api/result';
import { station } from '../../station-client';
import { ErrorNote } from '../ErrorNote';
import { fullPathProblem } from './full-path';
import { SyncDifferences } from './SyncDifferences';

type Outcome = { kind: 'import'; value: ImportResult } | { kind: 'push'; value: PushResult } | { kind: 'export'; value: { path: string; first: number; last: number; reports: number } } | { kind: 'reconcile'; value: ReconcileResult };

function said(o: Outcome): string {
  switch (o.kind) {
    case 'import':
      return o.value.kind === 'shipment'
        ? `Shipment ${o.value.shipment ?? ''} acknowledged${o.value.changed ? '' : ' (already recorded)'}: its segments may now be allocated.`
        : `The server has applied the reports up to #${o.value.appliedUpTo ?? 0}${o.value.refused ? `; it refused #${o.value.refused.seq}: ${o.value.refused.reason}` : ''}.`;
    case 'push':
      return `Sent ${o.value.reportsSent} report(s) in ${o.value.batches} batch(es); the server has applied up to #${o.value.appliedUpTo}; ${o.value.waiting} waiting.`;
    case 'export':
      return o.value.reports === 0 ? 'Nothing waits: no file was needed.' : `Reports #${o.value.first}–#${o.value.last} (${o.value.reports}) written to ${o.value.path}. Nothing leaves the outbox until the server acknowledges them.`;
    case 'reconcile':
      return o.value.differences.length === 0
        ? `The server's record agrees with this station's: ${o.value.checkedReports} report(s) and ${o.value.checkedShipments} shipment(s) checked.`
        : `${o.value.differences.length} difference(s) with the server's record.`;
  }
}

export function ReportsPanel({ onDone }: { onDone: () => void }): React.JSX.Element {
  const [ackFile, setAckFile] = useState('');
  const [exportFile, setExportFile] = useState('');
  const [server, setServer] = useState('');
  const [outcome, setOutcome] = useState<Outcome>();
  const [error, setError] = useState<StationError>();
  const [busy, setBusy] = useState(false);

  async function run<T>(kind: Outcome['kind'], call: () => Promise<{ ok: true; value: T } | { ok: false; error: StationError }>, file?: [string, string]): Promise<void> {
    const bad = file && fullPathProblem(file[0], file[1]);
    if (bad) {
      setOutcome(undefined);
      return setError(bad);
    }
    setBusy(true);
    setError(undefined);
    setOutcome(undefined);
    const r = await call();
    setBusy(false);
    if (r.ok) setOutcome({ kind, value: r.value } as Outcome);
    else setError(r.error);
    onDone();
  }
  const url = server.trim() ? { server: server.trim() } : {};

  return (
    <section aria-labelledby="reports-heading">
      <h3 id="reports-heading">Acknowledgements and reports</h3>
      <div className="row">
        <label>
          Acknowledgement file <input value={ackFile} onChange={(e) => setAckFile(e.target.value)} placeholder="/media/transfer/ack.dske" />
        </label>
        <button disabled={busy || !ackFile.trim()} onClick={() => void run('import', () => station().sync.import({ file: ackFile.trim() }), ['acknowledgement file', ackFile.trim()])}>
          Import
        </button>
      </div>
      <div className="row">
        <label>
          Server address (empty: the one in station.json) <input value={server} onChange={(e) => setServer(e.target.value)} placeholder="https://security-server:8443" />
        </label>
        <button disabled={busy} onClick={() => void run('push', () => station().sync.push(url))}>
          Push reports
        </button>
        <button disabled={busy} className="secondary" onClick={() => void run('reconcile', () => station().sync.reconcile(url))}>
          Reconcile
        </button>
      </div>
      <div className="row">
        <label>
          Reports file, for an air-gapped server <input value={exportFile} onChange={(e) => setExportFile(e.target.value)} placeholder="/media/transfer/reports.dske" />
        </label>
        <button disabled={busy || !exportFile.trim()} onClick={() => void run('export', () => station().sync.export({ out: exportFile.trim() }), ['reports file', exportFile.trim()])}>
          Export
        </button>
      </div>
      {outcome && (
        <div role="status" data-testid="sync-outcome" className={outcome.kind === 'reconcile' && outcome.value.differences.length > 0 ? 'error' : 'good'}>
          <p>{said(outcome)}</p>
          {outcome.kind === 'reconcile' && outcome.value.differences.length > 0 && (
            <SyncDifferences differences={outcome.value.differences} />
          )}
        </div>
      )}
      <ErrorNote error={error} />
    </section>
  );
}
