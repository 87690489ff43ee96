// The pool as the ledger tells it: replaying pool.* entries gives every segment's state. The ledger
// is the record of truth; files on disk are checked against it at open (see recovery.ts).
import type { LedgerEntry } from '../../../src-node/ledger/entry';
import type { Fold } from '../../../src-node/ledger/fold';
import type { EntropyLabel } from '../../../src-shared/api/pool';

export interface SegmentRecord {
  readonly id: string;
  readonly bytes: number;
  readonly chunkBytes: number;
  readonly createdAt: string;
  readonly job: string;
  readonly label: EntropyLabel;
  readonly sources: readonly string[];
  state: 'unallocated' | 'destroyed' | 'lost';
  /** Ranges inside the segment destroyed on their own (sorted by offset, never overlapping). */
  readonly erased: { offset: number; length: number }[];
}

/** Bytes of a segment still in the pool: its size less the ranges destroyed inside it. */
export function liveBytes(s: SegmentRecord): number {
  return s.bytes - s.erased.reduce((a, r) => a + r.length, 0);
}

export interface JobRecord {
  readonly job: string;
  readonly bytes: number;
  readonly sources: readonly string[];
  readonly resumes?: string;
  bytesDone: number;
  state: 'running' | 'finished' | 'failed' | 'interrupted';
  resumedBy?: string;
}

/** A range destruction the ledger records and whose file work is not yet marked done (by the seq of its entry). */
export interface PendingDestruction {
  readonly seq: number;
  readonly segment: string;
  readonly offset: number;
  readonly length: number;
}

export class PoolState implements Fold {
  readonly name = 'pool';
  readonly segments = new Map<string, SegmentRecord>();
  readonly jobs = new Map<string, JobRecord>();
  /**
   * Range destructions recorded (`pool.range-destroyed`) and not yet marked finished on disk
   * (`pool.destruction-done`): only these are redone at start, so that starts stay fast after many deliveries.
   */
  readonly pending = new Map<number, PendingDestruction>();

  save(): unknown {
    return { segments: [...this.segments.values()], jobs: [...this.jobs.values()], pending: [...this.pending.values()] };
  }

  load(state: unknown): void {
    const s = state as { segments: SegmentRecord[]; jobs: JobRecord[]; pending?: PendingDestruction[] };
    for (const r of s.segments) this.segments.set(r.id, r);
    for (const j of s.jobs) this.jobs.set(j.job, j);
    for (const p of s.pending ?? []) this.pending.set(p.seq, p);
  }

  apply(e: LedgerEntry): void {
    const d = e.data as Record<string, unknown>;
    switch (e.type) {
      case 'pool.generation-started': {
        const job: JobRecord = { job: String(d.job), bytes: Number(d.bytes), sources: (d.sources as string[]) ?? [], resumes: d.resumes as string | undefined, bytesDone: 0, state: 'running' };
        this.jobs.set(job.job, job);
        if (job.resumes) {
          const old = this.jobs.get(job.resumes);
          if (old) old.resumedBy = job.job;
        }
        break;
      }
      case 'pool.segment-added': {
        const rec: SegmentRecord = {
          id: String(d.segment), bytes: Number(d.bytes), chunkBytes: Number(d.chunkBytes), createdAt: e.time, job: String(d.job),
          label: d.label === 'information-theoretic' ? 'information-theoretic' : 'computational', sources: (d.sources as string[]) ?? [], state: 'unallocated', erased: [],
        };
        this.segments.set(rec.id, rec);
        const job = this.jobs.get(rec.job);
        if (job) job.bytesDone += rec.bytes;
        break;
      }
      case 'pool.segment-destroyed':
      case 'pool.segment-lost': {
        const s = this.segments.get(String(d.segment));
        if (s) s.state = e.type === 'pool.segment-lost' ? 'lost' : 'destroyed';
        break;
      }
      case 'pool.range-destroyed': {
        const s = this.segments.get(String(d.segment));
        if (s) {
          const r = { offset: Number(d.offset), length: Number(d.length) };
          s.erased.splice(insertionPoint(s.erased, r.offset), 0, r);
          this.pending.set(e.seq, { seq: e.seq, segment: s.id, ...r });
        }
        break;
      }
      case 'pool.destruction-done': {
        for (const seq of d.entries as number[]) this.pending.delete(seq);
        break;
      }
      case 'pool.generation-finished':
      case 'pool.generation-failed':
      case 'pool.generation-interrupted': {
        const job = this.jobs.get(String(d.job));
        if (job) job.state = e.type === 'pool.generation-finished' ? 'finished' : e.type === 'pool.generation-failed' ? 'failed' : 'interrupted';
        break;
      }
    }
  }

  unallocated(): SegmentRecord[] {
    return [...this.segments.values()].filter((s) => s.state === 'unallocated');
  }

  /** The newest job that stopped early and has not been resumed: what `pool generate --resume` continues. */
  resumable(): JobRecord | undefined {
    return [...this.jobs.values()].reverse().find((j) => (j.state === 'interrupted' || j.state === 'failed') && !j.resumedBy && j.bytesDone < j.bytes);
  }
}

/** Where a range starting at `offset` goes in a list sorted by offset (binary search: deliveries add thousands). */
function insertionPoint(list: readonly { offset: number }[], offset: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid].offset < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
