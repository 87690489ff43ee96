// The auditors' index over the ledger: for each client, operator, entry type and segment, the entries
// that name it (sequence number and where its line starts), so that "everything about client 17" or
// "every acknowledgement" is answered by reading those lines, not the whole file. A fold: rebuilt from
// the log when the snapshot does not hold it, saved in the snapshot otherwise (docs/formats.md).
import type { LedgerEntry } from '../../../src-node/ledger/entry';
import type { Fold } from '../../../src-node/ledger/fold';

/** A growable array of numbers of one typed-array kind, saved as base64 of its bytes. */
class Growable<A extends Uint32Array | Float64Array> {
  length = 0;
  constructor(
    private data: A,
    private readonly make: (n: number) => A,
  ) {}

  push(v: number): void {
    this.set(this.length, v);
  }

  set(i: number, v: number): void {
    if (i >= this.data.length) {
      const next = this.make(Math.max(this.data.length * 2, i + 1));
      next.set(this.data);
      this.data = next;
    }
    this.data[i] = v;
    if (i >= this.length) this.length = i + 1;
  }

  at(i: number): number {
    return this.data[i];
  }

  save(): string {
    return Buffer.from(this.data.buffer, this.data.byteOffset, this.length * this.data.BYTES_PER_ELEMENT).toString('base64');
  }

  load(b64: string): void {
    const bytes = Buffer.from(b64, 'base64');
    this.data = this.make(bytes.length / this.data.BYTES_PER_ELEMENT);
    new Uint8Array(this.data.buffer).set(bytes);
    this.length = this.data.length;
  }
}

const seqs = (): Growable<Uint32Array> => new Growable(new Uint32Array(4), (n) => new Uint32Array(n));

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
  /** Where each entry's line starts, by sequence number (one table for all keys: 8 bytes an entry). */
  private readonly offsets = new Growable(new Float64Array(1024), (n) => new Float64Array(n));
  /** For each key, the sequence numbers of the entries that name it (4 bytes each). */
  private readonly postings = new Map<string, Growable<Uint32Array>>();
  /**
   * The client of each allocation, from its reservation: the allocation's later entries (written,
   * verified, delivered, voided, its ranges destroyed) name only the allocation, and an auditor asking
   * for everything about a client wants them too.
   */
  private readonly allocationClients = new Map<string, string>();

  /** The keys an entry is found under: its own (keysOf), and the client of the allocation it names. */
  keysOf(e: LedgerEntry): IndexKey[] {
    const keys = keysOf(e);
    const allocation = (e.data as Record<string, unknown>).allocation;
    const client = typeof allocation === 'string' ? this.allocationClients.get(allocation) : undefined;
    if (client && !keys.includes(`client:${client}`)) keys.push(`client:${client}`);
    return keys;
  }

  apply(e: LedgerEntry, offset: number): void {
    this.offsets.set(e.seq, offset);
    const d = e.data as Record<string, unknown>;
    if (e.type === 'allocation.reserved' && typeof d.allocation === 'string' && typeof d.client === 'string') this.allocationClients.set(d.allocation, d.client);
    for (const k of this.keysOf(e)) {
      let p = this.postings.get(k);
      if (!p) this.postings.set(k, (p = seqs()));
      p.push(e.seq);
    }
  }

  save(): unknown {
    return { offsets: this.offsets.save(), postings: Object.fromEntries([...this.postings].map(([k, p]) => [k, p.save()])), allocationClients: Object.fromEntries(this.allocationClients) };
  }

  load(state: unknown): void {
    const s = state as { offsets?: unknown; postings?: unknown; allocationClients?: unknown };
    // An index saved before it knew allocations' clients is another form too: rebuilt from the log.
    if (typeof s?.offsets !== 'string' || typeof s.postings !== 'object' || s.postings === null || typeof s.allocationClients !== 'object' || s.allocationClients === null) throw new TypeError('an index saved in another form');
    const allocationClients = Object.entries(s.allocationClients);
    if (!allocationClients.every(([, c]) => typeof c === 'string')) throw new TypeError('an index saved in another form');
    for (const [a, c] of allocationClients) this.allocationClients.set(a, c as string);
    this.offsets.load(s.offsets);
    for (const [k, b64] of Object.entries(s.postings as Record<string, string>)) {
      const p = seqs();
      p.load(b64);
      this.postings.set(k, p);
    }
  }

  /** Where entry `seq`'s line starts (every entry is indexed). */
  offsetOf(seq: number): number {
    return this.offsets.at(seq);
  }

  /** The sequence numbers of the entries that name `key`, oldest first, read in place: `at(i)` is the i-th. */
  list(key: IndexKey): { readonly length: number; at(i: number): number } {
    const p = this.postings.get(key);
    return p ? { length: p.length, at: (i) => p.at(i) } : { length: 0, at: () => NaN };
  }

  /** How many entries name `key`. */
  count(key: IndexKey): number {
    return this.postings.get(key)?.length ?? 0;
  }

  /** The entries that name `key` (sequence number and where the line starts), oldest first, after `afterSeq`. */
  *find(key: IndexKey, afterSeq = -1): Generator<{ seq: number; offset: number }> {
    const p = this.postings.get(key);
    if (!p) return;
    let lo = 0;
    let hi = p.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (p.at(mid) <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < p.length; i++) yield { seq: p.at(i), offset: this.offsets.at(p.at(i)) };
  }
}
