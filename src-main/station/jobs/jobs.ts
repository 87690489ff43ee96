// Jobs: long work with an id, phases, progress and cancel, under per-resource locks, journaled in the
// ledger (`job.started`, `job.ended`). A job the station was running when it stopped is found at the
// next start — started, never ended — and recorded `job.interrupted`: a generation stays resumable
// (`pool generate --resume`), anything else is voided (it changed nothing that must be finished).
import { randomBytes } from 'node:crypto';
import { StationFailure } from '../../../src-shared/api/result';
import type { JobState, JobView } from '../../../src-shared/api/jobs';
import type { CancelSignal } from '../../../src-shared/api/dispatch';
import type { Ledger } from '../../../src-node/ledger/ledger';
import type { StationEventBus } from '../events';
import type { Actor } from '../operators/accounts';
import { ResourceLocks } from './locks';

export interface JobSpec {
  readonly kind: string;
  readonly title: string;
  readonly resources: readonly string[];
  readonly total: number;
  readonly unit: JobView['unit'];
  readonly actor: Actor;
  /** The caller's signal (the CLI's SIGINT): aborting it cancels the job. */
  readonly signal?: CancelSignal;
  /** Kinds whose interrupted runs can be finished later instead of voided. */
  readonly resumable?: boolean;
  /** A fixed id (generation jobs resume under their own id). */
  readonly id?: string;
}

export interface JobHandle {
  readonly id: string;
  readonly signal: AbortSignal;
  progress(done: number, phase?: string): void;
  /** Throws `cancelled` if the job was asked to stop; long loops call it between steps. */
  checkCancelled(): void;
}

const KEEP_ENDED = 50;
const PROGRESS_EVERY_MS = 200;

interface OpenJob {
  readonly kind: string;
  readonly title: string;
  readonly resources: string[];
  readonly startedBy: string;
  readonly time: string;
  readonly resumable: boolean;
}

interface Running {
  view: JobView;
  readonly abort: AbortController;
  readonly done: Promise<unknown>;
  lastEmit: number;
}

export class Jobs {
  readonly locks = new ResourceLocks();
  private readonly running = new Map<string, Running>();
  private readonly ended: JobView[] = [];

  /** Jobs the ledger records as started and not yet ended (a fold over job.* entries). */
  private readonly open = new Map<string, OpenJob>();

  constructor(
    private readonly ledger: Ledger,
    private readonly events: StationEventBus,
    private readonly now: () => Date,
  ) {
    ledger.restore({
      name: 'jobs',
      apply: (e) => {
        const id = String(e.data.job ?? '');
        if (e.type === 'job.started') {
          const actor = e.data.actor as Actor | undefined;
          this.open.set(id, { kind: String(e.data.kind), title: String(e.data.title), resources: (e.data.resources as string[]) ?? [], startedBy: actor?.operator ?? actor?.host ?? '', time: e.time, resumable: e.data.resumable === true });
        } else if (e.type === 'job.ended' || e.type === 'job.interrupted') this.open.delete(id);
      },
      save: () => [...this.open],
      load: (saved) => {
        for (const [id, j] of saved as [string, OpenJob][]) this.open.set(id, j);
      },
    });
  }

  /** At start: every job that was started and never ended is recorded as interrupted. */
  recover(): void {
    for (const [id, j] of [...this.open]) {
      const resolution = j.resumable ? 'resumable' : 'voided';
      const entry = this.ledger.append('job.interrupted', { job: id, kind: j.kind, resolution }, this.now);
      this.remember({ id, kind: j.kind, title: j.title, phase: resolution, state: 'interrupted', done: 0, total: 0, unit: 'items', resources: j.resources, startedBy: j.startedBy, startedAt: j.time, endedAt: entry.time });
    }
  }

  list(): JobView[] {
    return [...[...this.running.values()].map((r) => r.view), ...this.ended];
  }

  /** Runs work as a job. A refusal (busy) throws before anything is recorded and leaves no lock behind. */
  async run<T>(spec: JobSpec, work: (job: JobHandle) => Promise<T>): Promise<T> {
    const id = spec.id ?? `job-${randomBytes(8).toString('hex')}`;
    const release = this.locks.acquire(spec.resources, { id, title: spec.title });
    const abort = new AbortController();
    const onCallerAbort = (): void => abort.abort();
    let outcome: Promise<T>;
    try {
      spec.signal?.addEventListener('abort', onCallerAbort);
      if (spec.signal?.aborted) abort.abort();
      // A station opened to read only (ledger verify, status) runs its jobs unrecorded: it may write nothing.
      const startedAt = this.ledger.writable
        ? this.ledger.append('job.started', { job: id, kind: spec.kind, title: spec.title, resources: [...spec.resources], resumable: spec.resumable === true, actor: spec.actor }, this.now).time
        : this.now().toISOString();
      const job: Running = {
        view: { id, kind: spec.kind, title: spec.title, phase: 'starting', state: 'running', done: 0, total: spec.total, unit: spec.unit, resources: spec.resources, startedBy: spec.actor.operator ?? spec.actor.host, startedAt },
        abort,
        done: Promise.resolve(),
        lastEmit: 0,
      };
      const handle: JobHandle = {
        id,
        signal: abort.signal,
        progress: (done, phase) => this.progress(job, done, phase),
        checkCancelled: () => {
          if (abort.signal.aborted) throw new StationFailure('cancelled', `${spec.title} was cancelled; what it had finished is kept and recorded.`);
        },
      };
      this.running.set(id, job);
      this.events.emit('jobs.changed', job.view);
      outcome = work(handle);
      (job as { done: Promise<unknown> }).done = outcome.catch(() => undefined);
    } catch (e) {
      spec.signal?.removeEventListener('abort', onCallerAbort);
      release();
      throw e;
    }
    const job = this.running.get(id)!;
    try {
      const value = await outcome;
      this.finish(job, 'done');
      return value;
    } catch (e) {
      const f = e instanceof StationFailure ? e : new StationFailure('internal', 'Something went wrong inside the station.');
      this.finish(job, f.code === 'cancelled' ? 'cancelled' : 'failed', { code: f.code, message: f.message });
      throw e;
    } finally {
      spec.signal?.removeEventListener('abort', onCallerAbort);
      this.running.delete(id);
      release();
    }
  }

  cancel(id: string): boolean {
    const r = this.running.get(id);
    if (!r) throw new StationFailure('no-such-job', `There is no running job ${id}.`);
    r.abort.abort();
    this.update(r, { phase: 'cancelling' });
    return true;
  }

  /** SIGINT/SIGTERM and closing the station: asks every job to stop and waits until each has recorded its end. */
  async cancelAll(): Promise<void> {
    for (const r of this.running.values()) r.abort.abort();
    await this.idle();
  }

  async idle(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => r.done));
  }

  private progress(job: Running, done: number, phase?: string): void {
    const t = Date.now();
    const phaseChanged = phase !== undefined && phase !== job.view.phase;
    job.view = { ...job.view, done, ...(phase ? { phase } : {}) };
    if (!phaseChanged && t - job.lastEmit < PROGRESS_EVERY_MS && done < job.view.total) return;
    job.lastEmit = t;
    this.events.emit('jobs.changed', job.view);
  }

  private update(job: Running, patch: Partial<JobView>): void {
    job.view = { ...job.view, ...patch };
    this.events.emit('jobs.changed', job.view);
  }

  private finish(job: Running, state: Exclude<JobState, 'running' | 'interrupted'>, error?: { code: string; message: string }): void {
    let endedAt = this.now().toISOString();
    try {
      if (this.ledger.writable) endedAt = this.ledger.append('job.ended', { job: job.view.id, outcome: state, ...(error ? { code: error.code } : {}) }, this.now).time;
    } catch {
      // The ledger refused (a full disk): the job's own entries say what it did; the next start records it interrupted.
    }
    const view: JobView = { ...job.view, state, phase: state, endedAt, ...(error ? { error } : {}) };
    this.remember(view);
    this.events.emit('jobs.changed', view);
  }

  private remember(view: JobView): void {
    this.ended.unshift(view);
    if (this.ended.length > KEEP_ENDED) this.ended.length = KEEP_ENDED;
  }
}
