// The station's append-only, hash-chained ledger (docs/DESIGN.md: "fsynced before the step's effect is
// visible"). One JSON line per entry in <data-dir>/ledger.jsonl. A torn final line (a crash during
// append) never had a visible effect, so opening the ledger cuts it off and records that it did.
import { closeSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync, existsSync, fstatSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StationFailure } from '../../src-shared/api/result';
import { GENESIS, canonicalJson, entryHash, parseLine, serialize, type LedgerData, type LedgerEntry } from './entry';
import { ioReason } from '../io-reason';
import type { AuditKey } from './audit-key';
import { fsyncDir } from '../atomic-file';
import { LedgerHead, type HeadState } from './head';
import { CHECKPOINT_FORMAT, type Checkpoint, type CheckpointVerification } from '../../src-shared/ledger/checkpoint';
import { consistencyProof, leafHash, rootHash, verifyConsistency } from '../../src-shared/ledger/merkle';

export const LEDGER_FILE = 'ledger.jsonl';

export interface Verification {
  readonly ok: boolean;
  readonly entries: number;
  readonly head: string;
  readonly problem?: string;
}

export type LedgerListener = (entry: LedgerEntry) => void;

export class Ledger {
  private readonly fd: number;
  private readonly list: LedgerEntry[];
  private readonly listeners = new Set<LedgerListener>();
  /** Bytes of whole, durable entries: where the next entry is written. */
  private size: number;
  private broken = false;
  private readonly readOnly: boolean;

  private constructor(
    readonly path: string,
    fd: number,
    entries: LedgerEntry[],
    private readonly authHead: LedgerHead,
    readOnly = false,
  ) {
    this.fd = fd;
    this.readOnly = readOnly;
    this.list = entries;
    this.size = fstatSync(fd).size;
  }

  /**
   * Opens the ledger in dir, verifying every entry against the chain and the chain's end against the
   * authenticated head (head.ts); refuses a broken chain, a cut, emptied or rewritten ledger. With
   * `create`, a directory with neither ledger nor head gets a new, empty pair. Read-only, it creates and
   * repairs nothing: an append that a crash left pending is taken as the head says, in memory only.
   */
  static open(dir: string, now: () => Date, opts: { auditKey: AuditKey; readOnly?: boolean; create?: boolean }): Ledger {
    const path = join(dir, LEDGER_FILE);
    const ledgerThere = existsSync(path);
    const headThere = LedgerHead.exists(dir);
    if (!ledgerThere && !headThere) {
      if (!opts.create || opts.readOnly) throw new StationFailure('no-data-dir', `There is no station ledger in ${dir}.`);
      // The head first: a crash before the ledger file exists leaves a head for an empty ledger, which opens.
      const head = LedgerHead.open(dir, opts.auditKey, { create: true });
      // Both slots, so that the file holds its full size from the start and later writes need no new blocks.
      head.write({ count: 0, hash: GENESIS, prev: GENESIS, state: 'committed' });
      head.write({ count: 0, hash: GENESIS, prev: GENESIS, state: 'committed' });
      const fd = openSync(path, 'a+', 0o600);
      fsyncSync(fd);
      fsyncDir(dir);
      return new Ledger(path, fd, [], head, false);
    }
    if (!headThere) throw new StationFailure('ledger-corrupt', 'The ledger\'s authenticated head (ledger.head) is missing, so a shortened or rewritten ledger could not be told apart; the station will not start. Restore the data directory from a backup.');
    if (!ledgerThere) {
      // Only a crash between writing a new station's head and creating its ledger leaves this, and only with an empty head.
      const head = LedgerHead.open(dir, opts.auditKey, { readOnly: true });
      const recorded = head.state?.count;
      head.close();
      if (recorded !== 0) throw new StationFailure('ledger-corrupt', `The ledger file is missing, but its authenticated head says the station recorded ${recorded ?? 'some'} entries; the station will not start. Restore the data directory from a backup.`);
      if (opts.readOnly) throw new StationFailure('no-data-dir', `There is no station ledger in ${dir}.`);
      closeSync(openSync(path, 'a+', 0o600));
    }
    const head = LedgerHead.open(dir, opts.auditKey, { readOnly: opts.readOnly });
    let fd: number | undefined;
    try {
      fd = openSync(path, opts.readOnly ? 'r' : 'r+', 0o600);
      const check = reconcile(readFileSync(path, 'utf8'), head.state);
      if (!check.ok) throw new StationFailure('ledger-corrupt', `The ledger failed verification: ${check.problem}.`);
      const ledger = new Ledger(path, fd, check.list, head, opts.readOnly);
      if (opts.readOnly) return ledger;
      if (check.cutBytes > 0) {
        ftruncateSync(fd, check.keptBytes);
        fsyncSync(fd);
        ledger.size = check.keptBytes;
      }
      const last = check.list.at(-1);
      if (check.action !== 'none') head.write({ count: check.list.length, hash: last?.hash ?? GENESIS, prev: last?.prev ?? GENESIS, state: 'committed' });
      if (check.cutBytes > 0) ledger.append('ledger.torn-tail-removed', { bytes: check.cutBytes }, now);
      return ledger;
    } catch (e) {
      if (fd !== undefined) closeSync(fd);
      head.close();
      throw e;
    }
  }

  /** Appends and fsyncs one entry; only after this returns may the step's effect become visible. */
  append(type: string, data: LedgerData, now: () => Date = () => new Date()): LedgerEntry {
    const last = this.list[this.list.length - 1];
    const seq = last ? last.seq + 1 : 0;
    const prev = last ? last.hash : GENESIS;
    if (this.readOnly) throw new StationFailure('read-only', 'This command only reads the station; it cannot record anything.');
    if (this.broken) throw new StationFailure('ledger-write', 'The ledger could not be repaired after a failed write; restart the station, which cuts off the torn entry.');
    const time = now().toISOString();
    // Hash exactly what is stored: the canonical JSON of the stored copy, not the caller's object
    // (a Date or an undefined inside an array would serialize differently from how it hashed).
    canonicalJson(data); // refuses raw bytes, bigints and non-finite numbers in what the caller gave
    const stored = JSON.parse(JSON.stringify(data)) as LedgerData;
    const hash = entryHash(prev, seq, time, type, stored);
    const entry: LedgerEntry = Object.freeze({ seq, time, type, data: stored, prev, hash });
    const line = Buffer.from(serialize(entry), 'utf8');
    const size = this.size;
    // Pending in the head, then the entry, then committed: see head.ts for why a crash anywhere is safe.
    try {
      this.authHead.write({ count: seq + 1, hash, prev, state: 'pending' });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code === 'ENOSPC' ? 'disk-full' : 'ledger-write';
      throw new StationFailure(code, `The ledger could not be written (${ioReason(e)}); nothing was changed.`);
    }
    try {
      let off = 0;
      while (off < line.length) off += writeSync(this.fd, line, off, line.length - off, size + off);
      fsyncSync(this.fd);
    } catch (e) {
      // Leave no partial line behind: the entry did not happen. If even that fails, append nothing more
      // (a next entry would be glued to the torn one); the next start cuts the torn tail off.
      try {
        ftruncateSync(this.fd, size);
        this.authHead.write({ count: seq, hash: prev, prev: last?.prev ?? GENESIS, state: 'committed' });
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
    this.size = size + line.length;
    this.list.push(entry);
    for (const l of this.listeners) l(entry);
    return entry;
  }

  /** The key that authenticates this ledger's head; the station MACs its other records with it too. */
  get auditKey(): AuditKey {
    return this.authHead.key;
  }

  entries(): readonly LedgerEntry[] {
    return this.list;
  }

  head(): string {
    return this.list.length ? this.list[this.list.length - 1].hash : GENESIS;
  }

  onAppend(listener: LedgerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Re-reads the file and the authenticated head from disk and checks the whole chain, and that its end
   * is the one the head records (and, while this process appends, the one it appended). Read-only.
   */
  verify(): Verification {
    const dir = dirname(this.path);
    let state: HeadState | undefined;
    try {
      const h = LedgerHead.open(dir, this.authHead.key, { readOnly: true });
      state = h.state;
      h.close();
    } catch {
      return { ok: false, entries: 0, head: GENESIS, problem: "the ledger's authenticated head (ledger.head) cannot be read" };
    }
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return { ok: false, entries: 0, head: GENESIS, problem: 'the ledger file cannot be read' };
    }
    const check = reconcile(text, state);
    if (!check.ok) return { ok: false, entries: check.entries, head: check.head, problem: check.problem };
    if (!this.readOnly && check.head !== this.head()) return { ok: false, entries: check.entries, head: check.head, problem: 'the file on disk ends before the last entry this station wrote (truncated)' };
    return { ok: true, entries: check.entries, head: check.head };
  }

  /** A checkpoint of the ledger as it stands, authenticated with the audit key, for an auditor to keep. */
  checkpoint(now: () => Date = () => new Date()): Checkpoint {
    if (this.list.length === 0) throw new StationFailure('bad-request', 'The ledger is empty; there is nothing to checkpoint yet.');
    const leaves = this.leaves(this.list.length);
    const body = {
      format: CHECKPOINT_FORMAT as typeof CHECKPOINT_FORMAT,
      version: 1 as const,
      station: this.list[0].hash,
      treeSize: this.list.length,
      rootHash: hex(rootHash(leaves)),
      chainHead: this.list[this.list.length - 1].hash,
      time: now().toISOString(),
    };
    return { ...body, mac: this.authHead.key.mac(canonicalJson(body)) };
  }

  /**
   * Whether today's ledger extends a checkpoint taken earlier: the checkpoint is this station's and
   * authentic, and an RFC 9162 consistency proof from its tree to today's verifies.
   */
  verifyAgainst(cp: Checkpoint): CheckpointVerification {
    const entries = this.list.length;
    const no = (problem: string): CheckpointVerification => ({ ok: false, treeSize: cp.treeSize, entries, problem });
    const { mac, ...body } = cp;
    if (!this.authHead.key.check(canonicalJson(body), mac)) return no("the checkpoint was not made by this station's audit key, or was changed since");
    if (entries === 0 || cp.station !== this.list[0].hash) return no('the checkpoint is of another station (or this ledger was rewritten from its first entry)');
    if (cp.treeSize > entries) return no(`the checkpoint covers ${cp.treeSize} entries, but the ledger holds only ${entries}: entries were removed since`);
    const leaves = this.leaves(entries);
    const proof = consistencyProof(leaves, cp.treeSize, entries);
    const today = rootHash(leaves);
    if (!verifyConsistency(cp.treeSize, entries, unhex(cp.rootHash), today, proof)) {
      const headMoved = this.list[cp.treeSize - 1].hash !== cp.chainHead;
      return no(`the ledger was rewritten below the checkpoint: its first ${cp.treeSize} entries are not the ones checkpointed${headMoved ? ` (entry ${cp.treeSize - 1} differs)` : ''}`);
    }
    return { ok: true, treeSize: cp.treeSize, entries };
  }

  private leaves(n: number): Uint8Array[] {
    const out: Uint8Array[] = new Array<Uint8Array>(n);
    for (let i = 0; i < n; i++) out[i] = leafHash(unhex(this.list[i].hash));
    return out;
  }

  close(): void {
    closeSync(this.fd);
    this.authHead.close();
  }
}

export function verifyText(text: string): Verification & { list: LedgerEntry[] } {
  const list: LedgerEntry[] = [];
  let prev = GENESIS;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const e = parseLine(lines[i]);
    const at = `entry ${i}`;
    if (!e) return { ok: false, entries: i, head: prev, problem: `${at} is not well formed`, list };
    if (e.seq !== i) return { ok: false, entries: i, head: prev, problem: `${at} has sequence number ${e.seq} (dropped or reordered entries)`, list };
    if (e.prev !== prev) return { ok: false, entries: i, head: prev, problem: `${at} does not follow the entry before it`, list };
    if (entryHash(prev, e.seq, e.time, e.type, e.data) !== e.hash) return { ok: false, entries: i, head: prev, problem: `${at} was altered`, list };
    list.push(e);
    prev = e.hash;
  }
  return { ok: true, entries: list.length, head: prev, list };
}

export interface Reconciled extends Verification {
  readonly list: LedgerEntry[];
  /** What opening must do to the head: nothing, mark a finished append committed, or roll a pending one back. */
  readonly action: 'none' | 'commit' | 'rollback';
  readonly keptBytes: number;
  readonly cutBytes: number;
}

/**
 * Checks a ledger's text against its authenticated head. The chain must verify entry by entry; then its
 * end must be the head's: committed, exactly; pending, either with the pending entry written (a crash
 * before the last step) or without it and nothing after its predecessor but a torn line (a crash before
 * or during the entry's write). Everything else is named: entries missing at the end, entries added,
 * a rewritten chain, an unanchored ledger.
 */
export function reconcile(text: string, head: HeadState | undefined): Reconciled {
  const fail = (entries: number, at: string, problem: string): Reconciled => ({ ok: false, entries, head: at, problem, list: [], action: 'none', keptBytes: 0, cutBytes: 0 });
  if (!head) return fail(0, GENESIS, "the ledger's authenticated head (ledger.head) is damaged or was not written with this station's audit key");
  const torn = text.length > 0 && !text.endsWith('\n');
  const body = torn ? text.slice(0, text.lastIndexOf('\n') + 1) : text;
  const keptBytes = Buffer.byteLength(body);
  const cutBytes = Buffer.byteLength(text) - keptBytes;
  const chain = verifyText(body);
  if (!chain.ok) return { ...chain, action: 'none', keptBytes, cutBytes };
  const count = chain.entries;
  const last = chain.head;
  const done = (action: Reconciled['action']): Reconciled => ({ ok: true, entries: count, head: last, list: chain.list, action, keptBytes, cutBytes });
  if (head.state === 'committed') {
    if (torn) return fail(count, last, `the ledger ends in a partial entry after entry ${count - 1}, which the station never wrote`);
    if (count === 0 && head.count > 0) return fail(0, last, `the ledger is empty, but the station recorded ${head.count} entries`);
    if (count < head.count) return fail(count, last, `${head.count - count} entr${head.count - count === 1 ? 'y is' : 'ies are'} missing at the end: the ledger stops after entry ${count - 1}, the station recorded ${head.count}`);
    if (count > head.count) return fail(head.count, last, `entry ${head.count} and after were added outside the station (the station recorded ${head.count} entries)`);
    if (last !== head.hash) return fail(count, last, `the ledger was rewritten: entry ${count - 1} is not the one the station recorded`);
    return done('none');
  }
  if (count === head.count && last === head.hash && !torn) return done('commit');
  if (count === head.count - 1 && last === head.prev) return done('rollback');
  if (count < head.count - 1) return fail(count, last, `${head.count - 1 - count} entr${head.count - 1 - count === 1 ? 'y is' : 'ies are'} missing at the end: the ledger stops after entry ${count - 1}, the station recorded ${head.count - 1}`);
  if (count > head.count) return fail(head.count, last, `entry ${head.count} and after were added outside the station`);
  return fail(count, last, `the ledger was rewritten: entry ${count - 1} is not the one the station recorded`);
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
