// The hub operator's view: how much unallocated PSRD there is, of what protection, and generating more.
import { useEffect, useState } from 'react';
import { formatBytes, parseSize } from '../../../src-shared/psrd/size';
import type { LedgerEntryView } from '../../../src-shared/api/audit';
import type { JobView } from '../../../src-shared/api/jobs';
import type { PoolProgress } from '../../../src-shared/api/pool';
import type { StationError } from '../../../src-shared/api/result';
import { station } from '../station-client';
import { useCall } from '../use-call';
import { ErrorNote } from './ErrorNote';
import { shownTime } from '../time';

export function PoolView(): React.JSX.Element {
  const status = useCall(() => station().pool.status({}), []);
  const page = useCall(() => station().pool.segments({ limit: 50 }), []);
  const [size, setSize] = useState('16MiB');
  const [sources, setSources] = useState('');
  const [progress, setProgress] = useState<PoolProgress>();
  const [error, setError] = useState<StationError>();
  const [busy, setBusy] = useState(false);
  const [last, setLast] = useState<LedgerEntryView>();
  // The generation running in the station, whoever started it: found again after a tab switch or a
  // reload, because it comes from the station's jobs and not from this component's state.
  const [running, setRunning] = useState<JobView>();
  const { refresh: refreshStatus } = status;
  const { refresh: refreshPage } = page;

  useEffect(() => {
    void station().jobs.list({}).then((r) => r.ok && setRunning(r.value.find((j) => j.kind === 'pool-generation' && j.state === 'running')));
    return station().on('jobs.changed', (j) => {
      if (j.kind !== 'pool-generation') return;
      if (j.state === 'running') setRunning(j);
      else {
        setRunning(undefined);
        refreshStatus();
        refreshPage();
      }
    });
  }, [refreshStatus, refreshPage]);
  useEffect(() => station().on('pool.progress', setProgress), []);
  useEffect(
    () =>
      station().on('ledger.appended', (e) => {
        if (e.type.startsWith('pool.')) setLast(e);
      }),
    [],
  );

  async function refresh(): Promise<void> {
    setBusy(true);
    setError(undefined);
    const r = await station().pool.refresh({});
    setBusy(false);
    if (!r.ok) setError(r.error);
    status.refresh();
    page.refresh();
  }

  async function generate(): Promise<void> {
    const bytes = parseSize(size);
    if (bytes === null) {
      setError({ code: 'bad-request', message: `"${size}" is not a size. Write for example 64MiB or 4GiB.` });
      return;
    }
    setBusy(true);
    setError(undefined);
    const named = sources.split(/[\s,]+/).filter(Boolean);
    const r = await station().pool.generate(named.length ? { bytes, sources: named } : { bytes });
    setBusy(false);
    if (!r.ok) setError(r.error);
    status.refresh();
    page.refresh();
  }

  async function cancel(): Promise<void> {
    if (!running) return;
    const r = await station().jobs.cancel({ id: running.id });
    if (!r.ok) setError(r.error);
  }

  const s = status.value;
  const generating = busy || running !== undefined;
  return (
    <section className="panel">
      <h2>Unallocated pool</h2>
      <ErrorNote error={status.error} />
      {s && (
        <dl className="figures">
          <div>
            <dt>Unallocated</dt>
            <dd data-testid="pool-size" data-bytes={s.unallocatedBytes}>{formatBytes(s.unallocatedBytes)}</dd>
          </div>
          <div>
            <dt>Segments</dt>
            <dd data-testid="pool-segments">{s.segmentCount}</dd>
          </div>
          <div>
            <dt>From DRBG sources only</dt>
            <dd title="PSRD from the OS generator or another DRBG is computationally secure, not information-theoretically">{formatBytes(s.computationalBytes)}</dd>
          </div>
          <div>
            <dt>Low-water mark</dt>
            <dd className={s.belowLowWater ? 'warn' : ''}>{formatBytes(s.lowWaterBytes)}{s.belowLowWater ? ' — below it' : ''}</dd>
          </div>
        </dl>
      )}
      {s && s.expiredSegments > 0 && (
        <p className="warn row">
          {s.expiredSegments} segment(s) are past their refresh age.
          <button disabled={generating} onClick={() => void refresh()}>Refresh: destroy them and generate as much again</button>
        </p>
      )}

      <h3>Generate PSRD</h3>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void generate();
        }}
      >
        <label>
          Amount <input aria-label="Amount" value={size} onChange={(e) => setSize(e.target.value)} />
        </label>
        <label>
          Sources <input aria-label="Sources" placeholder="the configured ones" value={sources} onChange={(e) => setSources(e.target.value)} />
        </label>
        <button type="submit" disabled={generating}>{generating ? 'Generating…' : 'Generate'}</button>
        {running && (
          <button type="button" onClick={() => void cancel()}>
            Cancel
          </button>
        )}
      </form>
      {/* For screen readers: the generation's start, every tenth of its way, and its end — not every byte. */}
      <p className="visually-hidden" role="status" aria-live="polite" data-testid="pool-announce">
        {running ? `${running.title}: ${Math.floor((10 * running.done) / Math.max(running.total, 1)) * 10} % done.` : last?.type === 'pool.generation-finished' ? 'The generation has finished.' : ''}
      </p>
      {running && (
        <p className="progress" data-testid="pool-job" data-job={running.id}>
          {running.title}, started by {running.startedBy}: {formatBytes(running.done)} of {formatBytes(running.total)}
          <progress max={running.total} value={running.done} aria-label="Generation progress" />
        </p>
      )}
      {progress && progress.phase !== 'done' && (
        <p className="progress" data-testid="pool-progress">
          {progress.phase}: {formatBytes(progress.bytesDone)} of {formatBytes(progress.bytesTotal)} · {formatBytes(progress.bytesPerSecond)}/s
          {progress.etaSeconds !== null ? ` · ${progress.etaSeconds} s left` : ''}
          {progress.sources.map((src) => ` · ${src.label}: ${src.state}, ${src.samplesTested} samples tested`).join('')}
        </p>
      )}
      <ErrorNote error={error} />
      {last && (
        <p className="ledger-note" data-testid="pool-last-ledger">
          Ledger #{last.seq}: {last.type} at {shownTime(last.time)}
        </p>
      )}
      {page.value && page.value.total > 0 && (
        <>
          <h3>Segments</h3>
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
              {page.value.segments.map((g) => (
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
          {page.value.total > page.value.segments.length && <p className="fine">Showing the oldest {page.value.segments.length} of {page.value.total} segments.</p>}
        </>
      )}
      <p className="fine">
        Segments are encrypted at rest under their own keys. Destroying a segment destroys its keys (crypto-erase) and then overwrites its
        file as a best effort; overwriting alone cannot sanitize flash storage.
      </p>
    </section>
  );
}
