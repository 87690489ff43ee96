// Generating PSRD, as the hub operator starts and watches it: the amount and sources, then a progress bar
// with its phase, bytes, speed and time left, each source's health-tested samples, and Cancel. The
// generation shown is the station's running job (whoever started it, from whichever window), so a tab
// switch or a reload finds it again; a screen reader hears its start, every tenth and its end.
import { useCallback, useEffect, useRef, useState } from 'react';
import { formatBytes } from '../../../../src-shared/psrd/size';
import { sizeOrProblem } from '../../size-input';
import type { JobView } from '../../../../src-shared/api/jobs';
import type { PoolProgress } from '../../../../src-shared/api/pool';
import type { StationError } from '../../../../src-shared/api/result';
import { station } from '../../station-client';
import { ErrorNote } from '../ErrorNote';
import { grouped } from '../../../../src-shared/ledger/entry-words';
import { rateBetween, timeLeft } from './rate';
import { useRunningJob } from '../../use-running-job';

/** One source's samples and their rate during the generation. */
interface SourceRate {
  readonly label: string;
  readonly state: string;
  readonly samples: number;
  readonly perSecond: number | null;
}

export function GenerationPanel({ onChanged }: { onChanged: () => void }): React.JSX.Element {
  const [size, setSize] = useState('16MiB');
  const [sources, setSources] = useState('');
  const [error, setError] = useState<StationError>();
  const [starting, setStarting] = useState(false);
  const [ended, setEnded] = useState<JobView>();
  const [progress, setProgress] = useState<PoolProgress>();
  const [rates, setRates] = useState<readonly SourceRate[]>([]);
  const seen = useRef(new Map<string, { at: number; done: number }>());
  const onEnded = useCallback(
    (j: JobView) => {
      setEnded(j);
      onChanged();
    },
    [onChanged],
  );
  const running = useRunningJob('pool-generation', onEnded);

  useEffect(
    () =>
      station().on('pool.progress', (p) => {
        setProgress(p);
        const at = Date.now();
        setRates(
          p.sources.map((s) => {
            const now = { at, done: s.samplesTested };
            const prev = seen.current.get(s.label);
            // Keep the earlier observation until a second has passed, so the rate is not noise.
            if (!prev || at - prev.at >= 1000) seen.current.set(s.label, now);
            return { label: s.label, state: s.state, samples: s.samplesTested, perSecond: rateBetween(prev, now) };
          }),
        );
      }),
    [],
  );

  async function generate(): Promise<void> {
    const bytes = sizeOrProblem(size);
    if (typeof bytes !== 'number') return setError(bytes);
    setStarting(true);
    setError(undefined);
    setEnded(undefined);
    seen.current.clear();
    const named = sources.split(/[\s,]+/).filter(Boolean);
    const r = await station().pool.generate(named.length ? { bytes, sources: named } : { bytes });
    setStarting(false);
    if (!r.ok) setError(r.error);
    onChanged();
  }

  async function cancel(): Promise<void> {
    if (!running) return;
    const r = await station().jobs.cancel({ id: running.id });
    if (!r.ok) setError(r.error);
  }

  const generating = starting || running !== undefined;
  const live = progress && running && progress.job === running.id && progress.phase !== 'done' ? progress : undefined;
  const tenth = running ? Math.floor((10 * running.done) / Math.max(running.total, 1)) * 10 : 0;
  return (
    <section aria-labelledby="generate-heading">
      <h3 id="generate-heading">Generate PSRD</h3>
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
          <button type="button" className="secondary" onClick={() => void cancel()}>
            Cancel
          </button>
        )}
      </form>
      {/* For screen readers: the generation's start, every tenth of its way, and its end — not every byte. */}
      <p className="visually-hidden" role="status" aria-live="polite" data-testid="pool-announce">
        {running ? `${running.title}: ${tenth} % done.` : ended?.state === 'done' ? 'The generation has finished.' : ended ? `The generation ended: ${ended.state}.` : ''}
      </p>
      {running && (
        <div className="job-progress" data-testid="pool-job" data-job={running.id}>
          <p>
            {running.title}, started by {running.startedBy}
          </p>
          <progress max={running.total} value={running.done} aria-label="Generation progress" />
          <p className="progress" data-testid="pool-progress">
            {live ? `${live.phase}: ` : ''}
            {formatBytes(running.done)} of {formatBytes(running.total)}
            {live ? ` · ${formatBytes(live.bytesPerSecond)}/s` : ''}
            {live && live.etaSeconds !== null ? ` · ${timeLeft(running.total - running.done, live.bytesPerSecond) || `${live.etaSeconds} s`} left` : ''}
          </p>
          {rates.length > 0 && (
            <ul className="source-rates" aria-label="Sources during this generation">
              {rates.map((s) => (
                <li key={s.label}>
                  {s.label}: {s.state}, {grouped(s.samples)} samples health-tested{s.perSecond !== null ? ` (${grouped(Math.round(s.perSecond))}/s)` : ''}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {!running && ended && ended.state !== 'done' && (
        <p className={ended.state === 'cancelled' ? 'warn' : 'error'} data-testid="pool-ended">
          {ended.state === 'cancelled' ? 'The generation was cancelled; the segments it had finished are kept and recorded.' : `The generation ended (${ended.state})${ended.error ? `: ${ended.error.message}` : '.'}`}
        </p>
      )}
      <ErrorNote error={error} />
    </section>
  );
}
