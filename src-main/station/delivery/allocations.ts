// Every allocation of pool PSRD to a client, as the ledger tells it (a fold over allocation.* entries):
// its phase, its ranges, and the range reports it queued for the Security Server (the outbox). The
// ledger is the record of truth; recovery (recovery.ts) settles what a crash left unsettled.
import type { LedgerEntry } from '../../../src-node/ledger/entry';
import type { Fold } from '../../../src-node/ledger/fold';
import type { PsrdRange } from '../../../src-shared/psrd/range';
import type { MediumRecordView } from '../../../src-shared/api/delivery';

export type AllocationPhase = 'reserved' | 'written' | 'verified' | 'delivered' | 'voided';
export type Purpose = 'psrd' | 'initial-keys';
export type MediumRecorded = Omit<MediumRecordView, 'kind'> & { readonly kind: MediumRecordView['kind'] | 'keystore' };

export interface AllocationRecord {
  readonly id: string;
  readonly client: string;
  readonly purpose: Purpose;
  readonly package?: string;
  readonly ranges: readonly PsrdRange[];
  readonly bytes: number;
  readonly time: string;
  readonly job?: string;
  /** Who reserved it: the clerk, and the approver of a two-person delivery. */
  readonly actor?: { readonly host: string; readonly operator?: string; readonly approver?: string };
  medium?: MediumRecorded;
  phase: AllocationPhase;
  packageBytes?: number;
  /** The range report queued when the allocation settled. */
  report?: number;
  code?: string;
  reason?: string;
  settledAt?: string;
  /** For a QR sheet: its PDF has been destroyed (after printing). */
  sheetDestroyedAt?: string;
  /** Reported lost by its client: its package ID is refused from then on (the Security Server destroys its copy). */
  lostAt?: string;
}

/**
 * A range report for the Security Server, numbered from 1 without gaps: an allocation settled (delivered,
 * voided, initial keys), a package reported lost, a client revoked.
 */
export interface QueuedReport {
  readonly seq: number;
  readonly kind: 'delivered' | 'voided' | 'initial-keys' | 'package-lost' | 'revoked';
  readonly client: string;
  readonly allocation?: string;
  readonly time: string;
}

export class Allocations implements Fold {
  readonly name = 'allocations';
  readonly byId = new Map<string, AllocationRecord>();
  readonly byPackage = new Map<string, string>();
  /** Allocations not yet delivered or voided: their ranges are reserved and nobody else's. */
  readonly unsettled = new Set<string>();
  /** Range reports by seq, from the first not yet acknowledged by the Security Server. */
  readonly outbox = new Map<number, QueuedReport>();
  /** Reports that are not an allocation's own settlement (a lost package, a revoked client), by seq. */
  readonly otherReports = new Map<number, QueuedReport>();
  lastReport = 0;
  acknowledgedUpTo = 0;

  save(): unknown {
    return { all: [...this.byId.values()], outbox: [...this.outbox.values()], other: [...this.otherReports.values()], lastReport: this.lastReport, acknowledgedUpTo: this.acknowledgedUpTo };
  }

  load(state: unknown): void {
    const s = state as { all: AllocationRecord[]; outbox: QueuedReport[]; other: QueuedReport[]; lastReport: number; acknowledgedUpTo: number };
    for (const a of s.all) this.add(a);
    for (const r of s.outbox) this.outbox.set(r.seq, r);
    for (const r of s.other) this.otherReports.set(r.seq, r);
    this.lastReport = s.lastReport;
    this.acknowledgedUpTo = s.acknowledgedUpTo;
  }

  apply(e: LedgerEntry): void {
    const d = e.data as Record<string, unknown>;
    if (e.type === 'client.revoked' || e.type === 'client.package-lost') {
      const lost = e.type === 'client.package-lost' ? this.byId.get(this.byPackage.get(String(d.package)) ?? '') : undefined;
      if (lost) lost.lostAt = e.time;
      this.queue({ seq: Number(d.report), kind: e.type === 'client.revoked' ? 'revoked' : 'package-lost', client: String(d.client), ...(lost ? { allocation: lost.id } : {}), time: e.time }, true);
      return;
    }
    if (e.type === 'sync.acknowledged') {
      // The Security Server applied every report up to here (issue S8, part 4): they leave the outbox.
      const upTo = Number(d.appliedUpTo);
      if (upTo > this.acknowledgedUpTo) {
        this.acknowledgedUpTo = upTo;
        for (const seq of [...this.outbox.keys()]) if (seq <= upTo) this.outbox.delete(seq);
      }
      return;
    }
    if (!e.type.startsWith('allocation.')) return;
    if (e.type === 'allocation.reserved') {
      this.add({
        id: String(d.allocation), client: String(d.client), purpose: d.purpose === 'initial-keys' ? 'initial-keys' : 'psrd',
        ...(d.package ? { package: String(d.package) } : {}), ranges: d.ranges as PsrdRange[], bytes: Number(d.bytes), time: e.time,
        ...(d.job ? { job: String(d.job) } : {}), ...(d.medium ? { medium: d.medium as MediumRecorded } : {}), phase: 'reserved',
        ...(d.actor ? { actor: d.actor as AllocationRecord['actor'] } : {}),
      });
      return;
    }
    const a = this.byId.get(String(d.allocation));
    if (!a) return;
    switch (e.type) {
      case 'allocation.written':
        a.phase = 'written';
        a.packageBytes = Number(d.packageBytes);
        if (d.medium) a.medium = d.medium as MediumRecorded;
        break;
      case 'allocation.sheet-destroyed':
        a.sheetDestroyedAt = e.time;
        break;
      case 'allocation.verified':
        a.phase = 'verified';
        break;
      case 'allocation.delivered':
      case 'allocation.voided': {
        a.phase = e.type === 'allocation.delivered' ? 'delivered' : 'voided';
        a.report = Number(d.report);
        a.settledAt = e.time;
        if (d.code) a.code = String(d.code);
        if (d.reason) a.reason = String(d.reason);
        this.unsettled.delete(a.id);
        const kind = a.phase === 'voided' ? 'voided' : a.purpose === 'initial-keys' ? 'initial-keys' : 'delivered';
        this.queue({ seq: a.report, kind, client: a.client, allocation: a.id, time: e.time }, false);
        break;
      }
    }
  }

  private queue(r: QueuedReport, other: boolean): void {
    this.lastReport = Math.max(this.lastReport, r.seq);
    if (other) this.otherReports.set(r.seq, r);
    if (r.seq > this.acknowledgedUpTo) this.outbox.set(r.seq, r);
  }

  private add(a: AllocationRecord): void {
    this.byId.set(a.id, a);
    if (a.package) this.byPackage.set(a.package, a.id);
    if (a.phase !== 'delivered' && a.phase !== 'voided') this.unsettled.add(a.id);
  }

  /** Ranges held by unsettled allocations, in the segment asked for. */
  reservedIn(segment: string): PsrdRange[] {
    const out: PsrdRange[] = [];
    for (const id of this.unsettled) for (const r of this.byId.get(id)!.ranges) if (r.segment === segment) out.push(r);
    return out;
  }

  ofClient(client: string): AllocationRecord[] {
    return [...this.byId.values()].filter((a) => a.client === client);
  }

  /**
   * Where the client's next package begins in its PSRD table at the hub (issue S10): the bytes of its
   * packages delivered before (those reported before report `before`, when given). Voided ones never
   * reached it; lost ones did, and keep their place. Deliveries run one at a time, so this is fixed when
   * a package is written, and the Security Server counts the same from the reports.
   */
  tableOffset(client: string, before = Number.MAX_SAFE_INTEGER): number {
    let sum = 0;
    for (const a of this.byId.values()) if (a.client === client && a.purpose === 'psrd' && a.phase === 'delivered' && (a.report ?? 0) < before) sum += a.bytes;
    return sum;
  }
}
