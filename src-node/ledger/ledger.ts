// The station's append-only, hash-chained ledger (docs/DESIGN.md: "fsynced before the step's effect is
// visible"). One JSON line per entry in <data-dir>/ledger.jsonl; its end anchored by the authenticated
// head (head.ts). It does not hold its entries in memory: what the station needs from them — the pool,
// the accounts, the latches, the jobs — are folds (fold.ts) that see every entry once and are saved in a
// snapshot (snapshot.ts), so that opening reads the snapshot and the entries after it. Reads for people
// (the newest entries, a page from a sequence number) seek in the file; `verify` reads it all, in pieces.
import { createHash, type Hash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { StationFailure } from '../../src-shared/api/result';
import { CHECKPOINT_FORMAT, type Checkpoint, type CheckpointVerification } from '../../src-shared/ledger/checkpoint';
import { validateEntry } from '../../src-shared/ledger/catalogue';
import { consistencyProof, leafHash, rootHash, verifyConsistency } from '../../src-shared/ledger/merkle';
import { fsyncDir } from '../atomic-file';
import { ioReason } from '../io-reason';
import type { AuditKey } from './audit-key';
import { checkLine, digestRange, scanLines, START, walkChain, type Walk } from './chain';
import { GENESIS, canonicalJson, entryHash, parseLine, serialize, type LedgerData, type LedgerEntry } from './entry';
import type { Fold } from './fold';
import { LedgerHead, type HeadState } from './head';
import { LEDGER_FILE, LedgerFiles, type ByteSource } from './files';
import { walkOnWorker } from './verify-worker';
import { readSnapshot, writeSnapshot, type Snapshot } from './snapshot';

export { LEDGER_FILE } from './files';
/** The active file is sealed and a new one begun once it holds this much (station.json `ledger.rollBytes`). */
export const DEFAULT_ROLL_BYTES = 256 << 20;
/** A snapshot is written after this many appends (and when the ledger closes). */
export const SNAPSHOT_EVERY = 10_000;

export interface Verification {
  readonly ok: boolean;
  readonly entries: number;
  readonly head: string;
  readonly problem?: string;
}

export type LedgerListener = (entry: LedgerEntry) => void;

interface Position {
  count: number;
  /** The last entry's time: entries are kept in time order (a clock set back does not reorder them). */
  lastTime: string;
  last: string;
  prevOfLast: string;
  /** Bytes of whole, durable entries: where the next entry is written. */
  size: number;
}

export class Ledger {
  private readonly listeners = new Set<LedgerListener>();
  private readonly folds = new Map<string, Fold>();
  /** Each fold's listener gets where the appended entry's line starts too. */
  private readonly foldListeners = new Set<(e: LedgerEntry, offset: number) => void>();
  private broken = false;
  private sinceSnapshot = 0;

  private constructor(
    readonly path: string,
    private readonly files: LedgerFiles,
    private readonly authHead: LedgerHead,
    private readonly at: Position,
    private readonly snapshot: Snapshot | undefined,
    private readonly readOnly: boolean,
    /** SHA-256 of every byte of the file so far, kept current with each append (snapshots record it). */
    private readonly digest: Hash,
    private readonly rollBytes: number,
  ) {}

  /**
   * Opens the ledger in dir: the chain after the snapshot (or all of it, without one) verified entry by
   * entry, its end checked against the authenticated head; refuses a broken chain, a cut, emptied or
   * rewritten ledger. With `create`, a directory with neither ledger nor head gets a new, empty pair.
   * Read-only, it creates and repairs nothing: an append that a crash left pending is taken as the head
   * says, in memory only.
   */
  static open(dir: string, now: () => Date, opts: { auditKey: AuditKey; readOnly?: boolean; create?: boolean; rollBytes?: number }): Ledger {
    const path = join(dir, LEDGER_FILE);
    const ledgerThere = LedgerFiles.exists(dir);
    const headThere = LedgerHead.exists(dir);
    const roll = opts.rollBytes ?? DEFAULT_ROLL_BYTES;
    if (!ledgerThere && !headThere) {
      if (!opts.create || opts.readOnly) throw new StationFailure('no-data-dir', `There is no station ledger in ${dir}.`);
      // The head first: a crash before the ledger file exists leaves a head for an empty ledger, which opens.
      const head = LedgerHead.open(dir, opts.auditKey, { create: true });
      // Both slots, so that the file holds its full size from the start and later writes need no new blocks.
      head.write({ count: 0, hash: GENESIS, prev: GENESIS, state: 'committed' });
      head.write({ count: 0, hash: GENESIS, prev: GENESIS, state: 'committed' });
      const files = LedgerFiles.open(dir);
      fsyncDir(dir);
      return new Ledger(path, files, head, { count: 0, lastTime: '', last: GENESIS, prevOfLast: GENESIS, size: 0 }, undefined, false, createHash('sha256'), roll);
    }
    if (!headThere) throw new StationFailure('ledger-corrupt', "The ledger's authenticated head (ledger.head) is missing, so a shortened or rewritten ledger could not be told apart; the station will not start. Restore the data directory from a backup.");
    if (!ledgerThere) {
      // Only a crash between writing a new station's head and creating its ledger leaves this, and only with an empty head.
      const head = LedgerHead.open(dir, opts.auditKey, { readOnly: true });
      const recorded = head.state?.count;
      head.close();
      if (recorded !== 0) throw new StationFailure('ledger-corrupt', `The ledger file is missing, but its authenticated head says the station recorded ${recorded ?? 'some'} entries; the station will not start. Restore the data directory from a backup.`);
      if (opts.readOnly) throw new StationFailure('no-data-dir', `There is no station ledger in ${dir}.`);
    }
    const head = LedgerHead.open(dir, opts.auditKey, { readOnly: opts.readOnly });
    let files: LedgerFiles | undefined;
    try {
      files = LedgerFiles.open(dir, { readOnly: opts.readOnly });
      const size = files.size;
      const snapshot = matchingSnapshot(files, size, readSnapshot(dir, opts.auditKey), head.state);
      const digest = createHash('sha256');
      if (snapshot && digestRange(files, 0, snapshot.end, digest).copy().digest('hex') !== snapshot.digest) {
        // Something before the snapshot changed: walk it all, so that the refusal names the entry.
        const full = walkChain(files, 0, size, START);
        throw new StationFailure('ledger-corrupt', `The ledger failed verification: ${full.ok ? 'it was changed since the station last recorded its state' : full.problem}.`);
      }
      const from = snapshot ? { seq: snapshot.count, prev: snapshot.hash, prevOfPrev: snapshot.prev } : START;
      const walk = walkChain(files, snapshot?.end ?? 0, size, from, undefined, undefined, digest);
      const end = reconcileEnd(head.state, from.seq, walk);
      if (!end.ok) throw new StationFailure('ledger-corrupt', `The ledger failed verification: ${end.problem}.`);
      const ledger = new Ledger(path, files, head, { count: end.count, lastTime: '', last: end.last, prevOfLast: end.prevOfLast, size: walk.end }, snapshot, opts.readOnly === true, digest, roll);
      ledger.at.lastTime = end.count > 0 ? (ledger.page(end.count - 1, 1)[0]?.time ?? '') : '';
      if (opts.readOnly) return ledger;
      if (walk.tornBytes > 0) files.truncate(walk.end);
      if (end.action !== 'none') head.write({ count: end.count, hash: end.last, prev: end.prevOfLast, state: 'committed' });
      if (walk.tornBytes > 0) ledger.append('ledger.torn-tail-removed', { bytes: walk.tornBytes }, now);
      return ledger;
    } catch (e) {
      files?.close();
      head.close();
      throw e;
    }
  }

  /**
   * Brings a fold up to date — from the snapshot's saved state and the entries after it, or from the
   * first entry when the snapshot does not hold it — and keeps it so with every append.
   */
  restore(fold: Fold): void {
    if (this.folds.has(fold.name)) throw new Error(`fold ${fold.name} restored twice`);
    const saved = this.snapshot?.folds[fold.name];
    let from = 0;
    let start: { seq: number; prev: string; prevOfPrev: string } = START;
    if (saved !== undefined && this.snapshot) {
      try {
        fold.load(saved); // a fold refuses (throws, changing nothing) a state it does not know: it is rebuilt from the log
        from = this.snapshot.end;
        start = { seq: this.snapshot.count, prev: this.snapshot.hash, prevOfPrev: this.snapshot.prev };
      } catch {
        from = 0;
      }
    }
    const w = walkChain(this.files, from, this.at.size, start, (e, offset) => fold.apply(e, offset));
    if (!w.ok) throw new StationFailure('ledger-corrupt', `The ledger failed verification: ${w.problem}.`);
    this.folds.set(fold.name, fold);
    this.foldListeners.add((e, offset) => fold.apply(e, offset));
  }

  /** Appends and fsyncs one entry; only after this returns may the step's effect become visible. */
  append(type: string, data: LedgerData, now: () => Date = () => new Date()): LedgerEntry {
    if (this.readOnly) throw new StationFailure('read-only', 'This command only reads the station; it cannot record anything.');
    if (this.broken) throw new StationFailure('ledger-write', 'The ledger could not be repaired after a failed write; restart the station, which settles the last entry.');
    const { count: seq, last: prev, prevOfLast, size } = this.at;
    // Never before the last entry: a clock set back must not reorder the ledger (time queries rely on its order).
    const clock = now().toISOString();
    const time = clock < this.at.lastTime ? this.at.lastTime : clock;
    // Hash exactly what is stored: the canonical JSON of the stored copy, not the caller's object
    // (a Date or an undefined inside an array would serialize differently from how it hashed).
    canonicalJson(data); // refuses raw bytes, bigints and non-finite numbers in what the caller gave
    const stored = JSON.parse(JSON.stringify(data)) as LedgerData;
    const valid = validateEntry(type, stored); // the stored copy must be of its type's shape (src-shared/ledger/catalogue.ts)
    if (!valid.ok) throw new TypeError(`ledger entry ${type}: ${valid.reason}`);
    const hash = entryHash(prev, seq, time, type, stored);
    const entry: LedgerEntry = Object.freeze({ seq, time, type, data: stored, prev, hash });
    const line = Buffer.from(serialize(entry), 'utf8');
    // Pending in the head, then the entry, then committed: see head.ts for why a crash anywhere is safe.
    try {
      this.authHead.write({ count: seq + 1, hash, prev, state: 'pending' });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code === 'ENOSPC' ? 'disk-full' : 'ledger-write';
      throw new StationFailure(code, `The ledger could not be written (${ioReason(e)}); nothing was changed.`);
    }
    try {
      this.files.append(line);
    } catch (e) {
      // Leave no partial line behind: the entry did not happen.
      try {
        this.files.truncate(size);
        this.authHead.write({ count: seq, hash: prev, prev: prevOfLast, state: 'committed' });
      } catch {
        // Whether the entry happened is now for the next start to settle (from the pending head): say so.
        this.broken = true;
        throw new StationFailure('ledger-write', `The ledger could not be written (${ioReason(e)}) and could not be put back; restart the station, which settles the last entry.`);
      }
      const code = (e as NodeJS.ErrnoException).code === 'ENOSPC' ? 'disk-full' : 'ledger-write';
      throw new StationFailure(code, `The ledger could not be written (${ioReason(e)}); nothing was changed.`);
    }
    try {
      this.authHead.write({ count: seq + 1, hash, prev, state: 'committed' });
    } catch (e) {
      // The entry is durable and the head says it is pending: the next start completes it. Until then, append nothing.
      this.broken = true;
      throw new StationFailure('ledger-write', `The ledger could not be written (${ioReason(e)}); restart the station.`);
    }
    Object.assign(this.at, { count: seq + 1, lastTime: time, last: hash, prevOfLast: prev, size: size + line.length });
    this.digest.update(line);
    for (const f of this.foldListeners) f(entry, size);
    for (const l of this.listeners) l(entry);
    if (++this.sinceSnapshot >= SNAPSHOT_EVERY) this.saveSnapshot();
    try {
      this.files.rollIfFull(this.rollBytes);
    } catch {
      // Not sealed now (a full disk, say): the active file goes on, and the next append tries again.
    }
    return entry;
  }

  /** The key that authenticates this ledger's head; the station MACs its other records with it too. */
  get auditKey(): AuditKey {
    return this.authHead.key;
  }

  /** False when opened to read only: nothing can be appended. */
  get writable(): boolean {
    return !this.readOnly;
  }

  /** How many entries the ledger holds. */
  get length(): number {
    return this.at.count;
  }

  head(): string {
    return this.at.last;
  }

  /** Every entry, read from the file: for tests and small ledgers — the station itself reads through folds and pages. */
  entries(): readonly LedgerEntry[] {
    const out: LedgerEntry[] = [];
    const w = walkChain(this.files, 0, this.at.size, START, (e) => out.push(e));
    if (!w.ok) throw new StationFailure('ledger-corrupt', `The ledger failed verification: ${w.problem}.`);
    return out;
  }

  /** Up to `limit` entries from sequence number `fromSeq` on, read from the file without reading what comes before. */
  page(fromSeq: number, limit: number): LedgerEntry[] {
    const out: LedgerEntry[] = [];
    if (fromSeq >= this.at.count || limit <= 0) return out;
    scanLines(this.files, this.offsetOf(Math.max(0, fromSeq)), this.at.size, (line) => {
      const e = parseLine(line.toString('utf8'));
      if (e) out.push(e);
      return out.length < limit;
    });
    return out;
  }

  /** The entry whose line starts at `offset` (an index's answer), checked to be entry `seq`. */
  readAt(offset: number, seq: number): LedgerEntry | undefined {
    let found: LedgerEntry | undefined;
    if (offset < 0 || offset >= this.at.size) return undefined;
    scanLines(this.files, offset, this.at.size, (line) => {
      const e = parseLine(line.toString('utf8'));
      found = e?.seq === seq ? e : undefined;
      return false;
    });
    return found;
  }

  /** Where entry `seq`'s line starts. */
  offsetOf(seq: number): number {
    return this.firstLineWhere((e) => e.seq >= seq);
  }

  /** Where the first entry at or after `time` (ISO 8601) starts: entries are in time order. */
  offsetOfTime(time: string): number {
    return this.firstLineWhere((e) => e.time >= time);
  }

  /** Where the first entry for which `reached` holds starts (it must hold from some entry on): a binary search over the file, then a short scan. */
  private firstLineWhere(reached: (e: LedgerEntry) => boolean): number {
    const at = (start: number): boolean => {
      let yes = true;
      scanLines(this.files, start, this.at.size, (line) => {
        const e = parseLine(line.toString('utf8'));
        yes = e ? reached(e) : true;
        return false;
      });
      return yes;
    };
    let lo = 0; // a line start whose entry has not reached it (or the file's start)
    let hi = this.at.size; // the answer is at or before this
    while (hi - lo > 256 * 1024) {
      const mid = this.nextLineStart(Math.floor((lo + hi) / 2));
      if (mid >= hi) break;
      if (at(mid)) hi = mid;
      else lo = mid;
    }
    let found = hi;
    scanLines(this.files, lo, this.at.size, (line, offset) => {
      const e = parseLine(line.toString('utf8'));
      if (e && !reached(e)) return true;
      found = offset;
      return false;
    });
    return found;
  }

  /** Entries from the line at `offset` on, while `take` says so. */
  scanFrom(offset: number, take: (e: LedgerEntry) => boolean): void {
    scanLines(this.files, offset, this.at.size, (line) => {
      const e = parseLine(line.toString('utf8'));
      return e ? take(e) : false;
    });
  }

  /** The first line start at or after `at` (the byte after the previous newline). */
  private nextLineStart(at: number): number {
    if (at === 0) return 0;
    const buf = Buffer.allocUnsafe(64 * 1024);
    let pos = at - 1;
    while (pos < this.at.size) {
      const n = this.files.read(buf, 0, Math.min(buf.length, this.at.size - pos), pos);
      const nl = buf.subarray(0, n).indexOf(0x0a);
      if (nl >= 0) return pos + nl + 1;
      pos += n;
    }
    return this.at.size;
  }

  onAppend(listener: LedgerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Re-reads the whole file and the authenticated head from disk and checks every entry, and that the
   * chain ends where the head (and, while this process appends, this process) says. Read-only. The
   * check of every line runs on a worker thread (verify-worker.ts), so the station keeps answering
   * while a ledger of millions of entries is checked; `onProgress` hears how many entries are checked,
   * and `cancelled` is asked as it goes.
   */
  async verify(onProgress?: (entries: number, bytes: number, total: number) => void, cancelled?: () => boolean): Promise<Verification> {
    let state: HeadState | undefined;
    try {
      const h = LedgerHead.open(dirname(this.path), this.authHead.key, { readOnly: true });
      state = h.state;
      h.close();
    } catch {
      return { ok: false, entries: 0, head: GENESIS, problem: "the ledger's authenticated head (ledger.head) cannot be read" };
    }
    let files: LedgerFiles;
    try {
      files = LedgerFiles.open(dirname(this.path), { readOnly: true });
    } catch (e) {
      return { ok: false, entries: 0, head: GENESIS, problem: e instanceof StationFailure ? e.message.replace(/^The ledger failed verification: /, '').replace(/\.$/, '') : 'the ledger files cannot be read' };
    }
    try {
      const size = files.size;
      let walk: Walk;
      try {
        const fast = await walkOnWorker(files.files(), onProgress ? (n) => onProgress(n, 0, size) : undefined, cancelled);
        // A line the worker's fast path did not accept: walk it here, which names the problem (or accepts the line) exactly.
        walk = fast.bad ? walkChain(files, 0, size, START) : { ok: true, count: fast.count, last: fast.last, prevOfLast: fast.prevOfLast, end: fast.end, tornBytes: fast.tornBytes };
      } catch (e) {
        if ((e as Error).message === 'cancelled') throw new StationFailure('cancelled', 'The verification was cancelled; nothing was changed.');
        throw e;
      }
      const end = reconcileEnd(state, 0, walk);
      onProgress?.(end.count, size, size);
      if (!end.ok) return { ok: false, entries: end.count, head: end.last, problem: end.problem };
      if (!this.readOnly && end.last !== this.at.last) return { ok: false, entries: end.count, head: end.last, problem: 'the file on disk ends before the last entry this station wrote (truncated)' };
      return { ok: true, entries: end.count, head: end.last };
    } finally {
      files.close();
    }
  }

  /** A checkpoint of the ledger as it stands, authenticated with the audit key, for an auditor to keep. */
  checkpoint(now: () => Date = () => new Date()): Checkpoint {
    if (this.at.count === 0) throw new StationFailure('bad-request', 'The ledger is empty; there is nothing to checkpoint yet.');
    return this.checkpointOf(this.hashes(), now);
  }

  /**
   * A checkpoint for the Security Server, with the RFC 9162 consistency proof from the `from` entries it
   * witnessed before (issue S8, part 5), both from one read of the ledger; null proof when from is null.
   * Refuses a `from` beyond today's ledger: the server witnessed entries this ledger no longer holds.
   */
  witnessCheckpoint(from: number | null, now: () => Date = () => new Date()): { checkpoint: Checkpoint; proof: string[] | null } {
    if (this.at.count === 0) throw new StationFailure('bad-request', 'The ledger is empty; there is nothing to checkpoint yet.');
    const hashes = this.hashes();
    if (from !== null && (from < 1 || from > hashes.length)) throw new StationFailure('ledger-corrupt', `The Security Server witnessed ${from} entries of this ledger, which holds only ${hashes.length}: entries were removed.`);
    const checkpoint = this.checkpointOf(hashes, now);
    if (from === null) return { checkpoint, proof: null };
    const leaves = hashes.map((h) => leafHash(unhex(h)));
    return { checkpoint, proof: consistencyProof(leaves, from, leaves.length).map(hex) };
  }

  /** The RFC 9162 root and chain head of the first treeSize entries (null: the ledger holds fewer), to check what a server says it witnessed. */
  rootOf(treeSize: number): { rootHash: string; chainHead: string } | null {
    const hashes = this.hashes();
    if (treeSize < 1 || treeSize > hashes.length) return null;
    const first = hashes.slice(0, treeSize);
    return { rootHash: hex(rootHash(first.map((h) => leafHash(unhex(h))))), chainHead: first[treeSize - 1] };
  }

  private checkpointOf(hashes: readonly string[], now: () => Date): Checkpoint {
    const body = {
      format: CHECKPOINT_FORMAT as typeof CHECKPOINT_FORMAT,
      version: 1 as const,
      station: hashes[0],
      treeSize: hashes.length,
      rootHash: hex(rootHash(hashes.map((h) => leafHash(unhex(h))))),
      chainHead: hashes[hashes.length - 1],
      time: now().toISOString(),
    };
    return { ...body, mac: this.authHead.key.mac(canonicalJson(body)) };
  }

  /**
   * Whether today's ledger extends a checkpoint taken earlier: the checkpoint is this station's and
   * authentic, and an RFC 9162 consistency proof from its tree to today's verifies.
   */
  verifyAgainst(cp: Checkpoint): CheckpointVerification {
    const hashes = this.hashes();
    const entries = hashes.length;
    const no = (problem: string): CheckpointVerification => ({ ok: false, treeSize: cp.treeSize, entries, problem });
    const { mac, ...body } = cp;
    if (!this.authHead.key.check(canonicalJson(body), mac)) return no("the checkpoint was not made by this station's audit key, or was changed since");
    if (entries === 0 || cp.station !== hashes[0]) return no('the checkpoint is of another station (or this ledger was rewritten from its first entry)');
    if (cp.treeSize > entries) return no(`the checkpoint covers ${cp.treeSize} entries, but the ledger holds only ${entries}: entries were removed since`);
    const leaves = hashes.map((h) => leafHash(unhex(h)));
    const proof = consistencyProof(leaves, cp.treeSize, entries);
    if (!verifyConsistency(cp.treeSize, entries, unhex(cp.rootHash), rootHash(leaves), proof)) {
      const headMoved = hashes[cp.treeSize - 1] !== cp.chainHead;
      return no(`the ledger was rewritten below the checkpoint: its first ${cp.treeSize} entries are not the ones checkpointed${headMoved ? ` (entry ${cp.treeSize - 1} differs)` : ''}`);
    }
    return { ok: true, treeSize: cp.treeSize, entries };
  }

  /** Every entry's chain hash, read from the file and checked on the way. */
  private hashes(): string[] {
    const out: string[] = [];
    const w = walkChain(this.files, 0, this.at.size, START, undefined, (h) => out.push(h));
    if (!w.ok) throw new StationFailure('ledger-corrupt', `The ledger failed verification: ${w.problem}.`);
    return out;
  }

  /** Saves every restored fold's state at the current entry. A snapshot that cannot be written is only a slower next start. */
  private saveSnapshot(): void {
    if (this.readOnly || this.broken) return;
    try {
      const folds: Record<string, unknown> = {};
      for (const [name, fold] of this.folds) folds[name] = fold.save();
      const digest = this.digest.copy().digest('hex');
      writeSnapshot(dirname(this.path), this.authHead.key, { version: 1, count: this.at.count, hash: this.at.last, prev: this.at.prevOfLast, end: this.at.size, digest, folds });
      this.sinceSnapshot = 0;
    } catch {
      // See above.
    }
  }

  close(): void {
    if (this.sinceSnapshot > 0) this.saveSnapshot();
    this.files.close();
    this.authHead.close();
  }
}

/** The snapshot, if it describes exactly this ledger: its entry is where it says, with the hash it says, and the head is not behind it. */
function matchingSnapshot(src: ByteSource, size: number, snap: Snapshot | undefined, head: HeadState | undefined): Snapshot | undefined {
  if (!snap || !head || snap.count < 1 || snap.count > head.count || snap.end > size) return undefined;
  // The line that ends at snap.end must be entry count-1 with hash snap.hash, following snap.prev.
  const window = Math.min(snap.end, 1 << 20);
  const buf = Buffer.allocUnsafe(window);
  let n = 0;
  while (n < window) {
    const got = src.read(buf, n, window - n, snap.end - window + n);
    if (got <= 0) break;
    n += got;
  }
  if (n !== window || buf[window - 1] !== 0x0a) return undefined;
  const startOfLine = buf.subarray(0, window - 1).lastIndexOf(0x0a) + 1;
  if (startOfLine === 0 && window < snap.end) return undefined;
  const c = checkLine(buf.subarray(startOfLine, window - 1), snap.count - 1, snap.prev);
  return c.ok && c.hash === snap.hash ? snap : undefined;
}

export interface End {
  readonly ok: boolean;
  readonly count: number;
  readonly last: string;
  readonly prevOfLast: string;
  /** What opening must do to the head: nothing, mark a finished append committed, or roll a pending one back. */
  readonly action: 'none' | 'commit' | 'rollback';
  readonly problem?: string;
}

/**
 * Checks where a walked chain ends against the authenticated head. The chain must verify entry by
 * entry; then its end must be the head's: committed, exactly; pending, either with the pending entry
 * written (a crash before the last step) or without it and nothing after its predecessor but a torn
 * line (a crash before or during the entry's write). Everything else is named: entries missing at the
 * end, entries added, a rewritten chain, an unanchored ledger.
 */
export function reconcileEnd(head: HeadState | undefined, firstSeq: number, walk: Walk): End {
  const count = firstSeq + walk.count;
  const { last, prevOfLast } = walk;
  const fail = (problem: string): End => ({ ok: false, count, last, prevOfLast, action: 'none', problem });
  if (!walk.ok) return fail(walk.problem!);
  if (!head) return fail("the ledger's authenticated head (ledger.head) is damaged or was not written with this station's audit key");
  const torn = walk.tornBytes > 0;
  const done = (action: End['action']): End => ({ ok: true, count, last, prevOfLast, action });
  const missing = (recorded: number): End =>
    count === 0 ? fail(`the ledger is empty, but the station recorded ${recorded} entries`) : fail(`${recorded - count} entr${recorded - count === 1 ? 'y is' : 'ies are'} missing at the end: the ledger stops after entry ${count - 1}, the station recorded ${recorded}`);
  if (head.state === 'committed') {
    if (torn) return fail(`the ledger ends in a partial entry after entry ${count - 1}, which the station never wrote`);
    if (count < head.count) return missing(head.count);
    if (count > head.count) return fail(`entry ${head.count} and after were added outside the station (the station recorded ${head.count} entries)`);
    if (last !== head.hash) return fail(`the ledger was rewritten: entry ${count - 1} is not the one the station recorded`);
    return done('none');
  }
  if (count === head.count && last === head.hash && !torn) return done('commit');
  if (count === head.count - 1 && last === head.prev) return done('rollback');
  if (count < head.count - 1) return missing(head.count - 1);
  if (count > head.count) return fail(`entry ${head.count} and after were added outside the station`);
  return fail(`the ledger was rewritten: entry ${count - 1} is not the one the station recorded`);
}

/** Verifies ledger text whole (tests and small files): the chain only, without the head. */
export function verifyText(text: string): Verification & { list: LedgerEntry[] } {
  const list: LedgerEntry[] = [];
  let prev = GENESIS;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const c = checkLine(Buffer.from(lines[i], 'utf8'), i, prev);
    if (!c.ok) return { ok: false, entries: i, head: prev, problem: c.problem, list };
    list.push(parseLine(lines[i])!);
    prev = c.hash;
  }
  return { ok: true, entries: list.length, head: prev, list };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
