// `sync reconcile` (issue S8, part 6): this station's record beside the Security Server's, every
// difference listed — shipments acknowledged here and not held there (or the reverse), reports whose
// kind, client, package or size differ, reports one side has and the other lacks, sync positions that
// disagree, and a witnessed checkpoint that is not this ledger's.
import { StationFailure } from '../../../src-shared/api/result';
import type { ReconcileResult, SyncDifference } from '../../../src-shared/api/sync';
import type { StateAcknowledgement } from '../../../src-shared/sync/acknowledgement';
import type { Core } from '../core';
import { openAck } from './acknowledgements';
import { signedGet, serverOf } from './push';
import { allReports } from './report-batches';
import { DEFAULT_LINK, reasonOf, type LinkOptions } from './server-link';

export function compare(core: Core, s: StateAcknowledgement): SyncDifference[] {
  const out: SyncDifference[] = [];
  const diff = (what: string, station: string, server: string): void => {
    out.push({ what, station, server });
  };
  const held = new Map(s.shipments.map((x) => [x.shipment, x]));
  for (const sh of Object.values(core.sync.state.shipments)) {
    const there = held.get(sh.shipment);
    if (sh.acknowledged && !there) diff(`shipment ${sh.shipment}`, 'acknowledged', 'not held');
    else if (!sh.acknowledged && there) diff(`shipment ${sh.shipment}`, sh.written ? 'written, not yet acknowledged here' : 'not finished writing', 'held (import its acknowledgement: sync push or sync import)');
    else if (there && (there.bytes !== sh.bytes || there.segments !== sh.segments.length)) diff(`shipment ${sh.shipment}`, `${sh.segments.length} segments, ${sh.bytes} bytes`, `${there.segments} segments, ${there.bytes} bytes`);
    held.delete(sh.shipment);
  }
  for (const x of held.values()) diff(`shipment ${x.shipment}`, 'never made by this station', `held: ${x.segments} segments, ${x.bytes} bytes`);

  const mine = allReports(core);
  const acked = core.allocations.acknowledgedUpTo;
  if (s.appliedUpTo !== acked) diff('in sync up to', `#${acked} acknowledged`, `#${s.appliedUpTo} applied`);
  const theirs = new Map(s.reports.map((r) => [r.seq, r]));
  const describe = (r: { kind: string; client: string; package?: string; bytes: number }): string => `${r.kind} ${r.client}${r.package ? ` ${r.package}` : ''} ${r.bytes} bytes`;
  for (let seq = 1; seq <= Math.max(s.appliedUpTo, acked); seq++) {
    const m = mine.get(seq);
    const t = theirs.get(seq);
    if (!m && !t) continue;
    if (!m) diff(`report #${seq}`, 'never made by this station', describe(t!));
    else if (!t) diff(`report #${seq}`, describe(m), seq <= s.appliedUpTo ? 'missing' : 'not applied yet');
    else if (describe(m) !== describe(t)) diff(`report #${seq}`, describe(m), describe(t));
  }
  if (s.witnessed) {
    const own = core.ledger.rootOf(s.witnessed.treeSize);
    if (!own || own.rootHash !== s.witnessed.rootHash) diff(`ledger checkpoint at ${s.witnessed.treeSize} entries`, own ? own.rootHash : 'this ledger is shorter', s.witnessed.rootHash);
  }
  return out;
}

export async function reconcileWithServer(core: Core, given: string | undefined, link: LinkOptions = DEFAULT_LINK): Promise<ReconcileResult> {
  const reg = core.sync.state.registered;
  if (!reg) throw new StationFailure('not-registered', 'Register the station with its Security Server first (dske-station sync register).');
  const server = serverOf(core, given);
  const a = await signedGet(core, server, `/v1/stations/${reg.station}/state`, link, { attempts: 0 });
  if (a.status !== 200) throw new StationFailure('server-refused', `The Security Server refused to give its state: ${reasonOf(a)}`);
  const state = openAck(core, a.body);
  if (state.kind !== 'state') throw new StationFailure('acknowledgement-refused', 'The Security Server answered with something other than its state.');
  return { server, appliedUpTo: state.appliedUpTo, checkedReports: state.reports.length, checkedShipments: state.shipments.length, differences: compare(core, state) };
}
