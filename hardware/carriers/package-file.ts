// A client package as a file (issue S6, parts 4a and 4d): the core that the file carrier and the
// removable-volume carrier share. The package is written under `<name>.partial` (created exclusively,
// never over an existing file) in 1 MiB blocks from page-aligned buffers, with O_DIRECT where the file
// system takes it, hashing each block as it goes; then fsync, rename to its name, fsync of the folder.
// Only the block digests are kept (32 bytes a MiB), so memory stays flat whatever the package's size.
// O_DIRECT rather than the page cache + one fsync (the same durability): measured on the station's
// machine (bench/README.md, "Delivery"), 256 MiB written and fsynced took 0.21–0.43 s with O_DIRECT and
// 0.38–0.50 s through the page cache, whose copy of every block costs CPU that the sealing needs and
// leaves the package in memory, where it evicts the rest. The digests are taken on a thread of their own
// (block-hasher.ts), from the very buffers the blocks are written from and read back into, so that the
// main thread is left to the pool's reads and the sealing. Verification reads the file back with
// O_DIRECT (the page cache bypassed, so the bytes come from the medium, not from memory) and compares
// the digests block by block. Every failure is a media fault
// with the desk's sentence from src-shared/psrd/media-faults.ts and a short detail; never PSRD.
import { constants as fsConstants, existsSync } from 'node:fs';
import { lstat, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { StationFailure } from '../../src-shared/api/result';
import { mediaFaults, type MediaFaultCode } from '../../src-shared/psrd/media-faults';
import { blockHasher, type BlockHasher } from './block-hasher';
import type { CarrierProgress, PackageStream } from './carrier';

/** The unit of writing, hashing and comparing; "the first differing MiB" is counted in these. */
export const BLOCK_BYTES = 1 << 20;
/** O_DIRECT wants buffers, offsets and lengths aligned to the logical block size; 4 KiB covers every drive. */
const DIRECT_ALIGN = 4096;
/** Blocks in flight: one filled (or hashed) here while the others are written (or read) on the thread pool. */
const DEPTH = 4;
export const PARTIAL = '.partial';

export interface OnFileSystem {
  /**
   * The file system (st_dev) the file must be on. A volume unmounted under the carrier leaves its
   * mountpoint an empty folder of the system drive: without this check the package would land there.
   */
  readonly dev?: number;
}

async function checkDev(fh: FileHandle, opts: OnFileSystem): Promise<void> {
  if (opts.dev !== undefined && (await fh.stat()).dev !== opts.dev) throw mediaFailure('medium-unplugged', 'the volume is no longer mounted there');
}

/** What a verify needs to know of what was written: nothing of the package but its digests. */
export interface BlockDigests {
  readonly length: number;
  readonly blockBytes: number;
  /** SHA-256 of each block, hex. */
  readonly sha256: readonly string[];
}

export interface PackageFileWritten extends BlockDigests {
  readonly path: string;
  /** Whether the writes bypassed the page cache (O_DIRECT). */
  readonly direct: boolean;
}

export interface PackageFileVerified {
  readonly path: string;
  /** True: every byte was read with O_DIRECT, from the medium. */
  readonly direct: boolean;
  /** Said plainly where the read-back may have come from a cache. */
  readonly note?: string;
}

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

/** The media fault an errno means; undefined for one that says nothing about the medium. */
export function mediaFaultOf(code: string | undefined): MediaFaultCode | undefined {
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EFBIG':
      return 'medium-full';
    case 'EROFS':
    case 'EACCES':
    case 'EPERM':
      return 'medium-read-only';
    case 'EIO':
    case 'ENODEV':
    case 'ENXIO':
    case 'ENOENT': // the mountpoint, the folder or the file itself gone from under the write
    case 'ENOTCONN': // a FUSE file system whose daemon is gone (new lookups)
    case 'ECONNABORTED': // ... and the requests it had in hand, or made on files already open
    case 'ESHUTDOWN':
    case 'ESTALE':
      return 'medium-unplugged';
    default:
      return undefined;
  }
}

/** A StationFailure for a media fault: the desk's sentence, then a short detail. */
export function mediaFailure(code: MediaFaultCode, detail?: string): StationFailure {
  return new StationFailure(code, detail ? `${mediaFaults[code]} (${detail})` : mediaFaults[code]);
}

function ioDetail(e: unknown, what: string): string {
  const c = errno(e);
  switch (mediaFaultOf(c)) {
    case 'medium-full':
      return `${what}: no space left`;
    case 'medium-read-only':
      return `${what}: ${c === 'EROFS' ? 'read-only file system' : 'permission denied'}`;
    case 'medium-unplugged':
      return `${what}: ${c === 'ENOENT' ? 'the folder or file is gone' : c === 'ENOTCONN' || c === 'ECONNABORTED' ? 'the file system is disconnected' : 'the device stopped answering'}`;
    default:
      return `${what}: the system refused (${c ?? 'error'})`;
  }
}

/** What a catch rethrows: an errno mapped (toFailure), a StationFailure or an error of the caller's (a stream of the wrong length) unchanged. */
function rethrown(e: unknown, what: string): unknown {
  return e instanceof StationFailure || errno(e) === undefined ? e : toFailure(e, what);
}

/** Maps an error of a file operation to a StationFailure; a StationFailure passes unchanged. */
export function toFailure(e: unknown, what: string): StationFailure {
  if (e instanceof StationFailure) return e;
  const fault = mediaFaultOf(errno(e));
  if (fault) return mediaFailure(fault, ioDetail(e, what));
  return new StationFailure('io', `A read or write on the medium failed (${ioDetail(e, what)}).`);
}

function cancelled(): StationFailure {
  return new StationFailure('cancelled', 'The delivery was cancelled; nothing was left on the medium.');
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (e) {
    if (errno(e) === 'ENOENT') return false;
    throw e;
  }
}

export async function fsyncDirectory(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

async function writeFully(fh: FileHandle, buf: Uint8Array, length: number, position: number): Promise<void> {
  let off = 0;
  while (off < length) {
    const { bytesWritten } = await fh.write(buf, off, length - off, position + off);
    if (bytesWritten === 0) throw Object.assign(new Error('the write made no progress'), { code: 'ENOSPC' });
    off += bytesWritten;
  }
}

async function readFully(fh: FileHandle, buf: Uint8Array, length: number, position: number): Promise<number> {
  let off = 0;
  while (off < length) {
    const { bytesRead } = await fh.read(buf, off, length - off, position + off);
    if (bytesRead === 0) break;
    off += bytesRead;
  }
  return off;
}

/**
 * Opens `<path>.partial` for writing, new (O_EXCL), with O_DIRECT where the platform and the file
 * system take it. Linux checks O_DIRECT after creating the file, so a refusal (EINVAL) leaves a file of
 * ours to remove before trying again without.
 */
async function openPartial(partial: string): Promise<{ fh: FileHandle; direct: boolean }> {
  const { O_WRONLY, O_CREAT, O_EXCL, O_DIRECT } = fsConstants;
  if (O_DIRECT !== undefined) {
    try {
      return { fh: await open(partial, O_WRONLY | O_CREAT | O_EXCL | O_DIRECT, 0o600), direct: true };
    } catch (e) {
      if (errno(e) !== 'EINVAL') throw e;
      await unlink(partial).catch(() => undefined);
    }
  }
  return { fh: await open(partial, O_WRONLY | O_CREAT | O_EXCL, 0o600), direct: false };
}

/**
 * Writes `pkg` to `path` through `<path>.partial`; refuses (medium-not-allowed) when `path` or the
 * .partial already exists. Resolves once the file is durable under its name. On any failure the
 * .partial is removed (best effort) and a media fault, 'cancelled' or 'io' is thrown.
 */
export async function writePackageFile(path: string, pkg: PackageStream, progress: (p: CarrierProgress) => void, signal: AbortSignal, opts: OnFileSystem = {}): Promise<PackageFileWritten> {
  const partial = path + PARTIAL;
  const total = pkg.length;
  if (signal.aborted) throw cancelled();
  try {
    if (await exists(path)) throw new StationFailure('medium-not-allowed', `The station will not write over a file that is already there (${basename(path)}).`);
  } catch (e) {
    throw toFailure(e, 'looking at the target');
  }
  // The folder, held open: its fsync, and the removal of the .partial through /proc/self/fd, reach
  // the file system the package went to even after that was unmounted (lazily) from under its name.
  let folder: FileHandle;
  try {
    folder = await open(dirname(path), fsConstants.O_RDONLY | (fsConstants.O_DIRECTORY ?? 0));
  } catch (e) {
    throw toFailure(e, 'opening the folder');
  }
  const viaFolder = existsSync(`/proc/self/fd/${folder.fd}`) ? `/proc/self/fd/${folder.fd}/${basename(partial)}` : partial;
  const removePartial = (): Promise<void> => unlink(viaFolder).catch(() => unlink(partial)).catch(() => undefined);
  let fh: FileHandle;
  let direct: boolean;
  try {
    ({ fh, direct } = await openPartial(partial));
  } catch (e) {
    await folder.close().catch(() => undefined);
    if (errno(e) === 'EEXIST') throw new StationFailure('medium-not-allowed', `An unfinished package file is already there (${basename(partial)}); remove it first.`);
    throw toFailure(e, 'creating the file');
  }
  let closed = false;
  try {
    await checkDev(fh, opts);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await removePartial();
    await folder.close().catch(() => undefined);
    throw toFailure(e, 'creating the file');
  }
  const digests: Promise<string>[] = [];
  let hasher: BlockHasher | undefined;
  const inFlight: Promise<void>[] = [];
  try {
    hasher = blockHasher(DEPTH, BLOCK_BYTES);
    const { slots: bufs, digest: digestOf } = hasher;
    let slot = 0;
    let fill = 0;
    let produced = 0;
    let written = 0;
    const flush = async (len: number): Promise<void> => {
      const buf = bufs[slot]!;
      const position = written;
      let writeLen = len;
      if (direct && len % DIRECT_ALIGN !== 0) {
        // The last block: padded to the alignment O_DIRECT wants, cut back to length below.
        writeLen = Math.ceil(len / DIRECT_ALIGN) * DIRECT_ALIGN;
        buf.fill(0, len, writeLen);
      }
      written += len;
      // The block is hashed on the hashing thread while the thread pool writes it; the slot is free
      // again once both are done. Writes finish in any order; progress counts the bytes written from the start.
      const digest = digestOf(slot, len);
      digests.push(digest);
      // On a failure this settles at the first rejection, not when the slot is free: the catch below
      // relies on fh.close() to wait for the writes still in flight, and on the digests before the wipe.
      const before = inFlight.at(-1) ?? Promise.resolve();
      const p = Promise.all([writeFully(fh, buf, writeLen, position), digest, before]).then(() => {
        progress({ phase: 'write', bytesDone: position + len, bytesTotal: total });
      });
      p.catch(() => undefined); // awaited below, in order
      inFlight.push(p);
      slot = (slot + 1) % DEPTH;
      fill = 0;
      // The next slot is free once the write that last used it is done.
      if (inFlight.length >= DEPTH) await inFlight.shift();
    };
    for await (const piece of pkg.pieces()) {
      if (signal.aborted) throw cancelled();
      produced += piece.length;
      if (produced > total) throw new Error(`The package stream gave more than its stated ${total} bytes.`);
      let off = 0;
      while (off < piece.length) {
        const n = Math.min(piece.length - off, BLOCK_BYTES - fill);
        bufs[slot]!.set(piece.subarray(off, off + n), fill);
        fill += n;
        off += n;
        if (fill === BLOCK_BYTES) await flush(fill);
      }
    }
    if (produced !== total) throw new Error(`The package stream gave ${produced} bytes, not its stated ${total}.`);
    if (fill > 0) await flush(fill);
    for (const p of inFlight.splice(0)) await p;
    if (direct && total % DIRECT_ALIGN !== 0) await fh.truncate(total);
    if (signal.aborted) throw cancelled();
    await fh.sync();
    closed = true;
    await fh.close();
    // rename() replaces silently: look once more, right before, that nothing took the name meanwhile.
    if (await exists(path)) throw new StationFailure('medium-not-allowed', `A file of the same name appeared while the package was written (${basename(path)}).`);
    await rename(partial, path);
    await folder.sync();
    return { path, direct, length: total, blockBytes: BLOCK_BYTES, sha256: await Promise.all(digests) };
  } catch (e) {
    await Promise.allSettled(inFlight.splice(0));
    if (!closed) await fh.close().catch(() => undefined);
    await removePartial();
    await folder.sync().catch(() => undefined);
    throw rethrown(e, `writing ${basename(path)}`);
  } finally {
    await folder.close().catch(() => undefined);
    await Promise.allSettled(digests);
    hasher?.close();
  }
}

function verifyFailed(block: number, why: string): StationFailure {
  return mediaFailure('verify-failed', `${why}; the first difference is in MiB ${block}`);
}

/** Opens for reading with O_DIRECT where the file system takes it. */
async function openForReadBack(path: string): Promise<{ fh: FileHandle; direct: boolean }> {
  const { O_RDONLY, O_DIRECT } = fsConstants;
  if (O_DIRECT !== undefined) {
    try {
      return { fh: await open(path, O_RDONLY | O_DIRECT), direct: true };
    } catch (e) {
      if (errno(e) !== 'EINVAL') throw e;
    }
  }
  return { fh: await open(path, O_RDONLY), direct: false };
}

const CACHE_NOTE =
  'The file system refused O_DIRECT, so the read-back went through the page cache and may have come from memory rather than the medium.';

/**
 * Reads `path` back, bypassing the page cache where the file system allows it, and compares it block by
 * block with `expected`. Throws 'verify-failed' naming the first differing MiB (a short or long file
 * differs at its end), another media fault if the medium fails, or 'cancelled'.
 */
export async function verifyPackageFile(path: string, expected: BlockDigests, progress: (p: CarrierProgress) => void, signal: AbortSignal, opts: OnFileSystem = {}): Promise<PackageFileVerified> {
  if (expected.blockBytes !== BLOCK_BYTES) throw new Error('The digests were taken over blocks of another size.');
  const total = expected.length;
  const blocks = Math.ceil(total / BLOCK_BYTES);
  if (expected.sha256.length !== blocks) throw new Error('The digests do not cover the package.');
  if (signal.aborted) throw cancelled();
  let fh: FileHandle;
  let direct: boolean;
  try {
    ({ fh, direct } = await openForReadBack(path));
  } catch (e) {
    if (errno(e) === 'ENOENT') throw mediaFailure('verify-failed', `${basename(path)} is not on the medium; the first difference is in MiB 0`);
    throw toFailure(e, `reading ${basename(path)} back`);
  }
  let hasher: BlockHasher | undefined;
  const reads: Promise<number>[] = [];
  try {
    hasher = blockHasher(DEPTH, BLOCK_BYTES);
    const { slots: bufs, digest: digestOf } = hasher;
    await checkDev(fh, opts);
    const size = (await fh.stat()).size;
    // One block beyond the package's end is read too: a file longer than the package differs there.
    const toRead = Math.min(Math.max(size, total), blocks * BLOCK_BYTES + BLOCK_BYTES);
    const lastBlock = Math.ceil(toRead / BLOCK_BYTES);
    const readBlock = (i: number): Promise<number> => {
      const buf = bufs[i % DEPTH]!;
      const p = readFully(fh, buf, BLOCK_BYTES, i * BLOCK_BYTES).catch(async (e: unknown) => {
        // A file system that opened with O_DIRECT but refuses the aligned read itself: read through the cache.
        if (!direct || errno(e) !== 'EINVAL' || i !== 0) throw e;
        await fh.close();
        direct = false;
        fh = await open(path, fsConstants.O_RDONLY);
        return readFully(fh, buf, BLOCK_BYTES, 0);
      });
      p.catch(() => undefined);
      return p;
    };
    let next = 0;
    // Block 0 alone first (it settles whether O_DIRECT reads work), then DEPTH-1 ahead.
    reads.push(readBlock(next++));
    for (let i = 0; i < lastBlock; i++) {
      if (signal.aborted) throw cancelled();
      const got = await reads.shift()!;
      while (next < lastBlock && reads.length < DEPTH - 1) reads.push(readBlock(next++));
      const want = Math.max(0, Math.min(BLOCK_BYTES, total - i * BLOCK_BYTES));
      if (i >= blocks) {
        if (got > 0) throw verifyFailed(i, `${basename(path)} is longer than the package (${size} bytes, not ${total})`);
        break;
      }
      if (got < want) throw verifyFailed(i, `${basename(path)} is shorter than the package (${size} bytes, not ${total})`);
      // Hashed on the hashing thread while the next blocks are read.
      if ((await digestOf(i % DEPTH, want)) !== expected.sha256[i]) throw verifyFailed(i, 'the bytes read back differ');
      if (got > want) throw verifyFailed(i, `${basename(path)} is longer than the package (${size} bytes, not ${total})`);
      progress({ phase: 'verify', bytesDone: i * BLOCK_BYTES + want, bytesTotal: total });
    }
    if (size !== total) throw verifyFailed(Math.floor(Math.min(size, total) / BLOCK_BYTES), `${basename(path)} is ${size} bytes, not ${total}`);
    return direct ? { path, direct } : { path, direct, note: CACHE_NOTE };
  } catch (e) {
    throw rethrown(e, `reading ${basename(path)} back`);
  } finally {
    await Promise.allSettled(reads);
    await fh.close().catch(() => undefined);
    hasher?.close();
  }
}

/**
 * Best effort, never throws: overwrites a package file (and its .partial) with zeros, fsyncs and
 * unlinks it. The package is encrypted, so the overwrite is tidiness, not sanitization (flash remaps).
 */
export async function discardPackageFile(path: string): Promise<void> {
  for (const p of [path, path + PARTIAL]) {
    try {
      const fh = await open(p, 'r+');
      try {
        const size = (await fh.stat()).size;
        const zeros = new Uint8Array(Math.min(size, BLOCK_BYTES));
        for (let pos = 0; pos < size; pos += zeros.length) await writeFully(fh, zeros, Math.min(zeros.length, size - pos), pos);
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch {
      // Missing, or the medium refused the overwrite: unlink it all the same.
    }
    await unlink(p).catch(() => undefined);
  }
  await fsyncDirectory(dirname(path)).catch(() => undefined);
}

/** The digests a write left in its notes, checked for shape (the notes travel as plain data). */
export function digestsFrom(written: Readonly<Record<string, unknown>>, pkg: Pick<PackageStream, 'length'>): BlockDigests {
  const { length, blockBytes, sha256: digests } = written as Partial<BlockDigests>;
  if (typeof length !== 'number' || length !== pkg.length || blockBytes !== BLOCK_BYTES || !Array.isArray(digests) || !digests.every((d) => typeof d === 'string' && /^[0-9a-f]{64}$/.test(d))) {
    throw new Error('The notes of the write do not match this package.');
  }
  return { length, blockBytes, sha256: digests };
}
