// The station's range reports as the Security Server reads them (issue S8, part 4): those waiting in the
// outbox, every report ever made (for reconciliation), and a sealed batch of waiting reports carrying the
// ledger's checkpoint with its consistency proof from what the server last witnessed (part 5).
import { randomBytes } from 'node:crypto';
import type { RangeReport } from '../../../src-shared/sync/report-batch';
import { sealReportBatch } from '../../../src-shared/sync/report-batch';
import type { Core } from '../core';
import type { QueuedReport } from '../delivery/allocations';

/** Most reports in one batch: a few hundred KiB of JSON at most. */
export const BATCH_REPORTS = 1000;

function toReport(core: Core, r: QueuedReport): RangeReport {
  const a = r.allocation ? core.allocations.byId.get(r.allocation) : undefined;
  const carriesRanges = r.kind !== 'package-lost' && r.kind !== 'revoked';
  return {
    seq: r.seq, kind: r.kind, client: r.client, ...(a?.package ? { package: a.package } : {}),
    ranges: carriesRanges && a ? a.ranges.map((x) => ({ segment: x.segment, offset: x.offset, length: x.length })) : [],
    bytes: carriesRanges && a ? a.bytes : 0,
    ...(r.kind === 'delivered' ? { tableOffset: core.allocations.tableOffset(r.client, r.seq) } : {}),
    time: r.time,
  };
}

/** The reports waiting in the outbox, in order, at most `limit`. */
export function waitingReports(core: Core, limit = Number.MAX_SAFE_INTEGER): RangeReport[] {
  return [...core.allocations.outbox.values()].sort((a, b) => a.seq - b.seq).slice(0, limit).map((r) => toReport(core, r));
}

/** Every report this station made, by number (settled allocations and the client reports). */
export function allReports(core: Core): Map<number, RangeReport> {
  const out = new Map<number, RangeReport>();
  for (const a of core.allocations.byId.values()) {
    if (a.report === undefined) continue;
    const kind = a.phase === 'voided' ? 'voided' : a.purpose === 'initial-keys' ? 'initial-keys' : 'delivered';
    out.set(a.report, toReport(core, { seq: a.report, kind, client: a.client, allocation: a.id, time: a.settledAt ?? a.time }));
  }
  for (const r of core.allocations.otherReports.values()) out.set(r.seq, toReport(core, r));
  return out;
}

/** Seals reports (numbered without gap) for the station's server, with the witness proof. */
export function sealBatch(core: Core, reports: readonly RangeReport[], reportKey: Uint8Array): Uint8Array {
  const reg = core.sync.state.registered;
  if (!reg) throw new Error('sealBatch: not registered');
  const from = core.sync.state.witnessed?.treeSize ?? null;
  const { checkpoint, proof } = core.ledger.witnessCheckpoint(from, core.now);
  const header = {
    format: 1 as const, hub: reg.hub, station: reg.station, first: reports[0].seq, last: reports[reports.length - 1].seq, checkpoint,
    witness: from !== null && proof ? { from, proof } : null,
  };
  return sealReportBatch(header, reports, reportKey, randomBytes(12));
}
