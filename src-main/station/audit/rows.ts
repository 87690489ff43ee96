// The auditor's window onto the ledger: the entries matching a filter, by position among them, so that a
// scrolled list of a million entries asks only for the rows it shows. Positions come from the index
// (docs/formats.md): with no key they are sequence numbers, with one they are places in that key's list,
// with several the lists' intersection (kept for the next page while the ledger does not grow). A time
// span is two binary searches, entries being in time order.
import type { LedgerEntryView, LedgerFilter, LedgerRows } from '../../../src-shared/api/audit';
import type { LedgerEntry } from '../../../src-node/ledger/entry';
import type { Core } from '../core';
import type { IndexKey } from './ledger-index';

interface SeqList {
  readonly length: number;
  at(i: number): number;
}

/** The matches of a filter: positions lo..hi-1 of `list`, a sorted list of sequence numbers. */
export interface Matches {
  readonly list: SeqList;
  readonly lo: number;
  readonly hi: number;
  /** Whether the matches are consecutive entries (no key): read in one scan. */
  readonly contiguous: boolean;
}

/** The index keys a filter names. */
export function filterKeys(f: LedgerFilter): IndexKey[] {
  const keys: IndexKey[] = [];
  if (f.client) keys.push(`client:${f.client}`);
  if (f.operator) keys.push(`operator:${f.operator.normalize('NFC').toLowerCase()}`);
  if (f.type) keys.push(`type:${f.type}`);
  if (f.segment) keys.push(`segment:${f.segment}`);
  return keys;
}

/** The first position in list[lo..hi) whose sequence number is at least `seq`. */
function lowerBound(list: SeqList, seq: number, lo = 0, hi = list.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list.at(mid) < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The sequence number of the first entry at or after `time` (the ledger's length when there is none). */
function seqAtTime(core: Core, time: string): number {
  let seq = core.ledger.length;
  core.ledger.scanFrom(core.ledger.offsetOfTime(time), (e) => {
    seq = e.seq;
    return false;
  });
  return seq;
}

/** The last intersection per station (by its index), for the next page of the same filter. */
const intersections = new WeakMap<object, { key: string; list: Uint32Array }>();

/** The entries named by every key: the shortest list, each of its entries looked up in the others. */
function intersect(core: Core, keys: IndexKey[]): SeqList {
  const key = `${core.ledger.length}|${[...keys].sort().join('|')}`;
  let intersection = intersections.get(core.index);
  if (intersection?.key !== key) {
    const lists = keys.map((k) => core.index.list(k)).sort((a, b) => a.length - b.length);
    const [lead, ...rest] = lists;
    const out = new Uint32Array(lead.length);
    let n = 0;
    const from = rest.map(() => 0);
    for (let i = 0; i < lead.length; i++) {
      const seq = lead.at(i);
      let all = true;
      for (let j = 0; j < rest.length; j++) {
        from[j] = lowerBound(rest[j], seq, from[j]);
        if (from[j] >= rest[j].length || rest[j].at(from[j]) !== seq) {
          all = false;
          break;
        }
      }
      if (all) out[n++] = seq;
    }
    intersection = { key, list: out.slice(0, n) };
    intersections.set(core.index, intersection);
  }
  const list = intersection.list;
  return { length: list.length, at: (i) => list[i] };
}

export function matches(core: Core, f: LedgerFilter): Matches {
  const length = core.ledger.length;
  const seqLo = f.since ? seqAtTime(core, f.since) : 0;
  const seqHi = Math.max(seqLo, f.until ? seqAtTime(core, f.until) : length);
  const keys = filterKeys(f);
  const list: SeqList = keys.length === 0 ? { length, at: (i) => i } : keys.length === 1 ? core.index.list(keys[0]) : intersect(core, keys);
  const lo = lowerBound(list, seqLo);
  return { list, lo, hi: lowerBound(list, seqHi, lo), contiguous: keys.length === 0 };
}

/** The matches at positions from..from+limit-1 (among the matches), oldest first. */
export function readMatches(core: Core, m: Matches, from: number, limit: number): LedgerEntry[] {
  const start = m.lo + from;
  const end = Math.min(m.hi, start + limit);
  const out: LedgerEntry[] = [];
  if (start >= end) return out;
  if (m.contiguous) {
    const last = m.list.at(end - 1);
    core.ledger.scanFrom(core.index.offsetOf(m.list.at(start)), (e) => {
      out.push(e);
      return e.seq < last;
    });
    return out;
  }
  for (let i = start; i < end; i++) {
    const seq = m.list.at(i);
    const e = core.ledger.readAt(core.index.offsetOf(seq), seq);
    if (e) out.push(e);
  }
  return out;
}

export function rows(core: Core, f: LedgerFilter, from: number, limit: number, view: (e: LedgerEntry) => LedgerEntryView): LedgerRows {
  const m = matches(core, f);
  return { total: m.hi - m.lo, from, entries: readMatches(core, m, from, limit).map(view), ledgerLength: core.ledger.length };
}
