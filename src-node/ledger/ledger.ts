// The station's append-only, hash-chained ledger (DESIGN.md: "fsynced before the step's effect is
// visible"). One JSON line per entry in <data-dir>/ledger.jsonl. A torn final line (a crash during
// append) never had a visible effect, so opening the ledger cuts it off and records that it did.
import { closeSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync, existsSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import { StationFailure } from '../../src-shared/api/result';
import { GENESIS, canonicalJson, entryHash, parseLine, serialize, type LedgerData, type LedgerEntry } from './entry';
import { ioReason } from '../io-reason';

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

  private constructor(readonly path: string, fd: number, entries: LedgerEntry[], readOnly = false) {
    this.fd = fd;
    this.readOnly = readOnly;
    this.list = entries;
    this.size = fstatSync(fd).size;
  }

  /**
   * Opens (or creates) the ledger in dir, verifying every entry; refuses a broken chain. Read-only, it
   * creates and repairs nothing: a torn last line (perhaps another process's append in flight) is left
   * alone and not counted, and every append is refused.
   */
  static open(dir: string, now: () => Date = () => new Date(), opts: { readOnly?: boolean } = {}): Ledger {
    const path = join(dir, LEDGER_FILE);
    const fresh = !existsSync(path);
    if (fresh && opts.readOnly) throw new StationFailure('no-data-dir', `There is no station ledger in ${dir}.`);
    const fd = openSync(path, opts.readOnly ? 'r' : fresh ? 'a+' : 'r+', 0o600);
    try {
      const text = fresh ? '' : readFileSync(path, 'utf8');
      let body = text;
      let tornBytes = 0;
      if (text.length > 0 && !text.endsWith('\n')) {
        const cut = text.lastIndexOf('\n') + 1;
        tornBytes = Buffer.byteLength(text.slice(cut));
        body = text.slice(0, cut);
        if (!opts.readOnly) {
          ftruncateSync(fd, Buffer.byteLength(body));
          fsyncSync(fd);
        }
      }
      const check = verifyText(body);
      if (!check.ok) throw new StationFailure('ledger-corrupt', `The ledger failed verification: ${check.problem}.`);
      const ledger = new Ledger(path, fd, check.list, opts.readOnly);
      if (opts.readOnly) return ledger;
      if (tornBytes > 0) ledger.append('ledger.torn-tail-removed', { bytes: tornBytes }, now);
      return ledger;
    } catch (e) {
      closeSync(fd);
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
    try {
      let off = 0;
      while (off < line.length) off += writeSync(this.fd, line, off, line.length - off, size + off);
      fsyncSync(this.fd);
    } catch (e) {
      // Leave no partial line behind: the entry did not happen. If even that fails, append nothing more
      // (a next entry would be glued to the torn one); the next start cuts the torn tail off.
      try {
        ftruncateSync(this.fd, size);
      } catch {
        this.broken = true;
      }
      const code = (e as NodeJS.ErrnoException).code === 'ENOSPC' ? 'disk-full' : 'ledger-write';
      throw new StationFailure(code, `The ledger could not be written (${ioReason(e)}); nothing was changed.`);
    }
    this.size = size + line.length;
    this.list.push(entry);
    for (const l of this.listeners) l(entry);
    return entry;
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

  /** Re-reads the file from disk and verifies the whole chain against what this process appended. */
  verify(): Verification {
    const check = verifyText(readFileSync(this.path, 'utf8'));
    if (check.ok && check.head !== this.head()) return { ok: false, entries: check.entries, head: check.head, problem: 'the file on disk ends before the last entry this station wrote (truncated)' };
    return { ok: check.ok, entries: check.entries, head: check.head, problem: check.problem };
  }

  close(): void {
    closeSync(this.fd);
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
