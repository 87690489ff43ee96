// The hub's view of a client for key establishment (issue S10, part 1): its number in DSKE messages, its
// transport key (src-shared/hub-api/transport-key.ts, from the initial keys the station reported), and
// its PSRD table's packages (where each begins, how long, not lost), from which either side's halves
// follow (src-shared/hub-api/table-layout.ts).
import type { Transaction } from 'kysely';
import { transportKey } from '../../src-shared/hub-api/transport-key';
import type { TablePackage } from '../../src-shared/hub-api/table-layout';
import type { ServerCore } from '../core';
import type { ServerDatabase } from '../db/schema';
import { ServerFailure } from '../errors';
import { openPiece } from '../psrd-table';

type Db = Transaction<ServerDatabase> | ServerCore['sdb']['db'];

export interface HubClient {
  readonly client: string;
  readonly number: number;
  readonly state: 'active' | 'revoked';
}

export async function clientByNumber(db: Db, n: number, what = 'client'): Promise<HubClient> {
  const row = await db.selectFrom('clients').select(['client', 'number', 'state']).where('number', '=', n).executeTakeFirst();
  if (!row || row.number === null) throw new ServerFailure(what === 'client' ? 'unknown-client' : 'unknown-recipient', `No ${what} number ${n} is registered at this hub.`);
  return { client: row.client, number: Number(row.number), state: row.state };
}

/** The client's transport key; the caller wipes it. Refuses a client whose initial keys the hub does not hold. */
export async function clientTransportKey(core: ServerCore, db: Db, client: string): Promise<Uint8Array> {
  const rows = await db.selectFrom('psrd').select(['station', 'segment', 'offset', 'length', 'wrapped_key', 'sealed'])
    .where('owner', '=', client).where('purpose', '=', 'initial-keys').orderBy('report_seq').orderBy('position').orderBy('offset').execute();
  const keys = Buffer.concat(rows.map((r) => openPiece(core.master, r)));
  try {
    if (keys.length !== 64) throw new ServerFailure('unknown-client', `This hub does not hold the initial keys of ${client} (no report of them yet).`);
    return transportKey(keys, core.config.hub, client);
  } finally {
    keys.fill(0);
  }
}

/** The client's packages in its PSRD table here: delivered and not reported lost. */
export async function tablePackages(db: Db, client: string): Promise<TablePackage[]> {
  const delivered = await db.selectFrom('reports').select(['package', 'bytes', 'table_offset']).where('client', '=', client).where('kind', '=', 'delivered').execute();
  const lost = new Set((await db.selectFrom('reports').select(['package']).where('client', '=', client).where('kind', '=', 'package-lost').execute()).map((r) => r.package));
  return delivered.filter((d) => d.table_offset !== null && !lost.has(d.package)).map((d) => ({ tableOffset: Number(d.table_offset), bytes: Number(d.bytes) }));
}
