// Walking the ledger file: a stream of lines read in large pieces (never the whole file as one string),
// each checked against the hash chain without re-serializing it. A stored line is the canonical JSON
// {"data":D,"hash":H,"prev":P,"seq":S,"time":T,"type":Y} (keys sorted), and an entry's hash is
// SHA-256(P ‖ {"data":D,"seq":S,"time":T,"type":Y}): so the hashed bytes are the line without its
// `"hash"` and `"prev"` members, hashed in place. A line whose hash verifies is byte for byte the line
// the station wrote (chain.ts and entry.ts agree by construction; test/ledger/chain.test.ts shows it).
import { createHash, type Hash } from 'node:crypto';
import { GENESIS, entryHash, parseLine, type LedgerEntry } from './entry';
import type { ByteSource } from './files';

const PIECE = 4 << 20;
const NL = Buffer.from('\n');

/** SHA-256 of the bytes [from, to) of a source, read in large pieces. */
export function digestRange(src: ByteSource, from: number, to: number, into: Hash = createHash('sha256')): Hash {
  const piece = Buffer.allocUnsafe(PIECE);
  let at = from;
  while (at < to) {
    const n = src.read(piece, 0, Math.min(PIECE, to - at), at);
    if (n <= 0) break;
    into.update(piece.subarray(0, n));
    at += n;
  }
  return into;
}

/** Calls `onLine` with each whole line (without its newline) in [from, to) and its offset; returns the bytes after the last newline. */
export function scanLines(src: ByteSource, from: number, to: number, onLine: (line: Buffer, offset: number) => boolean | void): { end: number; tornBytes: number } {
  return scanLinesWith({ readSync: (_fd, b, o, l, p) => src.read(b, o, l, p) }, 0, from, to, onLine);
}

/**
 * scanLines, self-contained: it refers to nothing outside itself but its arguments, because its source
 * text also runs in the verification worker (verify-worker.ts).
 */
export function scanLinesWith(
  io: { readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number },
  fd: number,
  from: number,
  to: number,
  onLine: (line: Buffer, offset: number) => boolean | void,
): { end: number; tornBytes: number } {
  const largest = 4 << 20;
  // One buffer, reused: the unfinished line of the last read is moved to its start and the next read
  // lands after it (no buffer per read). Small at first (a caller after one line stops at once),
  // growing to large reads for a long scan, and for a line longer than the buffer.
  let buf = Buffer.allocUnsafe(64 * 1024);
  let kept = 0; // bytes of an unfinished line at buf[0, kept)
  let keptAt = from; // its offset in the file
  let at = from;
  while (at < to) {
    if ((buf.length < largest && at - from >= buf.length) || kept === buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(buf.length * 4, kept * 2));
      buf.copy(bigger, 0, 0, kept);
      buf = bigger;
    }
    const n = io.readSync(fd, buf, kept, Math.min(buf.length - kept, to - at), at);
    if (n <= 0) break;
    const filled = kept + n;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, start);
      if (nl < 0 || nl >= filled) break;
      if (onLine(buf.subarray(start, nl), keptAt + start) === false) return { end: keptAt + start, tornBytes: 0 };
      start = nl + 1;
    }
    buf.copy(buf, 0, start, filled);
    kept = filled - start;
    keptAt += start;
    at += n;
  }
  return { end: keptAt, tornBytes: kept };
}

/**
 * The fast path of the chain check: the line's hash when the line is entry `seq` after `prev` and its
 * bytes (without the "hash" and "prev" members) hash to it; undefined otherwise. Self-contained like
 * scanLinesWith: `sha256Hex(prev, head, tail)` is the caller's SHA-256 of prev ‖ head ‖ tail.
 */
export function lineHashIn(line: Buffer, seq: number, prev: string, sha256Hex: (prev: string, head: Buffer, tail: Buffer) => string): string | undefined {
  const i = line.lastIndexOf(',"hash":"');
  if (i <= 0 || line.length <= i + 155) return undefined;
  if (line.toString('latin1', i + 73, i + 83) !== '","prev":"' || line.toString('latin1', i + 147, i + 155) !== '","seq":') return undefined;
  const hash = line.toString('latin1', i + 9, i + 73);
  if (line.toString('latin1', i + 83, i + 147) !== prev) return undefined;
  const seqEnd = line.indexOf(0x2c, i + 155); // the comma after the number
  if (seqEnd < 0 || Number(line.toString('latin1', i + 155, seqEnd)) !== seq) return undefined;
  // The hashed body resumes at the comma of `,"seq":`; the quote that closed prev is not part of it.
  return sha256Hex(prev, line.subarray(0, i), line.subarray(i + 148)) === hash ? hash : undefined;
}

export const sha256Hex = (prev: string, head: Buffer, tail: Buffer): string => createHash('sha256').update(prev, 'latin1').update(head).update(tail).digest('hex');

export interface LineCheck {
  readonly ok: boolean;
  readonly hash: string;
  readonly problem?: string;
}

/** Checks one stored line as entry `seq` following `prev`; the fast path hashes the line in place. */
export function checkLine(line: Buffer, seq: number, prev: string): LineCheck {
  const hash = lineHashIn(line, seq, prev, sha256Hex);
  return hash !== undefined ? { ok: true, hash } : slowCheck(line, seq, prev);
}

/** Parses the line to say exactly what is wrong with it (or to accept a line the fast path could not place). */
function slowCheck(line: Buffer, seq: number, prev: string): LineCheck {
  const e = parseLine(line.toString('utf8'));
  const at = `entry ${seq}`;
  if (!e) return { ok: false, hash: prev, problem: `${at} is not well formed` };
  if (e.seq !== seq) return { ok: false, hash: prev, problem: `${at} has sequence number ${e.seq} (dropped or reordered entries)` };
  if (e.prev !== prev) return { ok: false, hash: prev, problem: `${at} does not follow the entry before it` };
  if (entryHash(prev, e.seq, e.time, e.type, e.data) !== e.hash) return { ok: false, hash: prev, problem: `${at} was altered` };
  return { ok: true, hash: e.hash };
}

export interface Walk {
  readonly ok: boolean;
  /** Entries that verified, counting from the walk's first seq. */
  readonly count: number;
  /** The hash of the last entry that verified, and of the one before it. */
  readonly last: string;
  readonly prevOfLast: string;
  /** Where the whole, verified lines end; bytes of a partial last line after that. */
  readonly end: number;
  readonly tornBytes: number;
  readonly problem?: string;
}

/**
 * Walks [from, to) as entries `seq, seq+1, …` following `prev`, calling `onEntry` for each (parsed only
 * when asked for), and stops at the first line that does not verify.
 */
export function walkChain(
  src: ByteSource,
  from: number,
  to: number,
  start: { seq: number; prev: string; prevOfPrev: string },
  onEntry?: (e: LedgerEntry, offset: number) => void,
  onHash?: (hash: string, seq: number) => void,
  /** Fed every verified line's bytes (with its newline): the running digest of the file that snapshots keep. */
  digest?: Hash,
): Walk {
  let seq = start.seq;
  let last = start.prev;
  let prevOfLast = start.prevOfPrev;
  let problem: string | undefined;
  const { end, tornBytes } = scanLines(src, from, to, (line, offset) => {
    const c = checkLine(line, seq, last);
    if (!c.ok) {
      problem = c.problem;
      return false;
    }
    if (onEntry) onEntry(parseLine(line.toString('utf8'))!, offset);
    onHash?.(c.hash, seq);
    digest?.update(line).update(NL);
    prevOfLast = last;
    last = c.hash;
    seq++;
    return true;
  });
  return { ok: problem === undefined, count: seq - start.seq, last, prevOfLast, end, tornBytes: problem === undefined ? tornBytes : 0, problem };
}

export const START = { seq: 0, prev: GENESIS, prevOfPrev: GENESIS } as const;
