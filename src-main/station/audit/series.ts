// The ledger's figures for the auditor's pictures, kept as the ledger is appended (a fold, saved in the
// snapshot): per day (UTC), the bytes in the pool at the day's end and the deliveries made that day;
// per client, the PSRD bytes delivered. Asking for them costs the size of the answer, never a scan.
//
// The pool level follows the pool's own fold (pool/pool-state.ts): a segment adds its bytes, a range
// destroyed inside one takes its length, a segment destroyed or lost takes what was left of it. A
// delivery is a PSRD allocation delivered (its client and bytes from its reservation) or a
// `delivery.range-delivered` entry; initial keys are not PSRD deliveries and are not counted.
import type { ClientTotal, LedgerDay, LedgerSeries } from '../../../src-shared/api/audit';
import type { LedgerEntry } from '../../../src-node/ledger/entry';
import type { Fold } from '../../../src-node/ledger/fold';

interface Day {
  poolBytes: number;
  deliveries: number;
  bytesDelivered: number;
}

interface Saved {
  readonly version: 1;
  readonly level: number;
  readonly days: [string, number, number, number][];
  readonly segments: [string, number][];
  readonly reserved: [string, string, number][];
  readonly clients: [string, number, number][];
}

export class SeriesFold implements Fold {
  readonly name = 'audit-series';
  private level = 0;
  /** In time order (entries are), so in day order. */
  private readonly days = new Map<string, Day>();
  /** Bytes still in each segment of the pool. */
  private readonly segments = new Map<string, number>();
  /** PSRD allocations reserved and not yet settled: their client and bytes. */
  private readonly reserved = new Map<string, { client: string; bytes: number }>();
  private readonly clients = new Map<string, { bytes: number; deliveries: number }>();

  apply(e: LedgerEntry): void {
    const d = e.data as Record<string, unknown>;
    const day = this.dayOf(e.time);
    switch (e.type) {
      case 'pool.segment-added': {
        const bytes = Number(d.bytes);
        this.segments.set(String(d.segment), bytes);
        this.level += bytes;
        break;
      }
      case 'pool.range-destroyed': {
        const id = String(d.segment);
        const left = this.segments.get(id);
        if (left !== undefined) {
          const taken = Math.min(left, Number(d.length));
          this.segments.set(id, left - taken);
          this.level -= taken;
        }
        break;
      }
      case 'pool.segment-destroyed':
      case 'pool.segment-lost': {
        const id = String(d.segment);
        this.level -= this.segments.get(id) ?? 0;
        this.segments.delete(id);
        break;
      }
      case 'allocation.reserved':
        if (d.purpose === 'psrd') this.reserved.set(String(d.allocation), { client: String(d.client), bytes: Number(d.bytes) });
        break;
      case 'allocation.delivered': {
        const a = this.reserved.get(String(d.allocation));
        this.reserved.delete(String(d.allocation));
        if (a) this.delivered(day, a.client, a.bytes);
        break;
      }
      case 'allocation.voided':
        this.reserved.delete(String(d.allocation));
        break;
      case 'delivery.range-delivered':
        this.delivered(day, String(d.client), Number(d.length));
        break;
    }
    day.poolBytes = this.level;
  }

  private dayOf(time: string): Day {
    const key = time.slice(0, 10);
    let day = this.days.get(key);
    if (!day) this.days.set(key, (day = { poolBytes: this.level, deliveries: 0, bytesDelivered: 0 }));
    return day;
  }

  private delivered(day: Day, client: string, bytes: number): void {
    day.deliveries += 1;
    day.bytesDelivered += bytes;
    const c = this.clients.get(client) ?? { bytes: 0, deliveries: 0 };
    c.bytes += bytes;
    c.deliveries += 1;
    this.clients.set(client, c);
  }

  /** The figures now: every day, and the `top` clients by bytes with the others summed. */
  series(top: number): Omit<LedgerSeries, 'entries'> {
    const days: LedgerDay[] = [...this.days].map(([day, d]) => ({ day, ...d }));
    const all: ClientTotal[] = [...this.clients].map(([client, c]) => ({ client, ...c }));
    all.sort((a, b) => b.bytes - a.bytes || (a.client < b.client ? -1 : 1));
    const rest = all.slice(top);
    return {
      days,
      clients: all.slice(0, top),
      others: { clients: rest.length, bytes: rest.reduce((s, c) => s + c.bytes, 0), deliveries: rest.reduce((s, c) => s + c.deliveries, 0) },
    };
  }

  save(): Saved {
    return {
      version: 1,
      level: this.level,
      days: [...this.days].map(([k, d]) => [k, d.poolBytes, d.deliveries, d.bytesDelivered]),
      segments: [...this.segments],
      reserved: [...this.reserved].map(([k, a]) => [k, a.client, a.bytes]),
      clients: [...this.clients].map(([k, c]) => [k, c.bytes, c.deliveries]),
    };
  }

  load(state: unknown): void {
    const s = state as Partial<Saved> | null;
    if (s?.version !== 1 || !Array.isArray(s.days) || !Array.isArray(s.segments) || !Array.isArray(s.reserved) || !Array.isArray(s.clients) || typeof s.level !== 'number') {
      throw new TypeError('series saved in another form');
    }
    this.level = s.level;
    for (const [k, poolBytes, deliveries, bytesDelivered] of s.days) this.days.set(k, { poolBytes, deliveries, bytesDelivered });
    for (const [k, b] of s.segments) this.segments.set(k, b);
    for (const [k, client, bytes] of s.reserved) this.reserved.set(k, { client, bytes });
    for (const [k, bytes, deliveries] of s.clients) this.clients.set(k, { bytes, deliveries });
  }
}
