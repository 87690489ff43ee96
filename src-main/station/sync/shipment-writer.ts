// A bulk shipment of the pool to the Security Server (issue S8, part 3; §10.1): unallocated whole
// segments that no shipment holds yet, the oldest first, written as one sealed stream
// (src-shared/sync/shipment.ts) to a file on a removable volume or elsewhere, with bounded memory (one
// chunk in flight) and resumable: the ledger records the shipment's choice before a byte is written, the
// bytes go to <out>.partial, and a run interrupted anywhere is resumed by asking for the same file again:
// the chunks already written are authenticated, kept, and the rest appended (the encryption is
// deterministic per chunk, so the result is the file an uninterrupted run writes). Only then is the file
// renamed to its name and its SHA-256 recorded.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, existsSync, fsyncSync, openSync, renameSync, ftruncateSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { StationFailure } from '../../../src-shared/api/result';
import { formatBytes } from '../../../src-shared/psrd/size';
import { encodeShipment, encodeShipmentHeader, ShipmentReader, type ShipmentHeader } from '../../../src-shared/sync/shipment';
import { nodeCipher } from '../../../src-node/psrd-store/package-cipher-node';
import { ioReason } from '../../../src-node/io-reason';
import type { Core } from '../core';
import type { Actor } from '../operators/accounts';
import type { ShipmentRecord } from './sync-state';

export const SHIPMENT_CHUNK_BYTES = 1 << 20;

export interface ShipmentWritten {
  readonly shipment: string;
  readonly path: string;
  readonly segments: number;
  readonly bytes: number;
  readonly fileBytes: number;
  readonly resumed: boolean;
}

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

export async function writeShipment(
  core: Core,
  args: { readonly out: string; readonly bytes?: number },
  job: { readonly id: string; progress(done: number, phase?: string): void; checkCancelled(): void },
  actor: Actor,
): Promise<ShipmentWritten> {
  const reg = core.sync.state.registered;
  if (!reg) throw new StationFailure('not-registered', 'Register the station with its Security Server first (dske-station sync register).');
  if (existsSync(args.out)) throw new StationFailure('bad-request', `${args.out} exists already; a shipment is never written over a file.`);
  // A mistyped folder must not leave segments promised to a shipment that can never be written.
  let folder: ReturnType<typeof statSync> | undefined;
  try {
    folder = statSync(dirname(args.out));
  } catch (e) {
    throw new StationFailure('io', `The folder ${dirname(args.out)} cannot be used (${ioReason(e)}); nothing was chosen or written.`);
  }
  if (!folder.isDirectory()) throw new StationFailure('io', `${dirname(args.out)} is not a folder; nothing was chosen or written.`);
  let sh = Object.values(core.sync.state.shipments).find((s) => s.path === args.out && !s.written);
  const resumed = sh !== undefined;
  if (!sh) {
    const segments = chooseSegments(core, args.bytes);
    if (segments.length === 0) throw new StationFailure('bad-request', args.bytes !== undefined ? `No whole unshipped segment fits in ${formatBytes(args.bytes)}; nothing was written.` : 'Every segment of the pool is shipped already (or partly allocated); nothing was written.');
    const shipment = `shp-${randomBytes(16).toString('hex')}`;
    const bytes = segments.reduce((a, s) => a + s.bytes, 0);
    core.ledger.append('sync.shipment-started', { shipment, segments: segments.map((s) => s.segment), bytes, chunkBytes: SHIPMENT_CHUNK_BYTES, createdAt: core.now().toISOString(), path: args.out, job: job.id, actor }, core.now);
    sh = core.sync.state.shipments[shipment];
  }
  const h = headerOf(core, sh, reg.station, reg.hub);
  const keys = core.registration.read(reg.station);
  const partial = `${args.out}.partial`;
  try {
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
    for (const k of Object.values(keys)) k.fill(0);
  }
}
