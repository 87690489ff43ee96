// The auditor's tools beside the list: verification end to end (a job: its progress announced, then its
// result), the head and checkpoints (taken, saved to a file, and checked against one kept earlier), the
// export of what the filter shows (CSV, PDF), and reconciliation — of the allocation record with itself
// and the pool, and of this station's record with the Security Server's.
import { useEffect, useState } from 'react';
import type { LedgerFilter, LedgerVerification } from '../../../../src-shared/api/audit';
import type { ReconcileResult as AllocationReconcile } from '../../../../src-shared/api/delivery';
import type { ReconcileResult as ServerReconcile } from '../../../../src-shared/api/sync';
import type { JobView } from '../../../../src-shared/api/jobs';
import type { StationError } from '../../../../src-shared/api/result';
import type { Checkpoint, CheckpointVerification } from '../../../../src-shared/ledger/checkpoint';
import { grouped } from '../../../../src-shared/ledger/entry-words';
import { formatBytes } from '../../../../src-shared/psrd/size';
import { station } from '../../station-client';
import { shownTime } from '../../time';
import { ErrorNote } from '../ErrorNote';
import { SyncDifferences } from '../sync/SyncDifferences';

export function VerifyPanel(): React.JSX.Element {
  const [job, setJob] = useState<JobView>();
  const [result, setResult] = useState<LedgerVerification>();
  const [error, setError] = useState<StationError>();
  const [running, setRunning] = useState(false);
  useEffect(
    () =>
      station().on('jobs.changed', (j) => {
        if (j.kind === 'ledger-verify') setJob(j);
      }),
    [],
  );

  async function verify(): Promise<void> {
    setRunning(true);
    setResult(undefined);
    setError(undefined);
    setJob(undefined);
    const r = await station().audit.verify({});
    setRunning(false);
    if (r.ok) setResult(r.value);
    else setError(r.error);
  }

  const pct = job && job.total > 0 ? Math.floor((100 * job.done) / job.total) : 0;
  return (
    <section className="panel ledger-tool" aria-labelledby="verify-heading">
      <h3 id="verify-heading">Verification</h3>
      <p className="fine">Every entry read from disk and checked against the hash chain and the authenticated head.</p>
      <button onClick={() => void verify()} disabled={running}>
        {running ? 'Verifying…' : 'Verify the ledger'}
      </button>
      {running && <progress max={100} value={pct} aria-label="Verification progress" />}
      <p role="status" aria-live="polite" data-testid="ledger-verify-progress" className="progress">
        {running && job ? `Checked ${grouped(job.done)} of ${grouped(job.total)} entries (${pct} %)` : running ? 'Starting…' : result ? (result.ok ? 'The verification finished: the chain is intact.' : 'The verification finished: the ledger FAILED.') : ''}
      </p>
      {result && (
        <p data-testid="ledger-verification" className={result.ok ? 'good' : 'error'}>
          {result.ok ? `Verified: ${grouped(result.entries)} entries, chain intact.` : `FAILED after ${grouped(result.entries)} entries: ${result.problem}`}
          <br />
          <span className="code">Head {result.head}</span>
        </p>
      )}
      <ErrorNote error={error} />
    </section>
  );
}

function CheckpointView({ c }: { c: Checkpoint }): React.JSX.Element {
  return (
    <dl className="raw-facts" data-testid="ledger-checkpoint">
      <dt>Entries</dt>
      <dd>{grouped(c.treeSize)}</dd>
      <dt>Merkle root</dt>
      <dd>
        <code className="hash">{c.rootHash}</code>
      </dd>
      <dt>Head</dt>
      <dd>
        <code className="hash">{c.chainHead}</code>
      </dd>
      <dt>Taken</dt>
      <dd>{shownTime(c.time)}</dd>
    </dl>
  );
}

export function CheckpointPanel({ ledgerLength }: { ledgerLength: number | undefined }): React.JSX.Element {
  const [checkpoint, setCheckpoint] = useState<Checkpoint>();
  const [path, setPath] = useState('');
  const [saved, setSaved] = useState<string>();
  const [against, setAgainst] = useState<CheckpointVerification>();
  const [error, setError] = useState<StationError>();

  async function take(): Promise<void> {
    setError(undefined);
    const r = await station().audit.checkpoint({});
    if (r.ok) setCheckpoint(r.value);
    else setError(r.error);
  }

  async function save(e: React.FormEvent): Promise<void> {
    e.preventDefault();
    setError(undefined);
    setSaved(undefined);
    const r = await station().audit.saveCheckpoint({ to: path.trim() });
    if (r.ok) {
      setCheckpoint(r.value.checkpoint);
      setSaved(r.value.path);
    } else setError(r.error);
  }

  async function checkFile(file: File | undefined): Promise<void> {
    setAgainst(undefined);
    setError(undefined);
    if (!file) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(await file.text());
    } catch {
      setError({ code: 'bad-request', message: `${file.name} is not a checkpoint file (it is not JSON).` });
      return;
    }
    const r = await station().audit.verifyAgainst({ checkpoint: parsed as Checkpoint });
    if (r.ok) setAgainst(r.value);
    else setError(r.error);
  }

  return (
    <section className="panel ledger-tool" aria-labelledby="checkpoint-heading">
      <h3 id="checkpoint-heading">Head and checkpoints</h3>
      <p className="fine">{ledgerLength === undefined ? '' : `The ledger holds ${grouped(ledgerLength)} entries.`} A checkpoint (size, Merkle root, MAC) lets you prove later that the ledger only grew.</p>
      <button onClick={() => void take()}>Take a checkpoint</button>
      <form className="ledger-path" onSubmit={(e) => void save(e)}>
        <label>
          Save a checkpoint to (a new file on the station)
          <input value={path} onChange={(e) => setPath(e.target.value)} placeholder="/media/audit/checkpoint.json" spellCheck={false} required />
        </label>
        <button type="submit">Save the checkpoint</button>
      </form>
      {saved && (
        <p className="good" data-testid="ledger-checkpoint-saved">
          Saved to {saved}.
        </p>
      )}
      {checkpoint && <CheckpointView c={checkpoint} />}
      <label className="ledger-file">
        Check the ledger against a checkpoint kept earlier
        <input type="file" accept=".json,application/json" onChange={(e) => void checkFile(e.target.files?.[0])} />
      </label>
      {against && (
        <p data-testid="ledger-against" className={against.ok ? 'good' : 'error'}>
          {against.ok ? `The ledger (${grouped(against.entries)} entries) extends the checkpoint of ${grouped(against.treeSize)} entries.` : `The ledger does NOT extend the checkpoint: ${against.problem}.`}
        </p>
      )}
      <ErrorNote error={error} />
    </section>
  );
}

export function ExportPanel({ filter, describe }: { filter: LedgerFilter; describe: string }): React.JSX.Element {
  const [path, setPath] = useState('');
  const [done, setDone] = useState<{ path: string; rows: number; format: 'csv' | 'pdf' }>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<StationError>();

  async function exportAs(format: 'csv' | 'pdf'): Promise<void> {
    setError(undefined);
    setDone(undefined);
    setBusy(true);
    const r = await station().audit.exportEntries({ ...filter, format, to: path.trim() });
    setBusy(false);
    if (r.ok) setDone(r.value);
    else setError(r.error);
  }

  return (
    <section className="panel ledger-tool" aria-labelledby="export-heading">
      <h3 id="export-heading">Export</h3>
      <p className="fine">The entries shown ({describe}), each in plain words with its facts. A PDF holds at most 10,000 entries.</p>
      <form className="ledger-path" onSubmit={(e) => e.preventDefault()}>
        <label>
          Write to (a new file on the station)
          <input value={path} onChange={(e) => setPath(e.target.value)} placeholder="/media/audit/ledger.csv" spellCheck={false} />
        </label>
        <div className="row">
          <button type="button" disabled={busy || !path.trim()} onClick={() => void exportAs('csv')}>
            Export CSV
          </button>
          <button type="button" disabled={busy || !path.trim()} onClick={() => void exportAs('pdf')}>
            Export PDF
          </button>
        </div>
      </form>
      <p role="status" data-testid="ledger-export-result" className={done ? 'good' : undefined}>
        {busy ? 'Writing…' : done ? `Wrote ${grouped(done.rows)} entries to ${done.path} (${done.format.toUpperCase()}).` : ''}
      </p>
      <ErrorNote error={error} />
    </section>
  );
}

export function ReconcilePanel(): React.JSX.Element {
  const [local, setLocal] = useState<AllocationReconcile>();
  const [server, setServer] = useState<ServerReconcile>();
  const [busy, setBusy] = useState<'local' | 'server'>();
  const [error, setError] = useState<StationError>();

  async function checkLocal(): Promise<void> {
    setError(undefined);
    setBusy('local');
    const r = await station().delivery.reconcile({ deep: true });
    setBusy(undefined);
    if (r.ok) setLocal(r.value);
    else setError(r.error);
  }

  async function checkServer(): Promise<void> {
    setError(undefined);
    setServer(undefined);
    setBusy('server');
    const r = await station().sync.reconcile({});
    setBusy(undefined);
    if (r.ok) setServer(r.value);
    else setError(r.error);
  }

  return (
    <section className="panel ledger-tool" aria-labelledby="reconcile-heading">
      <h3 id="reconcile-heading">Reconciliation</h3>
      <div className="row">
        <button onClick={() => void checkLocal()} disabled={busy !== undefined}>
          Check the allocation record
        </button>
        <button onClick={() => void checkServer()} disabled={busy !== undefined}>
          Reconcile with the Security Server
        </button>
      </div>
      <p role="status" className="progress">{busy === 'server' ? 'Asking the Security Server…' : busy === 'local' ? 'Checking…' : ''}</p>
      {local && (
        <div data-testid="ledger-reconcile-local">
          <p className={local.ok ? 'good' : 'error'}>
            {local.ok ? 'The allocation record holds: ' : `${grouped(local.problems.length)} problems in the allocation record: `}
            {grouped(local.deliveries)} deliveries ({formatBytes(local.bytesDelivered)}), {grouped(local.voided)} voided ({formatBytes(local.bytesVoided)}), {grouped(local.reportsQueued)} range reports waiting.
          </p>
          {local.problems.length > 0 && (
            <ul>
              {local.problems.map((p, i) => (
                <li key={i}>
                  {p.kind}: {p.detail}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {server && (
        <div data-testid="ledger-reconcile-server">
          <p className={server.differences.length === 0 ? 'good' : 'error'}>
            {server.differences.length === 0 ? 'No difference' : `${grouped(server.differences.length)} differences`} with the Security Server at {server.server}: {grouped(server.checkedReports)} range reports and {grouped(server.checkedShipments)} shipments compared; it applied reports up to #{grouped(server.appliedUpTo)}.
          </p>
          {server.differences.length > 0 && (
            <SyncDifferences differences={server.differences} className="ledger-diffs" />
          )}
        </div>
      )}
      <ErrorNote error={error} />
    </section>
  );
}
