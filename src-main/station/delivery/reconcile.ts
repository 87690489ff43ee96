// `ledger reconcile` (issue S6, part 6): the allocation record checked against itself, the pool and
// the outbox. No two allocations share a byte; every byte of a settled allocation is destroyed here
// (in the pool's record and, with `deep`, in the segment files themselves); every reservation is
// finished or voided; every settled allocation has exactly one range report, numbered without gaps,
// and the outbox holds exactly those not yet acknowledged; every client's initial keys are in the keystore.
import type { ReconcileProblem, ReconcileResult } from '../../../src-shared/api/delivery';
import { gaps, overlapping } from '../../../src-shared/psrd/range';
import type { Pool } from '../pool/pool';
import type { Allocations } from './allocations';

const MAX_LISTED = 200;

export function reconcile(pool: Pool, allocations: Allocations, opts: { deep: boolean; running: ReadonlySet<string>; clientsWithoutKeys: readonly string[] }): ReconcileResult {
  const problems: ReconcileProblem[] = [];
  const add = (kind: ReconcileProblem['kind'], detail: string): void => {
    if (problems.length < MAX_LISTED) problems.push({ kind, detail });
  };
  const all = [...allocations.byId.values()];
  for (const [a, b] of overlapping(all.flatMap((x) => x.ranges.map((r) => ({ ...r, owner: x.id }))))) {
    add('overlap', `${(a as { owner?: string }).owner} and ${(b as { owner?: string }).owner} both hold bytes of ${a.segment} at ${Math.max(a.offset, b.offset)}.`);
  }
  const reports = new Map<number, string>();
  let deliveries = 0;
  let voided = 0;
  let bytesDelivered = 0;
  let bytesVoided = 0;
  for (const a of all) {
    if (a.phase !== 'delivered' && a.phase !== 'voided') {
      if (!(a.job && opts.running.has(a.job))) add('unfinished', `${a.id} (${a.client}) is still ${a.phase}, and no job is working on it.`);
      continue;
    }
    if (a.phase === 'delivered') {
      deliveries++;
      bytesDelivered += a.bytes;
    } else {
      voided++;
      bytesVoided += a.bytes;
    }
    if (a.phase === 'delivered' && a.medium?.kind === 'qr' && !a.sheetDestroyedAt) {
      add('sheet-on-disk', `The QR sheet of ${a.package} (${a.medium.target}) has not been destroyed since it was printed: run \`dske-station sheet destroy ${a.package}\`.`);
    }
    if (a.report === undefined) add('outbox', `${a.id} was settled without a range report.`);
    else if (reports.has(a.report)) add('outbox', `Range report #${a.report} is claimed by both ${reports.get(a.report)} and ${a.id}.`);
    else reports.set(a.report, a.id);
    for (const r of a.ranges) {
      const s = pool.state.segments.get(r.segment);
      if (!s) {
        add('two-states', `${a.id} holds bytes of ${r.segment}, which the pool never had.`);
        continue;
      }
      if (s.state !== 'unallocated') continue; // destroyed or lost whole: its bytes are gone
      const left = gaps(r.offset, r.offset + r.length, s.erased);
      if (left.length > 0) add('not-destroyed', `${left.reduce((n, g) => n + g.length, 0)} bytes of ${a.id} (${a.phase}) are still in ${r.segment} at ${left[0].offset}.`);
      else if (opts.deep && !pool.erasedOnDisk(r)) add('pool-files', `${r.segment} at ${r.offset} (+${r.length}), ${a.phase} in ${a.id}, can still be read from the segment's files.`);
    }
  }
  for (const [seq, r] of allocations.otherReports) {
    if (reports.has(seq)) add('outbox', `Range report #${seq} is claimed by both ${reports.get(seq)} and a ${r.kind} report for ${r.client}.`);
    else reports.set(seq, `${r.kind} ${r.client}`);
  }
  for (let seq = 1; seq <= allocations.lastReport; seq++) if (!reports.has(seq)) add('outbox', `Range report #${seq} is missing.`);
  for (const seq of allocations.outbox.keys()) if (seq <= allocations.acknowledgedUpTo || !reports.has(seq)) add('outbox', `The outbox holds report #${seq}, which it should not.`);
  for (const [seq] of reports) if (seq > allocations.acknowledgedUpTo && !allocations.outbox.has(seq)) add('outbox', `Report #${seq} is neither acknowledged nor waiting in the outbox.`);
  for (const c of opts.clientsWithoutKeys) add('keystore', `${c} has no initial keys in the keystore (its file is missing): nothing can be delivered to it.`);
  for (const p of pool.state.pending.values()) add('not-destroyed', `The destruction of ${p.segment} at ${p.offset} (+${p.length}) is recorded but not finished (the next start finishes it).`);
  return { ok: problems.length === 0, deliveries, voided, bytesDelivered, bytesVoided, reportsQueued: allocations.outbox.size, problems };
}
