// Bulk shipments, imported (issue S8, part 3; §10.1): the station's copy of unallocated segments, sealed
// under the station's shipment key, read as a stream (bounded memory: one chunk at a time), each chunk
// authenticated before its bytes are stored. An import can be interrupted and run again with the same
// file (or another copy of it): pieces already stored are kept, the rest are added. Only when every chunk
// through the last has authenticated is the shipment held, and only then is its acknowledgement made:
// the station allocates none of a segment before it holds that acknowledgement.
import { createReadStream } from 'node:fs';
import type { Transaction } from 'kysely';
import { nodeCipher } from '../src-node/psrd-store/package-cipher-node';
import { SyncFormatError } from '../src-shared/sync/errors';
import { readShipmentHeader, ShipmentReader, type ShipmentHeader, type ShipmentPiece } from '../src-shared/sync/shipment';
import { sealAcknowledgement } from '../src-shared/sync/acknowledgement';
import { appendAudit } from './audit-log';
import type { ServerCore } from './core';
import type { ServerDatabase } from './db/schema';
import { inTransaction } from './db/transaction';
import { ServerFailure } from './errors';
import { ioReason } from '../src-node/io-reason';
import { insertPoolPiece } from './psrd-table';
import { stationKeys, wipeKeys } from './station-keys';

/** Pieces stored per transaction: a few MiB, so that a resumed import loses little and commits stay few. */
const PIECES_PER_COMMIT = 16;
const HEADER_PROBE = 1 << 20;

export interface ShipmentImport {
  readonly shipment: string;
  readonly station: string;
  readonly segments: number;
  readonly bytes: number;
  /** false: the shipment was held already (nothing changed). */
  readonly added: boolean;
  /** The sealed acknowledgement (DSKEACK1, kind 'shipment'). */
  readonly ack: Uint8Array;
}

export interface ImportProgress {
  readonly bytes: number;
  readonly total: number;
}

/** Where a shipment is read from: a file, or the objects of an HSM token (shipment-sources.ts). */
export interface ShipmentSource {
  /** For messages: the file's path, or the token's label. */
  readonly name: string;
  read(): AsyncIterable<Uint8Array>;
}

/** Reads until the header is whole; returns it, and the bytes read so far (the reader is given them first). */
async function headerOf(source: ShipmentSource, it: AsyncIterator<Uint8Array>): Promise<{ header: ShipmentHeader; head: Buffer }> {
  let head = Buffer.alloc(0);
  for (;;) {
    let next: IteratorResult<Uint8Array>;
    try {
      next = await it.next();
    } catch (e) {
      if (e instanceof ServerFailure) throw e;
      throw new ServerFailure('io', `The shipment on ${source.name} cannot be read (${ioReason(e)}).`);
    }
    if (next.done) throw new ServerFailure('malformed', `The shipment on ${source.name} is cut inside its header.`);
    head = Buffer.concat([head, next.value]);
    try {
      const h = readShipmentHeader(head);
      if (h !== 'need-more') return { header: h.header, head };
    } catch (e) {
      if (e instanceof SyncFormatError) throw new ServerFailure('malformed', e.message);
      throw e;
    }
    if (head.length > HEADER_PROBE) throw new ServerFailure('malformed', `The shipment on ${source.name} has no readable header in its first MiB.`);
  }
}

/** A shipment file. */
export function fileSource(path: string): ShipmentSource {
  return { name: path, read: () => createReadStream(path, { highWaterMark: 1 << 20 }) };
}

async function begin(core: ServerCore, h: ShipmentHeader): Promise<'held' | 'importing'> {
  return inTransaction(core.sdb, async (trx) => {
    const existing = await trx.selectFrom('shipments').select(['station', 'state', 'bytes', 'segments']).where('shipment', '=', h.shipment).executeTakeFirst();
    if (existing) {
      if (existing.station !== h.station || existing.bytes !== h.bytes || existing.segments !== h.segments.length) throw new ServerFailure('duplicate-segment', `Shipment ${h.shipment} is known here with other content; this file is not that shipment.`);
      return existing.state;
    }
    const ids = h.segments.map((s) => s.segment);
    const clash = await trx.selectFrom('segments').select(['segment', 'shipment']).where('station', '=', h.station).where('segment', 'in', ids).executeTakeFirst();
    if (clash) throw new ServerFailure('duplicate-segment', `Segment ${clash.segment} came in shipment ${clash.shipment} already; a segment is shipped once.`);
    await trx.insertInto('shipments').values({ shipment: h.shipment, station: h.station, segments: h.segments.length, bytes: h.bytes, state: 'importing', imported_at: null }).execute();
    for (const s of h.segments) await trx.insertInto('segments').values({ station: h.station, segment: s.segment, shipment: h.shipment, bytes: s.bytes }).execute();
    await appendAudit(trx, core, 'shipment.started', { station: h.station, shipment: h.shipment, segments: h.segments.length, bytes: h.bytes }, core.now());
    return 'importing';
  });
}

async function store(core: ServerCore, station: string, pieces: ShipmentPiece[]): Promise<void> {
  if (pieces.length === 0) return;
  await inTransaction(core.sdb, async (trx: Transaction<ServerDatabase>) => {
    for (const p of pieces) await insertPoolPiece(trx, core.master, station, p.segment, p.offset, p.bytes);
  });
  for (const p of pieces) p.bytes.fill(0);
  pieces.length = 0;
}

export function shipmentAck(core: ServerCore, h: Pick<ShipmentHeader, 'station' | 'shipment' | 'bytes'> & { segments: number }, ackKey: Uint8Array): Uint8Array {
  return sealAcknowledgement({ format: 1, kind: 'shipment', hub: core.config.hub, station: h.station, shipment: h.shipment, segments: h.segments, bytes: h.bytes, time: core.now().toISOString() }, ackKey);
}

/** Imports a shipment (see the file comment). Throws ServerFailure with the reason; pieces authenticated before a fault stay stored for a resumed import. */
export async function importShipment(core: ServerCore, from: string | ShipmentSource, onProgress?: (p: ImportProgress) => void): Promise<ShipmentImport> {
  const source = typeof from === 'string' ? fileSource(from) : from;
  const it = source.read()[Symbol.asyncIterator]();
  try {
    return await importFrom(core, source, it, onProgress);
  } finally {
    await it.return?.();
  }
}

async function importFrom(core: ServerCore, source: ShipmentSource, it: AsyncIterator<Uint8Array>, onProgress?: (p: ImportProgress) => void): Promise<ShipmentImport> {
  const { header: h, head } = await headerOf(source, it);
  if (h.hub !== core.config.hub) throw new ServerFailure('wrong-hub', `This shipment is for hub ${h.hub}; this Security Server serves hub ${core.config.hub}.`);
  const keys = await stationKeys(core, h.station);
  try {
    const state = await begin(core, h);
    const summary = { station: h.station, shipment: h.shipment, segments: h.segments.length, bytes: h.bytes };
    if (state === 'held') return { ...summary, added: false, ack: shipmentAck(core, summary, keys.ack) };
    const reader = new ShipmentReader(keys.shipment, nodeCipher);
    const pending: ShipmentPiece[] = [];
    let done = 0;
    const take = async (slice: Uint8Array): Promise<void> => {
      for (const p of reader.push(slice)) {
        pending.push(p);
        done += p.bytes.length;
        if (pending.length >= PIECES_PER_COMMIT) {
          await store(core, h.station, pending);
          onProgress?.({ bytes: done, total: h.bytes });
        }
      }
    };
    try {
      await take(head);
      for (let next = await it.next(); !next.done; next = await it.next()) await take(next.value);
      reader.end();
    } catch (e) {
      await store(core, h.station, pending);
      const reason = e instanceof SyncFormatError || e instanceof ServerFailure ? e.message : `${source.name} could not be read (${ioReason(e)}).`;
      await inTransaction(core.sdb, (trx) => appendAudit(trx, core, 'shipment.refused', { ...summary, reason }, core.now()));
      throw new ServerFailure(e instanceof SyncFormatError ? (e.code === 'authentication-failed' ? 'forged' : 'malformed') : 'io', `Shipment ${h.shipment} was not imported: ${reason} The pieces before the fault are kept; import a good copy to finish.`);
    }
    await store(core, h.station, pending);
    onProgress?.({ bytes: done, total: h.bytes });
    await inTransaction(core.sdb, async (trx) => {
      const held = await trx.selectFrom('psrd').select((eb) => eb.fn.sum<number>('length').as('bytes')).where('station', '=', h.station).where('segment', 'in', h.segments.map((s) => s.segment)).executeTakeFirst();
      if (Number(held?.bytes ?? 0) !== h.bytes) throw new ServerFailure('io', `Shipment ${h.shipment}: ${Number(held?.bytes ?? 0)} of its ${h.bytes} bytes are stored; import it again.`);
      await trx.updateTable('shipments').set({ state: 'held', imported_at: core.now().toISOString() }).where('shipment', '=', h.shipment).execute();
      await appendAudit(trx, core, 'shipment.held', summary, core.now());
    });
    return { ...summary, added: true, ack: shipmentAck(core, summary, keys.ack) };
  } finally {
    wipeKeys(keys);
  }
}
