// How an allocation ends (issue S6, part 3; spec §10.3): its ranges destroyed in the pool, then the
// allocation settled — delivered or voided — with a range report queued for the Security Server (the
// outbox). The same two steps finish a delivery, void a failed one, and settle what a crash left.
import type { Ledger } from '../../../src-node/ledger/ledger';
import { gaps, type PsrdRange } from '../../../src-shared/psrd/range';
import type { Pool } from '../pool/pool';
import type { Actor } from '../operators/accounts';
import type { AllocationRecord, Allocations } from './allocations';

export interface SettleParts {
  readonly ledger: Ledger;
  readonly pool: Pool;
  readonly allocations: Allocations;
  readonly now: () => Date;
}

/** The parts of the allocation's ranges still in the pool (not yet destroyed), in segments that still exist. */
export function rangesLeft(pool: Pool, a: AllocationRecord): PsrdRange[] {
  const out: PsrdRange[] = [];
  for (const r of a.ranges) {
    const s = pool.state.segments.get(r.segment);
    if (!s || s.state !== 'unallocated') continue; // lost or destroyed whole: nothing of it is left here
    for (const g of gaps(r.offset, r.offset + r.length, s.erased)) out.push({ segment: r.segment, ...g });
  }
  return out;
}

/** Destroys the station's copy of the allocation's ranges and records it delivered, queueing its report. */
export function settleDelivered(p: SettleParts, a: AllocationRecord): number {
  const left = rangesLeft(p.pool, a);
  if (left.length > 0) p.pool.destroyRanges(left, `allocated to ${a.client}${a.package ? ` in ${a.package}` : ' as initial keys'}: the station's copy is destroyed`, a.id);
  const report = p.allocations.lastReport + 1;
  p.ledger.append('allocation.delivered', { allocation: a.id, report }, p.now);
  return report;
}

/**
 * Voids an allocation: its ranges are destroyed here and a 'voided' report is queued, so that the Security
 * Server destroys its copy too; nothing of it is ever allocated again.
 */
export function settleVoided(p: SettleParts, a: AllocationRecord, code: string, reason: string, actor?: Actor): number {
  const left = rangesLeft(p.pool, a);
  if (left.length > 0) p.pool.destroyRanges(left, `voided (${code}): ${reason}`, a.id);
  const report = p.allocations.lastReport + 1;
  p.ledger.append('allocation.voided', { allocation: a.id, code, reason, report, ...(actor ? { actor } : {}) }, p.now);
  return report;
}
