// A bulk shipment of the pool to the Security Server (issue S8, part 3; §10.1): unallocated whole
// segments that no shipment holds yet, the oldest first, written as one sealed stream
// (src-shared/sync/shipment.ts) to a file, or through a delivery carrier to a USB stick (with the
// drive-safety policy) or an HSM token (as 'data' objects the server reads back), with bounded memory (one
// chunk in flight) and resumable: the ledger records the shipment's choice before a byte is written, the
// bytes go to <out>.partial, and a run interrupted anywhere is resumed by asking for the same file again:
// the chunks already written are authenticated, kept, and the rest appended (the encryption is
// deterministic per chunk, so the result is the file an uninterrupted run writes). Only then is the file
// renamed to its name and its SHA-256 recorded.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, existsSync, fsyncSync, openSync, renameSync, ftruncateSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { checkOutPath } from '../paths';
import { StationFailure } from '../../../src-shared/api/result';
import type { ShipmentResult } from '../../../src-shared/api/sync';
import { formatBytes } from '../../../src-shared/psrd/size';
import { encodeShipment, encodeShipmentHeader, ShipmentReader, shipmentLength, type ShipmentHeader } from '../../../src-shared/sync/shipment';
import type { Carrier, CarrierProgress, PackageStream } from '../../../hardware/carriers/carrier';
import { openCarrier } from '../delivery/carriers';
import { nodeCipher } from '../../../src-node/psrd-store/package-cipher-node';
import { ioReason } from '../../../src-node/io-reason';
import type { Core } from '../core';
import type { Actor } from '../operators/accounts';
import type { ShipmentRecord } from './sync-state';

export const SHIPMENT_CHUNK_BYTES = 1 << 20;

/** What the `sync ship` call returns, but for its job's ID. */
export type ShipmentWritten = Omit<ShipmentResult, 'job'>;

/** Unallocated whole segments in no shipment, oldest first, up to `bytes` (all when undefined). */
function chooseSegments(core: Core, bytes: number | undefined): { segment: string; bytes: number }[] {
  const out: { segment: string; bytes: number }[] = [];
  let total = 0;
  for (const s of core.pool.state.segments.values()) {
    if (s.state !== 'unallocated' || s.erased.length > 0 || core.sync.inShipment.has(s.id) || core.allocations.reservedIn(s.id).length > 0) continue;
    if (bytes !== undefined && total + s.bytes > bytes) break;
    out.push({ segment: s.id, bytes: s.bytes });
    total += s.bytes;
    if (out.length === 10_000) break;
  }
  return out;
}

function headerOf(core: Core, sh: ShipmentRecord, station: string, hub: string): ShipmentHeader {
  const segments = sh.segments.map((id) => {
    const s = core.pool.state.segments.get(id);
    if (!s || s.state !== 'unallocated' || s.erased.length > 0) throw new StationFailure('bad-request', `Segment ${id} of shipment ${sh.shipment} is no longer whole in the pool; this shipment cannot be finished. Start a new one.`);
    return { segment: id, bytes: s.bytes };
  });
  return { format: 1, hub, station, shipment: sh.shipment, createdAt: sh.createdAt, chunkBytes: sh.chunkBytes, segments, bytes: sh.bytes };
}

/** How much of a partial file is good: whole chunks that authenticate under this shipment's header, and the SHA-256 of those bytes. */
async function goodPrefix(path: string, h: ShipmentHeader, key: Uint8Array): Promise<{ chunks: number; length: number; hash: ReturnType<typeof createHash> }> {
  const reader = new ShipmentReader(key, nodeCipher);
  try {
    for await (const slice of createReadStream(path, { highWaterMark: 1 << 20 })) for (const p of reader.push(slice as Buffer)) p.bytes.fill(0);
  } catch {
    // The first fault ends the good prefix: a torn last write, or anything after it.
  }
  const ours = reader.header !== null && Buffer.from(encodeShipmentHeader(reader.header)).equals(Buffer.from(encodeShipmentHeader(h)));
  const chunks = ours ? reader.chunks : 0;
  const length = ours ? reader.validLength : 0;
  reader.close();
  const hash = createHash('sha256');
  if (length > 0) for await (const slice of createReadStream(path, { start: 0, end: length - 1, highWaterMark: 1 << 20 })) hash.update(slice as Buffer);
  return { chunks, length, hash };
}

export interface ShipmentJob {
  readonly id: string;
  readonly signal?: AbortSignal;
  progress(done: number, phase?: string): void;
  checkCancelled(): void;
}

/** Where a shipment goes: a file (resumable), or a medium opened as a delivery's (usb:, hsm:). */
export interface ShipmentTarget {
  readonly out?: string;
  readonly to?: string;
  readonly pin?: string;
  readonly bytes?: number;
}

/** Checks a file target before anything is chosen: a mistyped folder must not promise segments to a shipment that can never be written. */
async function* hashing(source: AsyncIterable<Uint8Array>, hash: ReturnType<typeof createHash>): AsyncGenerator<Uint8Array> {
  for await (const piece of source) {
    hash.update(piece);
    yield piece;
  }
}

/** Opens the medium of a usb: or hsm: target and runs its preflight (drive safety, the token and its PIN). */
async function openMedium(core: Core, target: ShipmentTarget & { to: string }, h: ShipmentHeader): Promise<Carrier> {
  const carrier = openCarrier(target.to, { settings: core.settings.delivery, dataDir: core.config.dataDir, ...(target.pin !== undefined ? { pin: target.pin } : {}), profile: 'data' });
  try {
    await carrier.preflight(shipmentLength(h));
    return carrier;
  } catch (e) {
    await carrier.release();
    throw e;
  }
}

/**
 * Through a carrier (usb:, hsm:): write, read back and compare. Run again after a failure, it removes
 * what the failed run left and writes the whole shipment again (a carrier write is not resumed midway).
 */
async function writeThroughCarrier(core: Core, carrier: Carrier, h: ShipmentHeader, key: Uint8Array, resumed: boolean, job: ShipmentJob): Promise<{ fileBytes: number; digest: string }> {
  const signal = job.signal ?? new AbortController().signal;
  const length = shipmentLength(h);
  const data = (s: { segment: string; bytes: number }): AsyncIterable<Uint8Array> => core.pool.readAhead(s.segment, 0, s.bytes);
  const hash = createHash('sha256');
  let first = true;
  const stream: PackageStream = {
    hubId: h.hub, clientId: 'shipment', packageId: h.shipment, ranges: [], length,
    pieces: () => {
      const pieces = encodeShipment(h, key, data, nodeCipher);
      if (!first) return pieces;
      first = false;
      return hashing(pieces, hash);
    },
  };
  if (resumed) await carrier.discard({ packageId: h.shipment });
  const progress = (p: CarrierProgress): void => {
    job.checkCancelled();
    job.progress(p.phase === 'write' ? p.bytesDone / 2 : (length + p.bytesDone) / 2, p.phase);
  };
  const written = await carrier.write(stream, progress, signal);
  await carrier.verify(stream, written, progress, signal);
  return { fileBytes: length, digest: hash.digest('hex') };
}

export async function writeShipment(core: Core, target: ShipmentTarget, job: ShipmentJob, actor: Actor): Promise<ShipmentWritten> {
  const reg = core.sync.state.registered;
  if (!reg) throw new StationFailure('not-registered', 'Register the station with its Security Server first (dske-station sync register).');
  if ((target.out === undefined) === (target.to === undefined)) throw new StationFailure('bad-request', 'Name one place for the shipment: a file (--out) or a medium (--to usb:/dev/sdX or hsm:LABEL).');
  const dest = (target.out ?? target.to) as string;
  // A new file, outside the data directory (paths.ts); one cut short is resumed from its .partial.
  if (target.out !== undefined) checkOutPath(core.config.dataDir, target.out, 'shipment file');
  const args = { out: dest, bytes: target.bytes };
  const medium = target.to !== undefined ? { ...target, to: target.to } : undefined;
  let carrier: Carrier | undefined;
  let sh = Object.values(core.sync.state.shipments).find((s) => s.path === args.out && !s.written && !s.abandoned);
  const resumed = sh !== undefined;
  if (!sh) {
    const segments = chooseSegments(core, args.bytes);
    if (segments.length === 0) throw new StationFailure('bad-request', args.bytes !== undefined ? `No whole unshipped segment fits in ${formatBytes(args.bytes)}; nothing was written.` : 'Every segment of the pool is shipped already (or partly allocated); nothing was written.');
    const shipment = `shp-${randomBytes(16).toString('hex')}`;
    const bytes = segments.reduce((a, s) => a + s.bytes, 0);
    const createdAt = core.now().toISOString();
    // A medium that refuses (not removable, too small, the token absent, its PIN wrong) promises no segment.
    if (medium) carrier = await openMedium(core, medium, { format: 1, hub: reg.hub, station: reg.station, shipment, createdAt, chunkBytes: SHIPMENT_CHUNK_BYTES, segments, bytes });
    core.ledger.append('sync.shipment-started', { shipment, segments: segments.map((s) => s.segment), bytes, chunkBytes: SHIPMENT_CHUNK_BYTES, createdAt, path: args.out, job: job.id, actor }, core.now);
    sh = core.sync.state.shipments[shipment];
  }
  const partial = `${args.out}.partial`;
  let keys: ReturnType<Core['registration']['read']> | undefined;
  try {
    const h = headerOf(core, sh, reg.station, reg.hub);
    keys = core.registration.read(reg.station);
    if (medium) {
      carrier ??= await openMedium(core, medium, h);
      const w = await writeThroughCarrier(core, carrier, h, keys.shipment, resumed, job);
      core.ledger.append('sync.shipment-written', { shipment: sh.shipment, fileBytes: w.fileBytes, digest: w.digest, path: dest }, core.now);
      return { shipment: sh.shipment, path: dest, segments: h.segments.length, bytes: h.bytes, fileBytes: w.fileBytes, resumed };
    }
    const prefix = resumed && existsSync(partial) ? await goodPrefix(partial, h, keys.shipment) : { chunks: 0, length: 0, hash: createHash('sha256') };
    let fd: number;
    try {
      fd = openSync(partial, prefix.length > 0 ? 'r+' : 'w', 0o600);
      ftruncateSync(fd, prefix.length);
    } catch (e) {
      throw new StationFailure('io', `${partial} cannot be written (${ioReason(e)}).`);
    }
    let at = prefix.length;
    try {
      const data = (s: { segment: string; bytes: number }): AsyncIterable<Uint8Array> => core.pool.readAhead(s.segment, 0, s.bytes);
      for await (const piece of encodeShipment(h, keys.shipment, data, nodeCipher, { fromChunk: prefix.chunks })) {
        job.checkCancelled();
        writeSync(fd, piece, 0, piece.length, at);
        prefix.hash.update(piece);
        at += piece.length;
        job.progress(Math.min(at, h.bytes), 'write');
      }
      fsyncSync(fd);
    } catch (e) {
      if (e instanceof StationFailure) throw e;
      const code = (e as NodeJS.ErrnoException).code === 'ENOSPC' ? 'disk-full' : 'io';
      throw new StationFailure(code, `The shipment could not be written to ${partial} (${ioReason(e)}); run the same command again to resume where it stopped.`);
    } finally {
      closeSync(fd);
    }
    renameSync(partial, args.out);
    const dfd = openSync(dirname(args.out), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
    const digest = prefix.hash.digest('hex');
    core.ledger.append('sync.shipment-written', { shipment: sh.shipment, fileBytes: at, digest, path: args.out }, core.now);
    return { shipment: sh.shipment, path: args.out, segments: h.segments.length, bytes: h.bytes, fileBytes: at, resumed };
  } finally {
    for (const k of Object.values(keys ?? {})) k.fill(0);
    await carrier?.release();
  }
}
