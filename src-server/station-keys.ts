// The keys a station shares with this server (its registration file): kept in the stations table, each
// wrapped by the server's master key and bound to the station and its purpose.
import type { MasterKey } from '../src-node/psrd-store/master-key';
import { WRAPPED_KEY_BYTES } from '../src-node/psrd-store/master-key';
import type { RegistrationKeys } from '../src-shared/sync/registration-file';
import type { ServerCore } from './core';
import { ServerFailure } from './errors';

const PURPOSES = ['shipment', 'report', 'ack'] as const;
const aad = (station: string, purpose: string): Uint8Array => Buffer.from(`dske-server registration key|${station}|${purpose}`, 'utf8');

export function wrapStationKeys(master: MasterKey, station: string, keys: RegistrationKeys): Uint8Array {
  return Buffer.concat(PURPOSES.map((p) => master.wrap(keys[p], aad(station, p))));
}

export function unwrapStationKeys(master: MasterKey, station: string, wrapped: Uint8Array): RegistrationKeys {
  if (wrapped.length !== PURPOSES.length * WRAPPED_KEY_BYTES) throw new ServerFailure('master-key', `The keys of station ${station.slice(0, 12)}… are damaged in the database.`);
  try {
    const [shipment, report, ack] = PURPOSES.map((p, i) => master.unwrap(wrapped.subarray(i * WRAPPED_KEY_BYTES, (i + 1) * WRAPPED_KEY_BYTES), aad(station, p)));
    return { shipment, report, ack };
  } catch {
    throw new ServerFailure('master-key', `The keys of station ${station.slice(0, 12)}… do not unwrap under this server's master key (another server's key, or altered rows).`);
  }
}

export interface StationRow {
  readonly station: string;
  readonly hub: string;
  readonly appliedUpTo: number;
  readonly witnessed: { readonly treeSize: number; readonly rootHash: string; readonly chainHead: string; readonly time: string } | null;
}

/** The station's keys for one use; the caller wipes them (wipeKeys). */
export async function stationKeys(core: ServerCore, station: string): Promise<RegistrationKeys> {
  const row = await core.sdb.db.selectFrom('stations').select(['keys']).where('station', '=', station).executeTakeFirst();
  if (!row) throw new ServerFailure('unknown-station', `Station ${station.slice(0, 12)}… is not registered with this Security Server (dske-server register FILE).`);
  return unwrapStationKeys(core.master, station, row.keys);
}

export function wipeKeys(keys: RegistrationKeys): void {
  for (const k of Object.values(keys)) k.fill(0);
}
