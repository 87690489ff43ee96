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

export class PoolState implements Fold {
  readonly name = 'pool';
  readonly segments = new Map<string, SegmentRecord>();
  readonly jobs = new Map<string, JobRecord>();

  save(): unknown {
    return { segments: [...this.segments.values()], jobs: [...this.jobs.values()] };
  }

  load(state: unknown): void {
    const s = state as { segments: SegmentRecord[]; jobs: JobRecord[] };
    for (const r of s.segments) this.segments.set(r.id, r);
    for (const j of s.jobs) this.jobs.set(j.job, j);
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
          s.erased.push({ offset: Number(d.offset), length: Number(d.length) });
          s.erased.sort((a, b) => a.offset - b.offset);
        }
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
