// The unallocated pool (issue S3, part 4–5): fixed-size encrypted segments in <data-dir>/pool, each
// entered in the ledger only once it is durable, so a crash never counts a half-written segment.
import { mkdirSync, readdirSync } from 'node:fs';
import { StationFailure } from '../../../src-shared/api/result';
import type { DamagedChunk, EntropyLabel, PoolStatus, ScrubResult, SegmentPage, SegmentView } from '../../../src-shared/api/pool';
import type { Ledger } from '../../../src-node/ledger/ledger';
import type { MasterKey } from '../../../src-node/psrd-store/master-key';
import { workerSealer, type ChunkSealer } from '../../../src-node/psrd-store/chunk-sealer';
import { PoolState, liveBytes, type SegmentRecord } from './pool-state';
import { existsSync } from 'node:fs';
import { gaps, overlaps, type PsrdRange } from '../../../src-shared/psrd/range';
import { formatBytes } from '../../../src-shared/psrd/size';
import { ioReason } from '../../../src-node/io-reason';
import { PARTIAL, ScrubBuffers, SegmentWriter, destroyRange, destroySegmentFiles, discardSegmentFiles, keysPath, overwriteAndUnlink, rangeIsErased, readRange, readRangeAhead, scrubSegment, segmentPath } from '../../../src-node/psrd-store/segment-file';

/** What the pool needs from the entropy side: conditioned bytes and the provenance to record with them. */
export interface EntropyStream {
  /** Fills target with conditioned bytes, or rejects (a StationFailure saying why). */
  readInto(target: Uint8Array): Promise<void>;
  provenance(): { readonly label: EntropyLabel; readonly sources: readonly string[]; readonly detail: Readonly<Record<string, unknown>> };
}

export interface PoolPolicy {
  /** Size of a full segment; the last segment of a generation may be shorter. */
  readonly segmentBytes: number;
  /** Encryption unit inside a segment, and the granularity of whole-key crypto-erase. */
  readonly chunkBytes: number;
  /** Unallocated segments older than this are refreshed (spec §10: "e.g. six months"). */
  readonly refreshAfterDays: number;
  readonly lowWaterBytes: number;
}

export const defaultPolicy: PoolPolicy = { segmentBytes: 64 << 20, chunkBytes: 1 << 20, refreshAfterDays: 183, lowWaterBytes: 256 << 20 };

export interface GenerateProgress {
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export interface GenerateOptions {
  /** The job's id, recorded with every entry of this generation. */
  readonly job: string;
  /** The interrupted generation this one finishes. */
  readonly resumes?: string;
  /** Who asked, for the ledger. */
  readonly actor?: Readonly<Record<string, string>>;
  readonly onProgress?: (p: GenerateProgress) => void;
  /** Throws when the job was cancelled; called before each chunk. */
  readonly checkCancelled?: () => void;
}

export interface ScrubOptions {
  /** Who asked, for the ledger. */
  readonly actor?: Readonly<Record<string, string>>;
  /** Bytes checked so far, after each chunk. */
  readonly onProgress?: (bytesDone: number) => void;
  /** Throws when the job was cancelled; called after each chunk. */
  readonly checkCancelled?: () => void;
}

const DAY_MS = 86_400_000;
const METHOD = 'crypto-erase of chunk keys + best-effort overwrite';
/** Damaged chunks a scrub lists (in its result and its ledger entry); beyond this it counts them only. */
const MAX_DAMAGE_LISTED = 1000;
/** Finished segments whose fsync may still be running while the next is generated. */
const UNSYNCED_SEGMENTS = 2;

export class Pool {
  readonly state = new PoolState();
  private chunkSealer: ChunkSealer | undefined;

  constructor(
    readonly dir: string,
    private readonly ledger: Ledger,
    private readonly masterKey: MasterKey | undefined,
    readonly policy: PoolPolicy,
    private readonly now: () => Date = () => new Date(),
  ) {
    // Opened to read only (status, show, verify), the station creates nothing and holds no master key.
    if (masterKey) mkdirSync(dir, { recursive: true, mode: 0o700 });
    ledger.restore(this.state);
  }

  /**
   * Brings the files on disk into agreement with the ledger after a crash: partial and unrecorded
   * segments are erased (they were never counted), destructions that were recorded are finished,
   * and generation jobs that never ended are marked interrupted with the bytes they did commit.
   */
  recover(): void {
    const onDisk = new Set<string>();
    const strangers: string[] = [];
    for (const name of readdirSync(this.dir)) {
      const m = /^(seg-[0-9a-f]{24})\.(seg|keys)(\.partial)?$/.exec(name);
      if (!m) continue;
      onDisk.add(m[1]);
      if (!this.state.segments.has(m[1]) && !this.state.jobs.has(jobOfSegment(m[1]))) strangers.push(name);
    }
    // Recovery erases only what the ledger says this station was writing; anything else it cannot
    // explain stops the station, so that nobody's PSRD is destroyed on a damaged ledger's say-so.
    if (strangers.length > 0) {
      throw new StationFailure('ledger-corrupt', `The pool holds ${strangers.length === 1 ? `a file (${strangers[0]})` : `${strangers.length} files (${strangers.slice(0, 3).join(', ')}${strangers.length > 3 ? ', …' : ''})`} that the ledger does not record; the station will not start and destroys nothing. Restore the ledger, or move the file out of ${this.dir}.`);
    }
    for (const id of onDisk) {
      const rec = this.state.segments.get(id);
      if (!rec) {
        // Never counted, so unlinked even where an overwrite fails (a full disk); what stays is retried at the next start.
        if (discardSegmentFiles(this.dir, id).length > 0) continue;
        this.ledger.append('pool.partial-segment-discarded', { segment: id, job: jobOfSegment(id), reason: 'not finished before the station stopped' }, this.now);
      } else if (rec.state === 'destroyed') {
        destroySegmentFiles(this.dir, id);
      } else {
        // A recorded segment can still have a stale .partial twin only if renaming raced a crash; erase it.
        destroyPartialOnly(this.dir, id);
      }
    }
    for (const s of this.state.unallocated()) {
      if (existsSync(segmentPath(this.dir, s.id)) && existsSync(keysPath(this.dir, s.id))) continue;
      this.ledger.append('pool.segment-lost', { segment: s.id, bytes: s.bytes, reason: 'its files are missing from the data directory' }, this.now);
    }
    this.redoRangeDestructions();
    for (const job of this.state.jobs.values()) {
      if (job.state === 'running') this.ledger.append('pool.generation-interrupted', { job: job.job, bytesDone: job.bytesDone, bytesRemaining: job.bytes - job.bytesDone }, this.now);
    }
  }

  /**
   * Finishes every recorded range destruction not yet marked done (idempotent): one cut short by a crash,
   * or whose file step failed after its ledger entry. A chunk torn by a crash between its new ciphertext
   * and its new key is erased whole, and the bytes that went with it are recorded as destroyed too.
   */
  private redoRangeDestructions(): void {
    if (this.state.pending.size === 0) return;
    const redone: number[] = [];
    for (const p of [...this.state.pending.values()]) {
      const s = this.state.segments.get(p.segment);
      if (s?.state === 'unallocated') redone.push(...this.eraseRecorded(s, p.offset, p.length, 'torn by a crash'));
      redone.push(p.seq);
    }
    this.ledger.append('pool.destruction-done', { entries: redone }, this.now);
  }

  /**
   * The file work of one recorded range destruction, robust to damage: a chunk that no longer decrypts
   * (torn by a crash, or damaged on disk) is erased whole and the bytes lost with it are recorded; a
   * segment whose files cannot be read at all (a key table cut short, a file missing) is destroyed whole
   * and recorded so, rather than stopping the station. Returns the seqs of the entries it added.
   */
  private eraseRecorded(s: SegmentRecord, offset: number, length: number, how: string): number[] {
    const added: number[] = [];
    let torn: number[];
    try {
      torn = destroyRange(this.dir, s.id, this.master, offset, length, true);
    } catch (e) {
      const why = e instanceof StationFailure ? e.message : 'its files cannot be read';
      this.ledger.append('pool.segment-destroyed', { segment: s.id, bytes: s.bytes, reason: `its files are damaged (${why}); destroyed whole while destroying a range in it`, method: METHOD }, this.now);
      destroySegmentFiles(this.dir, s.id);
      return added;
    }
    for (const index of torn) {
      const start = index * s.chunkBytes;
      for (const gap of gaps(start, Math.min(start + s.chunkBytes, s.bytes), s.erased)) {
        added.push(this.ledger.append('pool.range-destroyed', { segment: s.id, offset: gap.offset, length: gap.length, reason: `lost with a chunk ${how} during range destruction`, method: METHOD }, this.now).seq);
      }
    }
    return added;
  }

  status(): PoolStatus {
    const unalloc = this.state.unallocated();
    const cutoff = this.now().getTime() - this.policy.refreshAfterDays * DAY_MS;
    const total = unalloc.reduce((a, s) => a + liveBytes(s), 0);
    return {
      unallocatedBytes: total,
      segmentCount: unalloc.length,
      segmentSize: this.policy.segmentBytes,
      lowWaterBytes: this.policy.lowWaterBytes,
      belowLowWater: total < this.policy.lowWaterBytes,
      expiredSegments: unalloc.filter((s) => Date.parse(s.createdAt) < cutoff).length,
      computationalBytes: unalloc.filter((s) => s.label === 'computational').reduce((a, s) => a + liveBytes(s), 0),
    };
  }

  /** One page of unallocated segments, oldest first. */
  segments(offset: number, limit: number): SegmentPage {
    const unalloc = this.state.unallocated();
    return { total: unalloc.length, offset, segments: unalloc.slice(offset, offset + limit).map(view) };
  }

  /**
   * Generates `bytes` of PSRD into new segments; each segment enters the ledger only once durable. The
   * fsyncs of up to UNSYNCED_SEGMENTS finished segments overlap the generation of the next ones, so the
   * disk and the CPU work side by side; segments are recorded in the order they were written.
   */
  async generate(stream: EntropyStream, bytes: number, opts: GenerateOptions): Promise<{ job: string; segmentIds: string[] }> {
    const { job, resumes, onProgress, checkCancelled, actor } = opts;
    const prov = stream.provenance();
    this.ledger.append('pool.generation-started', { job, bytes, sources: prov.sources, label: prov.label, ...(resumes ? { resumes } : {}), ...(actor ? { actor } : {}) }, this.now);
    const segmentIds: string[] = [];
    let done = 0;
    // Finished segments not yet recorded: each stays here until its pool.segment-added entry is written.
    const finishing: { writer: SegmentWriter; durable: Promise<void>; unsure?: boolean }[] = [];
    let current: { id: string; writer?: SegmentWriter } | undefined;
    const commitOldest = async (): Promise<void> => {
      const f = finishing[0];
      await f.durable;
      try {
        this.ledger.append('pool.segment-added', { segment: f.writer.id, bytes: f.writer.bytes, chunkBytes: this.policy.chunkBytes, job, label: prov.label, sources: prov.sources, provenance: prov.detail }, this.now);
      } catch (e) {
        // A full disk refuses the entry cleanly (the ledger says nothing was changed). Any other ledger
        // failure may leave the entry for the next start to complete: then the files must stay for recovery.
        if (!(e instanceof StationFailure && e.code === 'disk-full')) f.unsure = true;
        throw e;
      }
      finishing.shift();
      segmentIds.push(f.writer.id);
      done += f.writer.bytes;
    };
    let written = 0;
    let index = 0;
    try {
      while (written < bytes) {
        const segBytes = Math.min(this.policy.segmentBytes, bytes - written);
        current = { id: segmentOfJob(job, index++) };
        const writer = await SegmentWriter.create(this.dir, current.id, this.policy.chunkBytes, this.master, this.sealer());
        current.writer = writer;
        for (let off = 0; off < segBytes; off += this.policy.chunkBytes) {
          checkCancelled?.();
          const n = Math.min(this.policy.chunkBytes, segBytes - off);
          // The entropy goes straight into the sealer's buffer, which appendChunk hands to it without a copy.
          const chunk = writer.chunkBuffer().subarray(0, n);
          try {
            await stream.readInto(chunk);
          } catch (e) {
            writer.releaseBuffer(chunk);
            throw e;
          }
          await writer.appendChunk(chunk);
          onProgress?.({ bytesDone: written + off + n, bytesTotal: bytes });
        }
        const durable = writer.finish();
        durable.catch(() => undefined); // awaited in commitOldest(); this only keeps an early failure from going unhandled
        finishing.push({ writer, durable });
        current = undefined;
        while (finishing.length > UNSYNCED_SEGMENTS) await commitOldest();
        written += segBytes;
      }
      while (finishing.length > 0) await commitOldest();
    } catch (e) {
      // Segments not yet recorded were never counted: remove every file of them now, finished or not,
      // before anything else (on a full disk this is also what frees the space to record the failure).
      const left: string[] = [];
      if (current) left.push(...(current.writer ? await current.writer.abort() : discardSegmentFiles(this.dir, current.id)));
      for (const f of finishing.splice(0)) {
        await f.durable.catch(() => undefined);
        // A finished segment whose entry the ledger may yet complete stays for recovery to settle.
        if (!f.unsure) left.push(...(await f.writer.abort()));
      }
      const failure = failureAfter(e, segmentIds.length, done, bytes, left);
      try {
        this.ledger.append('pool.generation-failed', { job, bytesDone: done, bytesRemaining: bytes - done, segments: segmentIds.length, code: failure.code, reason: failure.message, ...(left.length ? { notRemoved: left } : {}) }, this.now);
      } catch {
        // The ledger cannot take even this (a full disk): the job stays open in it, and the next start
        // records it interrupted with exactly the bytes of the segments recorded above.
        throw new StationFailure(failure.code, `${failure.message} The ledger could not record the failure; the next start records this generation as interrupted.`);
      }
      throw failure;
    }
    this.ledger.append('pool.generation-finished', { job, bytes, segments: segmentIds.length }, this.now);
    return { job, segmentIds };
  }

  /**
   * The segments to scrub, fixed when the scrub starts (a generation beside it adds new segments, which
   * it leaves alone), and the bytes it will check: every chunk not destroyed whole.
   */
  scrubPlan(): { segments: SegmentRecord[]; bytes: number } {
    const segments = this.state.unallocated();
    let bytes = 0;
    for (const s of segments) for (let i = 0; i * s.chunkBytes < s.bytes; i++) if (!chunkErased(s, i)) bytes += Math.min(s.chunkBytes, s.bytes - i * s.chunkBytes);
    return { segments, bytes };
  }

  /**
   * Checks the authentication tag of every chunk of the planned segments (read-only on the pool: nothing
   * is destroyed or repaired) and records the result as `pool.scrubbed`. A scrub stopped before the end
   * (cancelled, or failing) records what it had checked as `pool.scrub-stopped`.
   */
  async scrub(plan: { segments: readonly SegmentRecord[] }, opts: ScrubOptions = {}): Promise<ScrubResult> {
    const master = this.master;
    const bufs = new ScrubBuffers();
    const damaged: DamagedChunk[] = [];
    let damagedCount = 0;
    let segments = 0;
    let chunks = 0;
    let bytes = 0;
    const totals = (): ScrubResult => ({ segments, chunks, bytes, damaged: [...damaged], damagedCount });
    const actor = opts.actor ? { actor: opts.actor } : {};
    try {
      for (const planned of plan.segments) {
        const s = this.state.segments.get(planned.id);
        if (!s || s.state !== 'unallocated') continue; // destroyed since the scrub started: nothing left to check
        const found = await scrubSegment(this.dir, s.id, master, { chunkBytes: s.chunkBytes, plainBytes: s.bytes }, bufs, {
          erased: (i) => chunkErased(s, i),
          checked: (_i, n) => {
            chunks++;
            bytes += n;
            opts.onProgress?.(bytes);
            opts.checkCancelled?.();
          },
        });
        segments++;
        damagedCount += found.length;
        for (const d of found) if (damaged.length < MAX_DAMAGE_LISTED) damaged.push({ segment: s.id, ...d });
      }
    } catch (e) {
      const f = e instanceof StationFailure ? e : new StationFailure('internal', 'The scrub stopped on an unexpected error.');
      try {
        this.ledger.append('pool.scrub-stopped', { ...totals(), code: f.code, ...actor }, this.now);
      } catch {
        // The ledger refused (a full disk): the job's end is what remains of it.
      }
      throw f;
    }
    const result = totals();
    this.ledger.append('pool.scrubbed', { ...result, ...actor }, this.now);
    return result;
  }

  /** Whether the station holds its master key (it was not opened to read only). */
  get canRead(): boolean {
    return this.masterKey !== undefined;
  }

  private get master(): MasterKey {
    if (!this.masterKey) throw new StationFailure('read-only', 'The station was opened to read only; the pool cannot be changed or read.');
    return this.masterKey;
  }

  /** The worker that encrypts and writes chunks, started on first use. */
  private sealer(): ChunkSealer {
    if (this.chunkSealer?.dead) this.chunkSealer = undefined; // a worker that died is replaced, not reused
    this.chunkSealer ??= workerSealer(this.policy.chunkBytes);
    return this.chunkSealer;
  }

  async close(): Promise<void> {
    await this.chunkSealer?.close();
    this.chunkSealer = undefined;
  }

  /** Destroys (crypto-erase + overwrite) unallocated segments older than the refresh age. */
  destroyExpired(actor?: Readonly<Record<string, string>>): { destroyedSegments: number; destroyedBytes: number } {
    const cutoff = this.now().getTime() - this.policy.refreshAfterDays * DAY_MS;
    let n = 0;
    let bytes = 0;
    for (const s of this.state.unallocated()) {
      if (Date.parse(s.createdAt) >= cutoff) continue;
      bytes += liveBytes(s);
      this.destroySegment(s, 'expired', actor);
      n++;
    }
    return { destroyedSegments: n, destroyedBytes: bytes };
  }

  /** The ledger records the destruction first; recovery finishes it if the station stops midway. */
  destroySegment(s: SegmentRecord, reason: string, actor?: Readonly<Record<string, string>>): void {
    this.ledger.append('pool.segment-destroyed', { segment: s.id, bytes: s.bytes, reason, method: METHOD, ...(actor ? { actor } : {}) }, this.now);
    destroySegmentFiles(this.dir, s.id);
  }

  /** Crypto-erases a range inside an unallocated segment; ledger first, and recovery redoes it after a crash. */
  destroyRange(segmentId: string, offset: number, length: number, reason: string): void {
    this.destroyRanges([{ segment: segmentId, offset, length }], reason);
  }

  /**
   * Crypto-erases ranges inside unallocated segments: each recorded first (`pool.range-destroyed`), then
   * its chunk keys erased and ciphertext overwritten, then all marked done (`pool.destruction-done`).
   * A crash or an I/O failure between the two leaves them pending, and the next start finishes them.
   */
  destroyRanges(ranges: readonly PsrdRange[], reason: string, allocation?: string): void {
    for (const [i, r] of ranges.entries()) {
      const s = this.state.segments.get(r.segment);
      if (!s || s.state !== 'unallocated') throw new StationFailure('bad-request', `Segment ${r.segment} is not in the unallocated pool.`);
      if (!Number.isSafeInteger(r.offset) || !Number.isSafeInteger(r.length) || r.offset < 0 || r.length <= 0 || r.offset + r.length > s.bytes) {
        throw new StationFailure('bad-request', 'The range to destroy lies outside the segment.');
      }
      if (s.erased.some((e) => overlaps(e, r)) || ranges.slice(0, i).some((o) => o.segment === r.segment && overlaps(o, r))) throw new StationFailure('bad-request', 'Part of that range is already destroyed.');
    }
    void this.master; // a station opened to read only refuses here, before anything is recorded
    const seqs = ranges.map((r) => this.ledger.append('pool.range-destroyed', { segment: r.segment, offset: r.offset, length: r.length, reason, method: METHOD, ...(allocation ? { allocation } : {}) }, this.now).seq);
    for (const r of ranges) {
      const s = this.state.segments.get(r.segment)!;
      // Destroyed whole already (its files were damaged, found by an earlier range of this call): nothing left to do.
      if (s.state === 'unallocated') seqs.push(...this.eraseRecorded(s, r.offset, r.length, 'that failed its integrity check'));
    }
    this.ledger.append('pool.destruction-done', { entries: seqs }, this.now);
  }

  /** Whether a range is really gone from the segment's files (ledger reconcile --deep). */
  erasedOnDisk(r: PsrdRange): boolean {
    return rangeIsErased(this.dir, r.segment, this.master, r.offset, r.length);
  }

  /** Streams plaintext of an unallocated segment range, one chunk at a time; callers wipe each piece. */
  read(segmentId: string, offset: number, length: number): Generator<Buffer> {
    this.checkReadable(segmentId, offset, length);
    return readRange(this.dir, segmentId, this.master, offset, length);
  }

  /**
   * The same, with the next chunks read on the thread pool while one is decrypted (segment-file.ts,
   * readRangeAhead): what a delivery streams. Each piece is valid until the next is asked for, and is
   * wiped then by the reader, whose buffer it is.
   */
  readAhead(segmentId: string, offset: number, length: number): AsyncGenerator<Uint8Array> {
    this.checkReadable(segmentId, offset, length);
    return poolReadFailures(segmentId, readRangeAhead(this.dir, segmentId, this.master, offset, length));
  }

  private checkReadable(segmentId: string, offset: number, length: number): void {
    const s = this.state.segments.get(segmentId);
    if (!s || s.state !== 'unallocated') throw new StationFailure('bad-request', `Segment ${segmentId} is not in the unallocated pool.`);
    if (s.erased.some((r) => offset < r.offset + r.length && r.offset < offset + length)) throw new StationFailure('bad-request', 'Part of that range has been destroyed.');
  }
}

/**
 * A segment's id names the generation job that wrote it (`seg-` + the job's 16 hex digits + a counter),
 * so that recovery can tell this station's unfinished segments (whose job the ledger records) from
 * files it knows nothing of, without an extra ledger entry per segment.
 */
export function segmentOfJob(job: string, index: number): string {
  return `seg-${job.slice('job-'.length)}${index.toString(16).padStart(8, '0')}`;
}

function jobOfSegment(id: string): string {
  return `job-${id.slice('seg-'.length, 'seg-'.length + 16)}`;
}

/**
 * A failure of the pool's own files while a delivery streams them, said as such: an errno from here
 * must not reach a carrier, which would take it for a fault of the medium ("unplugged").
 */
async function* poolReadFailures(segment: string, inner: AsyncGenerator<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield* inner;
  } catch (e) {
    if (e instanceof StationFailure) throw e;
    throw new StationFailure('io', `The pool's segment ${segment} cannot be read (${ioReason(e)}); nothing of it was delivered. Check the data directory, and run \`dske-station pool scrub\`.`);
  }
}

function view(s: SegmentRecord): SegmentView {
  return { id: s.id, bytes: s.bytes, liveBytes: liveBytes(s), createdAt: s.createdAt, state: s.state, label: s.label, sources: s.sources };
}

function asFailure(e: unknown): StationFailure {
  if (e instanceof StationFailure) return e;
  const err = e as { code?: unknown; message?: unknown };
  if (typeof err?.code === 'string' && err.code === 'ENOSPC') return new StationFailure('disk-full', 'The disk is full.');
  return new StationFailure('internal', `Generation stopped: ${String(err?.message ?? e)}`);
}

/**
 * The failure a stopped generation reports. A full disk (whether a segment or the ledger hit it) is
 * told with exactly what the ledger records as added, so the result and the ledger say the same.
 */
function failureAfter(e: unknown, segments: number, done: number, bytes: number, left: readonly string[]): StationFailure {
  const f = asFailure(e);
  const leftover = left.length > 0 ? ` ${left.length} file(s) of unfinished segments could not be removed (${left.slice(0, 3).join(', ')}${left.length > 3 ? ', …' : ''}); the next start removes them.` : '';
  if (f.code !== 'disk-full') return leftover ? new StationFailure(f.code, f.message + leftover) : f;
  const added = segments === 0 ? 'The disk filled up before any segment was finished; nothing was added to the pool' : `The disk filled up after ${segments} segment${segments === 1 ? ' was' : 's were'} added to the pool (${formatBytes(done)}, ${done} bytes)`;
  return new StationFailure('disk-full', `${added}; the rest (${formatBytes(bytes - done)}) was not generated. Free space and resume the generation.${leftover}`);
}

/** A chunk the ledger records as destroyed whole (its key is erased): a scrub neither reads nor counts it. */
function chunkErased(s: SegmentRecord, index: number): boolean {
  const start = index * s.chunkBytes;
  const end = Math.min(start + s.chunkBytes, s.bytes);
  return gaps(start, end, s.erased).length === 0;
}

function destroyPartialOnly(dir: string, id: string): void {
  overwriteAndUnlink(keysPath(dir, id) + PARTIAL);
  overwriteAndUnlink(segmentPath(dir, id) + PARTIAL);
}
