// The PSRD the server holds (issue S8; §10.1, §10.3), at rest and crypto-erasable: each row a piece of one
// segment under its own random data key, that key wrapped by the server's master key and bound to the
// piece's place. Moving a range to a client, or destroying it, splits the pieces at the range's edges
// (re-sealing each part under a fresh key) and deletes the old rows with their keys: no copy of a byte is
// ever left behind under the pool's name. SQLite runs with secure_delete, so deleted rows are overwritten;
// on PostgreSQL a deleted row stays in its page until VACUUM (docs/server.md says so, and `dske-server
// vacuum` runs it), and is useless without its key, which the master key alone cannot bring back once
// that row is gone.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { MasterKey } from '../src-node/psrd-store/master-key';
import type { PsrdRange } from '../src-shared/psrd/range';
import type { ServerDatabase, PsrdTable } from './db/schema';
import { ServerFailure } from './errors';

type Trx = Transaction<ServerDatabase>;

const placeAad = (station: string, segment: string, offset: number, length: number): Buffer => Buffer.from(`dske-server psrd|${station}|${segment}|${offset}|${length}`, 'utf8');

export function sealPiece(master: MasterKey, station: string, segment: string, offset: number, bytes: Uint8Array): { wrapped_key: Uint8Array; sealed: Uint8Array } {
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const aad = placeAad(station, segment, offset, bytes.length);
  try {
    const c = createCipheriv('aes-256-gcm', key, nonce);
    c.setAAD(aad);
    const sealed = Buffer.concat([nonce, c.update(bytes), c.final(), c.getAuthTag()]);
    return { wrapped_key: master.wrap(key, aad), sealed };
  } finally {
    key.fill(0);
  }
}

export function openPiece(master: MasterKey, row: Pick<PsrdTable, 'station' | 'segment' | 'offset' | 'length' | 'wrapped_key' | 'sealed'>): Buffer {
  const aad = placeAad(row.station, row.segment, row.offset, row.length);
  const sealed = Buffer.from(row.sealed);
  if (sealed.length !== 12 + row.length + 16) throw new ServerFailure('io', `The PSRD piece at ${row.segment}+${row.offset} is damaged in the database (wrong length).`);
  const key = master.unwrap(row.wrapped_key, aad);
  try {
    const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(12 + row.length));
    const plain = d.update(sealed.subarray(12, 12 + row.length));
    d.final();
    return plain;
  } catch {
    throw new ServerFailure('io', `The PSRD piece at ${row.segment}+${row.offset} does not authenticate (damaged or altered in the database).`);
  } finally {
    key.fill(0);
  }
}

export interface Target {
  readonly purpose: 'psrd' | 'initial-keys';
  readonly owner: string;
  readonly package: string | null;
  readonly reportSeq: number;
  readonly position: number;
  /** Where the range's first byte goes in the owner's PSRD table (null: initial keys). */
  readonly tableOffset: number | null;
}

const ownedBy = (t: Target, r: PsrdRange, offset: number) => ({
  purpose: t.purpose, owner: t.owner, package: t.package, report_seq: t.reportSeq, position: t.position,
  table_offset: t.tableOffset === null ? null : t.tableOffset + (offset - r.offset),
});

/**
 * Pool rows hold at most this many bytes: a report cuts at most two rows at its edges and re-seals what
 * is left of them, so a small report costs a few KiB of work, not a shipment chunk's MiB.
 */
export const POOL_PIECE_BYTES = 16 << 10;

/** Inserts a shipped chunk into the pool, in pieces; a piece already there (a resumed import) is left as it is. */
export async function insertPoolPiece(trx: Trx, master: MasterKey, station: string, segment: string, offset: number, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length; at += POOL_PIECE_BYTES) {
    const piece = bytes.subarray(at, Math.min(bytes.length, at + POOL_PIECE_BYTES));
    await trx.insertInto('psrd')
      .values({ station, segment, offset: offset + at, length: piece.length, purpose: 'pool', owner: null, package: null, report_seq: null, position: null, table_offset: null, ...sealPiece(master, station, segment, offset + at, piece) })
      .onConflict((oc) => oc.columns(['station', 'segment', 'offset']).doNothing())
      .execute();
  }
}

export type RangeFault = { readonly code: 'unknown-segment' | 'out-of-range' | 'not-in-pool'; readonly reason: string };

type PoolRow = Pick<PsrdTable, 'station' | 'segment' | 'offset' | 'length' | 'wrapped_key' | 'sealed'> & { id: number };

/** The pool pieces that cover the range exactly, or why they do not (nothing is changed). */
export async function poolPieces(trx: Trx, lock: boolean, station: string, r: PsrdRange): Promise<PoolRow[] | RangeFault> {
  const seg = await trx.selectFrom('segments').innerJoin('shipments', 'shipments.shipment', 'segments.shipment')
    .select(['segments.bytes as bytes', 'shipments.state as state', 'shipments.shipment as shipment'])
    .where('segments.station', '=', station).where('segments.segment', '=', r.segment).executeTakeFirst();
  if (!seg) return { code: 'unknown-segment', reason: `segment ${r.segment} was never shipped to this server by this station` };
  if (seg.state !== 'held') return { code: 'unknown-segment', reason: `segment ${r.segment} is in shipment ${seg.shipment}, whose import has not finished` };
  const end = r.offset + r.length;
  if (end > seg.bytes) return { code: 'out-of-range', reason: `${r.segment}+${r.offset} (${r.length} bytes) runs past the segment's ${seg.bytes} bytes` };
  // The pool piece that starts at or before the range, then every piece up to its end: two range scans
  // on psrd_pool_idx, never a walk over the segment's pieces that went to clients before.
  const before = await trx.selectFrom('psrd').select('offset')
    .where('station', '=', station).where('segment', '=', r.segment).where('purpose', '=', 'pool').where('offset', '<=', r.offset)
    .orderBy('offset', 'desc').limit(1).executeTakeFirst();
  let q = trx.selectFrom('psrd').select(['id', 'station', 'segment', 'offset', 'length', 'wrapped_key', 'sealed'])
    .where('station', '=', station).where('segment', '=', r.segment).where('purpose', '=', 'pool')
    .where('offset', '>=', before ? Number(before.offset) : r.offset).where('offset', '<', end)
    .orderBy('offset');
  if (lock) q = q.forUpdate();
  const rows = await q.execute();
  let at = r.offset;
  for (const row of rows) {
    if (row.offset > at) break;
    at = Math.max(at, row.offset + row.length);
  }
  if (rows.length === 0 || rows[0].offset > r.offset || rows[0].offset + rows[0].length <= r.offset || at < end) {
    return { code: 'not-in-pool', reason: `${r.segment}+${r.offset} (${r.length} bytes) is not all in the shipped pool: some of it went to a client or was destroyed already` };
  }
  return rows;
}

/**
 * Moves the pool pieces covering r to target (or destroys them: target null). Pieces cut by the range's
 * edges are split; the parts outside stay in the pool under fresh keys. The caller checked coverage with
 * poolPieces in the same transaction.
 */
export async function moveRange(trx: Trx, master: MasterKey, station: string, r: PsrdRange, rows: readonly PoolRow[], target: Target | null): Promise<void> {
  const end = r.offset + r.length;
  for (const row of rows) {
    const rowEnd = row.offset + row.length;
    const inside = row.offset >= r.offset && rowEnd <= end;
    if (inside) {
      if (target) await trx.updateTable('psrd').set(ownedBy(target, r, row.offset)).where('id', '=', row.id).execute();
      else await trx.deleteFrom('psrd').where('id', '=', row.id).execute();
      continue;
    }
    const plain = openPiece(master, row);
    try {
      await trx.deleteFrom('psrd').where('id', '=', row.id).execute();
      const from = Math.max(r.offset, row.offset);
      const to = Math.min(end, rowEnd);
      const parts: { offset: number; bytes: Buffer; moved: boolean }[] = [];
      if (row.offset < from) parts.push({ offset: row.offset, bytes: plain.subarray(0, from - row.offset), moved: false });
      parts.push({ offset: from, bytes: plain.subarray(from - row.offset, to - row.offset), moved: true });
      if (to < rowEnd) parts.push({ offset: to, bytes: plain.subarray(to - row.offset), moved: false });
      for (const p of parts) {
        if (p.moved && !target) continue;
        const owned = p.moved && target ? ownedBy(target, r, p.offset) : { purpose: 'pool' as const, owner: null, package: null, report_seq: null, position: null, table_offset: null };
        await trx.insertInto('psrd').values({ station, segment: row.segment, offset: p.offset, length: p.bytes.length, ...owned, ...sealPiece(master, station, row.segment, p.offset, p.bytes) }).execute();
      }
    } finally {
      plain.fill(0);
    }
  }
}

export type TableFault = { readonly code: 'psrd-unavailable'; readonly reason: string };

/**
 * Spends `length` bytes of a client's PSRD table from `index` (the DSKE PSRD index, §11.4): returns them
 * and deletes them from the server, with their keys, in the same transaction — so no byte is ever used
 * twice: a second use finds it gone. Pieces cut by the span's edges are split; their other parts stay
 * the client's under fresh keys. Nothing changes when any byte is missing.
 */
export async function takeFromTable(trx: Trx, lock: boolean, master: MasterKey, owner: string, index: number, length: number): Promise<Buffer | TableFault> {
  const end = index + length;
  let q = trx.selectFrom('psrd').selectAll()
    .where('owner', '=', owner).where('purpose', '=', 'psrd')
    .where('table_offset', '<', end).where((eb) => eb(eb('table_offset', '+', eb.ref('length')), '>', index))
    .orderBy('table_offset');
  if (lock) q = q.forUpdate();
  const rows = await q.execute();
  let at = index;
  for (const row of rows) {
    if (Number(row.table_offset) > at) break;
    at = Math.max(at, Number(row.table_offset) + row.length);
  }
  if (rows.length === 0 || Number(rows[0].table_offset) > index || at < end) {
    return { code: 'psrd-unavailable', reason: `bytes ${index} … ${end - 1} of ${owner}'s PSRD table are not all held here: used before, never delivered, or lost` };
  }
  const out = Buffer.alloc(length);
  for (const row of rows) {
    const t = Number(row.table_offset);
    const plain = openPiece(master, row);
    try {
      const from = Math.max(index, t);
      const to = Math.min(end, t + row.length);
      plain.copy(out, from - index, from - t, to - t);
      await trx.deleteFrom('psrd').where('id', '=', row.id).execute();
      // What the span does not cover stays the client's, re-sealed at its own place.
      for (const [a, b] of [[t, from], [to, t + row.length]] as const) {
        if (b <= a) continue;
        const offset = row.offset + (a - t);
        const bytes = plain.subarray(a - t, b - t);
        await trx.insertInto('psrd').values({
          station: row.station, segment: row.segment, offset, length: bytes.length, purpose: 'psrd', owner: row.owner, package: row.package,
          report_seq: row.report_seq, position: row.position, table_offset: a, ...sealPiece(master, row.station, row.segment, offset, bytes),
        }).execute();
      }
    } finally {
      plain.fill(0);
    }
  }
  return out;
}
