// A station's registration (issue S8, part 2; §10.1): the station made the keys and wrote them to a
// registration file; the hub operator carries it here, and both read the same confirmation code aloud
// before the server accepts it. No public-key cryptography anywhere: the medium's custody and the code
// are the whole ceremony.
import { timingSafeEqual } from 'node:crypto';
import { confirmationCode, decodeRegistration, reportKeyCheck as keysCheck, type Registration } from '../src-shared/sync/registration-file';
import { SyncFormatError } from '../src-shared/sync/errors';
import { appendAudit } from './audit-log';
import type { ServerCore } from './core';
import { inTransaction } from './db/transaction';
import { ServerFailure } from './errors';
import { unwrapStationKeys, wipeKeys, wrapStationKeys } from './station-keys';

export interface RegisteredStation {
  readonly station: string;
  readonly hub: string;
  readonly createdAt: string;
  readonly confirmationCode: string;
  /** false: this very registration was imported before (nothing changed). */
  readonly added: boolean;
}

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && timingSafeEqual(a, b);

/** Reads a registration file; `code` is what the station's operator reads aloud (8 digits). */
export async function registerStation(core: ServerCore, file: Uint8Array, code: string): Promise<RegisteredStation> {
  let r: Registration;
  try {
    r = decodeRegistration(file);
  } catch (e) {
    if (e instanceof SyncFormatError) throw new ServerFailure('malformed', e.message);
    throw e;
  }
  try {
    if (r.hub !== core.config.hub) throw new ServerFailure('wrong-hub', `This registration file is for hub ${r.hub}; this Security Server serves hub ${core.config.hub}.`);
    const expected = confirmationCode(r);
    if (!/^\d{8}$/.test(code) || !same(Buffer.from(code), Buffer.from(expected))) {
      throw new ServerFailure('code-mismatch', 'The confirmation code does not match this registration file: ask the station\'s operator to read it again; nothing was registered.');
    }
    return await inTransaction(core.sdb, async (trx) => {
      const existing = await trx.selectFrom('stations').select(['keys', 'created_at']).where('station', '=', r.station).executeTakeFirst();
      if (existing) {
        const held = unwrapStationKeys(core.master, r.station, existing.keys);
        const identical = existing.created_at === r.createdAt && same(held.shipment, r.keys.shipment) && same(held.report, r.keys.report) && same(held.ack, r.keys.ack);
        wipeKeys(held);
        if (!identical) throw new ServerFailure('already-registered', `Station ${r.station.slice(0, 12)}… is registered already with other keys; they are not replaced.`);
        return { station: r.station, hub: r.hub, createdAt: r.createdAt, confirmationCode: expected, added: false };
      }
      const now = core.now().toISOString();
      await trx.insertInto('stations').values({ station: r.station, hub: r.hub, registered_at: now, created_at: r.createdAt, keys: wrapStationKeys(core.master, r.station, r.keys), applied_up_to: 0, witnessed_tree_size: null, witnessed_root: null, witnessed_chain_head: null, witnessed_time: null }).execute();
      await appendAudit(trx, core, 'station.registered', { station: r.station, hub: r.hub, createdAt: r.createdAt, keysCheck: keysCheck(r.keys.report) }, core.now());
      return { station: r.station, hub: r.hub, createdAt: r.createdAt, confirmationCode: expected, added: true };
    });
  } finally {
    wipeKeys(r.keys);
  }
}
