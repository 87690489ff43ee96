// Range reports, applied exactly once (issue S8, parts 4 and 5; §10.3): a station's sealed batch is
// opened under its report key, its checkpoint is checked to extend the one witnessed before, and each
// report not yet applied is applied in sequence: a delivered range (or a client's initial keys) moves
// from the shipped pool into that client's PSRD table, a voided range is destroyed, a lost package's
// PSRD and a revoked client's whole table are destroyed. One transaction per batch, which first locks
// the station's row (PostgreSQL: FOR UPDATE) and ends by moving `applied_up_to` forward, with the
// (station, seq) primary key of `reports` beneath it: however many server processes receive the same
// batch, each report is applied once. A report that cannot be applied stops the batch there (those
// before it stay applied) and is named, with its reason, in the audit log and in the acknowledgement.
// What anyone could send without the station's keys (a batch that does not parse or authenticate, or
// an authentic one sent again) is refused and noted in the bounded refusal log (refusal-log.ts) instead.
import { SyncFormatError } from '../src-shared/sync/errors';
import { openReportBatch, readReportBatchHeader, verifyWitness, type RangeReport, type ReportBatchHeader } from '../src-shared/sync/report-batch';
import { sealAcknowledgement } from '../src-shared/sync/acknowledgement';
import { overlapping } from '../src-shared/psrd/range';
import { clientNumber } from '../src-shared/hub-api/transport-key';
import type { Transaction } from 'kysely';
import { appendAudit } from './audit-log';
import { noteRefusal } from './refusal-log';
import type { ServerCore } from './core';
import type { ServerDatabase } from './db/schema';
import { inTransaction } from './db/transaction';
import { ServerFailure } from './errors';
import { moveRange, poolPieces } from './psrd-table';
import { stationKeys, wipeKeys } from './station-keys';

type Trx = Transaction<ServerDatabase>;

export interface Refusal {
  readonly seq: number;
  readonly code: string;
  readonly reason: string;
}

export interface BatchOutcome {
  readonly station: string;
  readonly appliedUpTo: number;
  /** Reports of this batch applied by this call (0 for a replay). */
  readonly applied: number;
  readonly refused: Refusal | null;
  /** The sealed acknowledgement for the station (DSKEACK1, kind 'reports'). */
  readonly ack: Uint8Array;
}

/** Applies one report, or says why not (then nothing of it changed). */
async function applyReport(core: ServerCore, trx: Trx, station: string, r: RangeReport, now: string): Promise<Refusal | null> {
  const refuse = (code: string, reason: string): Refusal => ({ seq: r.seq, code, reason: `report ${r.seq}: ${reason}` });
  const client = await trx.selectFrom('clients').select(['state', 'station']).where('client', '=', r.client).executeTakeFirst();
  // A client ID is the hub's (§11.1): two stations must never feed, or revoke, one table under one name.
  if (client && client.station !== station) {
    return refuse('client-of-another-station', `client ${r.client} was enrolled through another station of this hub; give each station its own client number range, and report this person under a client ID of this station`);
  }
  if (client?.state === 'revoked' && r.kind !== 'voided' && r.kind !== 'revoked') return refuse('client-revoked', `client ${r.client} was revoked; nothing more goes to it`);
  if (r.kind === 'delivered' || r.kind === 'initial-keys' || r.kind === 'voided') {
    if (overlapping(r.ranges).length > 0) return refuse('overlap', 'its ranges overlap one another');
    const covered = [];
    for (const range of r.ranges) {
      const rows = await poolPieces(trx, core.lock, station, range);
      if (!Array.isArray(rows)) return refuse(rows.code, rows.reason);
      covered.push(rows);
    }
    if (r.kind === 'delivered') {
      // The package's place in the client's PSRD table: the bytes of its packages delivered before (§11.4 PSRD index).
      const before = await trx.selectFrom('reports').select((eb) => eb.fn.sum<number>('bytes').as('bytes')).where('client', '=', r.client).where('kind', '=', 'delivered').executeTakeFirst();
      const expected = Number(before?.bytes ?? 0);
      if (r.tableOffset !== expected) return refuse('table-offset', `the package is placed at byte ${String(r.tableOffset)} of client ${r.client}'s PSRD table, which holds ${expected} bytes before it here`);
    }
    let inTable = r.tableOffset ?? 0;
    for (let i = 0; i < r.ranges.length; i++) {
      const target = r.kind === 'voided' ? null : { purpose: r.kind === 'initial-keys' ? ('initial-keys' as const) : ('psrd' as const), owner: r.client, package: r.package ?? null, reportSeq: r.seq, position: i, tableOffset: r.kind === 'delivered' ? inTable : null };
      await moveRange(trx, core.master, station, r.ranges[i], covered[i], target);
      inTable += r.ranges[i].length;
    }
    if (r.kind !== 'voided' && !client) await trx.insertInto('clients').values({ client: r.client, station, number: clientNumber(r.client), state: 'active', first_report: r.seq }).execute();
  } else if (r.kind === 'package-lost') {
    if (!r.package) return refuse('malformed', 'a package-lost report names no package');
    const known = await trx.selectFrom('reports').select(['seq']).where('client', '=', r.client).where('package', '=', r.package).where('kind', '=', 'delivered').executeTakeFirst();
    if (!known) return refuse('unknown-package', `package ${r.package} was never reported delivered to client ${r.client}`);
    await trx.deleteFrom('psrd').where('owner', '=', r.client).where('package', '=', r.package).execute();
  } else {
    await trx.deleteFrom('psrd').where('owner', '=', r.client).execute();
    if (client) await trx.updateTable('clients').set({ state: 'revoked' }).where('client', '=', r.client).execute();
    else await trx.insertInto('clients').values({ client: r.client, station, number: clientNumber(r.client), state: 'revoked', first_report: r.seq }).execute();
  }
  await trx.insertInto('reports').values({ station, seq: r.seq, kind: r.kind, client: r.client, package: r.package ?? null, bytes: r.bytes, table_offset: r.tableOffset ?? null, applied_at: now }).execute();
  return null;
}

interface StationState {
  appliedUpTo: number;
  witnessed: { treeSize: number; rootHash: string; chainHead: string } | null;
}

async function lockStation(core: ServerCore, trx: Trx, station: string): Promise<StationState> {
  let q = trx.selectFrom('stations').select(['applied_up_to', 'witnessed_tree_size', 'witnessed_root', 'witnessed_chain_head']).where('station', '=', station);
  if (core.lock) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw new ServerFailure('unknown-station', `Station ${station.slice(0, 12)}… is not registered with this Security Server.`);
  const witnessed = row.witnessed_tree_size !== null && row.witnessed_root !== null && row.witnessed_chain_head !== null ? { treeSize: row.witnessed_tree_size, rootHash: row.witnessed_root, chainHead: row.witnessed_chain_head } : null;
  return { appliedUpTo: row.applied_up_to, witnessed };
}

async function decide(core: ServerCore, trx: Trx, header: ReportBatchHeader, reports: readonly RangeReport[]): Promise<{ state: StationState; applied: number; refused: Refusal | null }> {
  const station = header.station;
  const state = await lockStation(core, trx, station);
  const now = core.now();
  const refuse = async (refused: Refusal): Promise<{ state: StationState; applied: number; refused: Refusal }> => {
    await appendAudit(trx, core, 'reports.refused', { station, first: header.first, last: header.last, ...refused }, now);
    return { state, applied: 0, refused };
  };
  if (header.last <= state.appliedUpTo) {
    // Anyone who saw this batch can send it again: noted in the bounded refusal log, not the audit log.
    return { state, applied: 0, refused: { seq: header.first, code: 'replay', reason: `reports ${header.first} to ${header.last} were applied already (the server is at ${state.appliedUpTo}); nothing changed` } };
  }
  if (header.first > state.appliedUpTo + 1) {
    return refuse({ seq: header.first, code: 'gap', reason: `this batch starts at report ${header.first} but the server has applied up to ${state.appliedUpTo}: send from ${state.appliedUpTo + 1}` });
  }
  const witness = verifyWitness(header, state.witnessed);
  if (!witness.ok) return refuse({ seq: header.first, code: witness.code, reason: witness.reason });
  let applied = 0;
  let refused: Refusal | null = null;
  const iso = now.toISOString();
  let bytes = 0;
  for (const r of reports) {
    if (r.seq <= state.appliedUpTo) continue;
    refused = await applyReport(core, trx, station, r, iso);
    if (refused) break;
    applied++;
    bytes += r.bytes;
  }
  const upTo = state.appliedUpTo + applied;
  const cp = header.checkpoint;
  const newer = !state.witnessed || cp.treeSize >= state.witnessed.treeSize;
  const res = await trx.updateTable('stations')
    .set({ applied_up_to: upTo, ...(newer ? { witnessed_tree_size: cp.treeSize, witnessed_root: cp.rootHash, witnessed_chain_head: cp.chainHead, witnessed_time: cp.time } : {}) })
    .where('station', '=', station).where('applied_up_to', '=', state.appliedUpTo)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) throw Object.assign(new Error('the station row moved under this transaction'), { code: '40001' });
  if (applied > 0) await appendAudit(trx, core, 'reports.applied', { station, first: state.appliedUpTo + 1, last: upTo, bytes, treeSize: cp.treeSize, rootHash: cp.rootHash }, now);
  if (refused) await appendAudit(trx, core, 'reports.refused', { station, first: header.first, last: header.last, ...refused }, now);
  return { state: { appliedUpTo: upTo, witnessed: newer ? { treeSize: cp.treeSize, rootHash: cp.rootHash, chainHead: cp.chainHead } : state.witnessed }, applied, refused };
}

/** Applies a sealed batch; a forged or malformed one changes nothing and is noted, with its reason, in the refusal log. */
export async function applyReportBatch(core: ServerCore, bytes: Uint8Array): Promise<BatchOutcome> {
  let header: ReportBatchHeader;
  try {
    header = readReportBatchHeader(bytes);
  } catch (e) {
    if (!(e instanceof SyncFormatError)) throw e;
    // Logged like any refusal, with what little is known: not whose it is.
    await noteRefusal(core.sdb.db, { time: core.now().toISOString(), station: null, code: 'malformed', reason: e.message });
    throw new ServerFailure('malformed', e.message);
  }
  if (header.hub !== core.config.hub) throw new ServerFailure('wrong-hub', `This report batch is for hub ${header.hub}; this Security Server serves hub ${core.config.hub}.`);
  const keys = await stationKeys(core, header.station);
  try {
    let reports: RangeReport[];
    try {
      reports = openReportBatch(bytes, keys.report).reports;
    } catch (e) {
      if (!(e instanceof SyncFormatError)) throw e;
      const code = e.code === 'authentication-failed' ? 'forged' : 'malformed';
      await noteRefusal(core.sdb.db, { time: core.now().toISOString(), station: header.station, code, reason: e.message });
      throw new ServerFailure(code, e.message);
    }
    const out = await inTransaction(core.sdb, (trx) => decide(core, trx, header, reports));
    if (out.refused?.code === 'replay') await noteRefusal(core.sdb.db, { time: core.now().toISOString(), station: header.station, code: 'replay', reason: out.refused.reason });
    const ack = sealAcknowledgement({ format: 1, kind: 'reports', hub: core.config.hub, station: header.station, appliedUpTo: out.state.appliedUpTo, witnessed: out.state.witnessed, refused: out.refused, time: core.now().toISOString() }, keys.ack);
    return { station: header.station, appliedUpTo: out.state.appliedUpTo, applied: out.applied, refused: out.refused, ack };
  } finally {
    wipeKeys(keys);
  }
}
