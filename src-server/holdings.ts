// What the server holds, read back: a client's PSRD table (the bytes, in the order its package lists
// its ranges), a station's state for reconciliation (sealed as an acknowledgement, kind 'state'), and
// the server's status for the hub operator.
import { sealAcknowledgement } from '../src-shared/sync/acknowledgement';
import type { ReportKind } from '../src-shared/sync/report-batch';
import type { ServerCore } from './core';
import { openPiece } from './psrd-table';
import { stationKeys, wipeKeys } from './station-keys';

/** The client's PSRD (or initial keys), concatenated in report and range order; one package's only when named. */
export async function clientPsrd(core: ServerCore, client: string, opts: { package?: string; purpose?: 'psrd' | 'initial-keys' } = {}): Promise<Buffer> {
  let q = core.sdb.db.selectFrom('psrd').select(['station', 'segment', 'offset', 'length', 'wrapped_key', 'sealed'])
    .where('owner', '=', client).where('purpose', '=', opts.purpose ?? 'psrd');
  if (opts.package) q = q.where('package', '=', opts.package);
  const rows = await q.orderBy('report_seq').orderBy('position').orderBy('offset').execute();
  return Buffer.concat(rows.map((r) => openPiece(core.master, r)));
}

export interface StationSummary {
  readonly station: string;
  readonly hub: string;
  readonly registeredAt: string;
  readonly appliedUpTo: number;
  readonly witnessedTreeSize: number | null;
  readonly shipmentsHeld: number;
  readonly poolBytes: number;
}

export interface ServerStatus {
  readonly hub: string;
  readonly database: 'sqlite' | 'postgres';
  readonly stations: StationSummary[];
  readonly clients: { readonly active: number; readonly revoked: number };
  readonly clientBytes: number;
  readonly auditEntries: number;
}

export async function serverStatus(core: ServerCore): Promise<ServerStatus> {
  const db = core.sdb.db;
  const stations = await db.selectFrom('stations').select(['station', 'hub', 'registered_at', 'applied_up_to', 'witnessed_tree_size']).orderBy('registered_at').execute();
  const held = await db.selectFrom('shipments').select(['station', (eb) => eb.fn.countAll<number>().as('n')]).where('state', '=', 'held').groupBy('station').execute();
  const pool = await db.selectFrom('psrd').select(['station', (eb) => eb.fn.sum<number>('length').as('bytes')]).where('purpose', '=', 'pool').groupBy('station').execute();
  const clients = await db.selectFrom('clients').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('state').execute();
  const owned = await db.selectFrom('psrd').select((eb) => eb.fn.sum<number>('length').as('bytes')).where('purpose', '=', 'psrd').executeTakeFirst();
  const audit = await db.selectFrom('audit_head').select(['seq']).where('id', '=', 1).executeTakeFirst();
  return {
    hub: core.config.hub,
    database: core.sdb.dialect,
    stations: stations.map((s) => ({
      station: s.station, hub: s.hub, registeredAt: s.registered_at, appliedUpTo: Number(s.applied_up_to), witnessedTreeSize: s.witnessed_tree_size === null ? null : Number(s.witnessed_tree_size),
      shipmentsHeld: Number(held.find((h) => h.station === s.station)?.n ?? 0), poolBytes: Number(pool.find((p) => p.station === s.station)?.bytes ?? 0),
    })),
    clients: { active: Number(clients.find((c) => c.state === 'active')?.n ?? 0), revoked: Number(clients.find((c) => c.state === 'revoked')?.n ?? 0) },
    clientBytes: Number(owned?.bytes ?? 0),
    auditEntries: Number(audit?.seq ?? -1) + 1,
  };
}

/** The station's latest report acknowledgement, made afresh from the database (the station may have lost the last one). */
export async function reportsAck(core: ServerCore, station: string): Promise<Uint8Array> {
  const keys = await stationKeys(core, station);
  try {
    const s = await core.sdb.db.selectFrom('stations').selectAll().where('station', '=', station).executeTakeFirstOrThrow();
    return sealAcknowledgement({ format: 1, kind: 'reports', hub: core.config.hub, station, appliedUpTo: s.applied_up_to, witnessed: witnessedOf(s), refused: null, time: core.now().toISOString() }, keys.ack);
  } finally {
    wipeKeys(keys);
  }
}

function witnessedOf(s: { witnessed_tree_size: number | null; witnessed_root: string | null; witnessed_chain_head: string | null }): { treeSize: number; rootHash: string; chainHead: string } | null {
  return s.witnessed_tree_size !== null && s.witnessed_root !== null && s.witnessed_chain_head !== null ? { treeSize: Number(s.witnessed_tree_size), rootHash: s.witnessed_root, chainHead: s.witnessed_chain_head } : null;
}

/** Everything the server holds for one station, sealed for the station's reconciliation. */
export async function stationState(core: ServerCore, station: string): Promise<Uint8Array> {
  const keys = await stationKeys(core, station);
  try {
    const db = core.sdb.db;
    const s = await db.selectFrom('stations').selectAll().where('station', '=', station).executeTakeFirstOrThrow();
    const shipments = await db.selectFrom('shipments').select(['shipment', 'segments', 'bytes']).where('station', '=', station).where('state', '=', 'held').orderBy('shipment').execute();
    const reports = await db.selectFrom('reports').select(['seq', 'kind', 'client', 'package', 'bytes']).where('station', '=', station).orderBy('seq').execute();
    return sealAcknowledgement({
      format: 1, kind: 'state', hub: core.config.hub, station, appliedUpTo: Number(s.applied_up_to), witnessed: witnessedOf(s),
      shipments: shipments.map((x) => ({ shipment: x.shipment, segments: Number(x.segments), bytes: Number(x.bytes) })),
      reports: reports.map((r) => ({ seq: Number(r.seq), kind: r.kind as ReportKind, client: r.client, ...(r.package ? { package: r.package } : {}), bytes: Number(r.bytes) })),
      time: core.now().toISOString(),
    }, keys.ack);
  } finally {
    wipeKeys(keys);
  }
}

/** A shipment's acknowledgement again, for a station that lost it (only once the shipment is held). */
export async function heldShipment(core: ServerCore, station: string, shipment: string): Promise<{ segments: number; bytes: number } | null> {
  const row = await core.sdb.db.selectFrom('shipments').select(['segments', 'bytes', 'state']).where('shipment', '=', shipment).where('station', '=', station).executeTakeFirst();
  return row && row.state === 'held' ? { segments: Number(row.segments), bytes: Number(row.bytes) } : null;
}

export interface ClientHolding {
  readonly client: string;
  readonly state: 'active' | 'revoked';
  readonly bytes: number;
  readonly initialKeyBytes: number;
  readonly reports: number;
}

export async function clientList(core: ServerCore): Promise<ClientHolding[]> {
  const db = core.sdb.db;
  const clients = await db.selectFrom('clients').select(['client', 'state']).orderBy('client').execute();
  const held = await db.selectFrom('psrd').select(['owner', 'purpose', (eb) => eb.fn.sum<number>('length').as('bytes')]).where('owner', 'is not', null).groupBy(['owner', 'purpose']).execute();
  const reports = await db.selectFrom('reports').select(['client', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('client').execute();
  const sum = (c: string, p: string): number => Number(held.find((h) => h.owner === c && h.purpose === p)?.bytes ?? 0);
  return clients.map((c) => ({ client: c.client, state: c.state, bytes: sum(c.client, 'psrd'), initialKeyBytes: sum(c.client, 'initial-keys'), reports: Number(reports.find((r) => r.client === c.client)?.n ?? 0) }));
}
