// The auditors' index over the ledger: for each client, operator, entry type and segment, the entries
// that name it (sequence number and where its line starts), so that "everything about client 17" or
// "every acknowledgement" is answered by reading those lines, not the whole file. A fold: rebuilt from
// the log when the snapshot does not hold it, saved in the snapshot otherwise (docs/formats.md).
import type { LedgerEntry } from '../../../src-node/ledger/entry';
import type { Fold } from '../../../src-node/ledger/fold';

/** A growable list of (seq, offset) pairs. */
class Postings {
  private data = new Float64Array(8);
  length = 0;

  push(seq: number, offset: number): void {
    if (this.length + 2 > this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = seq;
    this.data[this.length++] = offset;
  }

  get count(): number {
    return this.length / 2;
  }

  seq(i: number): number {
    return this.data[2 * i];
  }

  offset(i: number): number {
    return this.data[2 * i + 1];
  }

  save(): string {
    return Buffer.from(this.data.buffer, 0, this.length * 8).toString('base64');
  }

  static load(b64: string): Postings {
    const bytes = Buffer.from(b64, 'base64');
    const p = new Postings();
    p.data = new Float64Array(Math.max(8, bytes.length / 8));
    new Uint8Array(p.data.buffer).set(bytes);
    p.length = bytes.length / 8;
    return p;
  }
}

export type IndexKey = `${'client' | 'operator' | 'type' | 'segment'}:${string}`;

/** The keys an entry is found under. */
export function keysOf(e: LedgerEntry): IndexKey[] {
  const d = e.data as Record<string, unknown>;
  const keys = new Set<IndexKey>([`type:${e.type}`]);
  const actor = d.actor as { operator?: unknown; approver?: unknown } | undefined;
  for (const who of [actor?.operator, actor?.approver, d.operator, d.approver, e.type.startsWith('operator.') ? d.name : undefined]) {
    if (typeof who === 'string' && who) keys.add(`operator:${who.normalize('NFC').toLowerCase()}`);
  }
  for (const client of [d.client, d.clientId]) if (typeof client === 'string' && client) keys.add(`client:${client}`);
  if (typeof d.segment === 'string') keys.add(`segment:${d.segment}`);
  return [...keys];
}

export class LedgerIndex implements Fold {
  readonly name = 'index';
  private readonly postings = new Map<string, Postings>();

  apply(e: LedgerEntry, offset: number): void {
    for (const k of keysOf(e)) {
      let p = this.postings.get(k);
      if (!p) this.postings.set(k, (p = new Postings()));
      p.push(e.seq, offset);
    }
  }

  save(): unknown {
    return Object.fromEntries([...this.postings].map(([k, p]) => [k, p.save()]));
  }

  load(state: unknown): void {
    for (const [k, b64] of Object.entries(state as Record<string, string>)) this.postings.set(k, Postings.load(b64));
  }

  /** How many entries name `key`. */
  count(key: IndexKey): number {
    return this.postings.get(key)?.count ?? 0;
  }

  /** The (seq, offset) pairs of the entries that name `key`, oldest first, from `afterSeq` on. */
  *find(key: IndexKey, afterSeq = -1): Generator<{ seq: number; offset: number }> {
    const p = this.postings.get(key);
    if (!p) return;
    let lo = 0;
    let hi = p.count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (p.seq(mid) <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < p.count; i++) yield { seq: p.seq(i), offset: p.offset(i) };
  }
}
