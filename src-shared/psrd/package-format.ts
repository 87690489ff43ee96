// The client package (issue S6, part 2; spec §11.1, §11.2): one client's PSRD as it leaves the station,
// on any medium. Layout (docs/formats.md, "Client package"):
//
//   "DSKEPKG1" | u32 BE header length H | header (UTF-8 JSON, H bytes) | sealed chunks
//
// The header names the hub, the client, the package and the pool ranges, in clear; the PSRD follows in
// chunks of `chunkBytes`, each sealed with AES-256-GCM under a key derived from the client's initial
// keys (HKDF-SHA-256, salt = the package ID), so that the package alone yields nothing (§11.1: the
// initial keys and the PSRD travel apart, two independent factors). The header is bound to every chunk
// through the AAD, and the last chunk is marked, so that a cut, reordered or re-headed package fails.
// AES-GCM is the computational wrapper around information-theoretic PSRD (docs/DESIGN.md, choices).
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { PsrdRange } from './range';
import { utf8 } from './utf8';

export const PACKAGE_MAGIC = utf8('DSKEPKG1');
export const PACKAGE_FORMAT = 1;
export const TAG_BYTES = 16;
export const INITIAL_KEY_BYTES = 64;
export const DEFAULT_PACKAGE_CHUNK = 1 << 20;
/** A header is a few ranges and ids; anything larger is malformed. */
export const MAX_HEADER_BYTES = 1 << 20;
export const MAX_RANGES = 10_000;

export const PACKAGE_ID = /^pkg-[0-9a-f]{32}$/;
export const HUB_ID = /^[a-z0-9][a-z0-9.-]{0,62}$/;
export const CLIENT_ID = /^c-[0-9]{6,20}$/;
export const SEGMENT_ID = /^seg-[0-9a-f]{24}$/;

export interface PackageHeader {
  readonly format: 1;
  readonly hub: string;
  readonly client: string;
  readonly package: string;
  readonly ranges: readonly PsrdRange[];
  /** PSRD bytes in the package: the sum of the ranges' lengths. */
  readonly bytes: number;
  readonly chunkBytes: number;
  /**
   * Where this package's PSRD begins in the client's PSRD table at this hub: the bytes of every package
   * delivered to the client before it (issue S10). The client and the Security Server address the table
   * by this offset (the DSKE wire format's PSRD index), so both must place each package alike.
   */
  readonly tableOffset: number;
}

export type PackageErrorCode = 'truncated' | 'bad-magic' | 'unsupported-version' | 'bad-header' | 'authentication-failed' | 'trailing-bytes';

/** The only error a package reader throws: a code and a sentence that never carries PSRD. */
export class PackageError extends Error {
  constructor(readonly code: PackageErrorCode, message: string) {
    super(message);
    this.name = 'PackageError';
  }
}

/** AES-256-GCM as the package needs it: tag appended. The station uses node:crypto, the rest @noble/ciphers. */
export interface ChunkCipher {
  seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array): Uint8Array;
  /** The plaintext, or null when the tag does not verify. */
  open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null;
}

export function encodeHeader(h: PackageHeader): Uint8Array {
  const json = utf8(JSON.stringify({ format: h.format, hub: h.hub, client: h.client, package: h.package, ranges: h.ranges.map((r) => ({ segment: r.segment, offset: r.offset, length: r.length })), bytes: h.bytes, chunkBytes: h.chunkBytes, tableOffset: h.tableOffset }));
  if (json.length > MAX_HEADER_BYTES) throw new RangeError('package header too large');
  const out = new Uint8Array(PACKAGE_MAGIC.length + 4 + json.length);
  out.set(PACKAGE_MAGIC, 0);
  new DataView(out.buffer).setUint32(PACKAGE_MAGIC.length, json.length, false);
  out.set(json, PACKAGE_MAGIC.length + 4);
  return out;
}

/** Total bytes of the encoded package: header, then every chunk with its tag. */
export function packageLength(h: PackageHeader): number {
  return encodeHeader(h).length + h.bytes + chunkCount(h) * TAG_BYTES;
}

export function chunkCount(h: Pick<PackageHeader, 'bytes' | 'chunkBytes'>): number {
  return Math.ceil(h.bytes / h.chunkBytes);
}

/** The key every chunk is sealed under: HKDF-SHA-256 over the initial keys, salted by the package ID. */
export function packageKey(initialKeys: Uint8Array, h: Pick<PackageHeader, 'hub' | 'client' | 'package'>): Uint8Array {
  if (initialKeys.length !== INITIAL_KEY_BYTES) throw new RangeError('initial keys of the wrong size');
  return hkdf(sha256, initialKeys, utf8(h.package), utf8(`dske-station client package v1|${h.hub}|${h.client}`), 32);
}

/** Chunk i's nonce: 4 zero bytes and i as u64 BE (the key is the package's own, so never repeats). */
export function chunkNonce(index: number): Uint8Array {
  const n = new Uint8Array(12);
  new DataView(n.buffer).setBigUint64(4, BigInt(index), false);
  return n;
}

/** Chunk i's AAD: SHA-256 of the encoded header, i as u32 BE, and 1 on the last chunk (else 0). */
export function chunkAad(headerDigest: Uint8Array, index: number, last: boolean): Uint8Array {
  const a = new Uint8Array(headerDigest.length + 5);
  a.set(headerDigest, 0);
  new DataView(a.buffer).setUint32(headerDigest.length, index, false);
  a[headerDigest.length + 4] = last ? 1 : 0;
  return a;
}

export function headerDigest(encodedHeader: Uint8Array): Uint8Array {
  return sha256(encodedHeader);
}

/** Checks a header's fields and their consistency; throws PackageError('bad-header') naming the first fault. */
export function checkHeader(x: unknown): PackageHeader {
  const bad = (why: string): never => {
    throw new PackageError('bad-header', `The package header is malformed: ${why}.`);
  };
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return bad('not an object');
  const o = x as Record<string, unknown>;
  const keys = Object.keys(o).sort().join(',');
  if (keys !== 'bytes,chunkBytes,client,format,hub,package,ranges,tableOffset') return bad('unexpected or missing fields');
  if (o.format !== PACKAGE_FORMAT) throw new PackageError('unsupported-version', `This package is format ${String(o.format)}; this reader knows format ${PACKAGE_FORMAT}.`);
  if (typeof o.hub !== 'string' || !HUB_ID.test(o.hub)) return bad('hub ID');
  if (typeof o.client !== 'string' || !CLIENT_ID.test(o.client)) return bad('client ID');
  if (typeof o.package !== 'string' || !PACKAGE_ID.test(o.package)) return bad('package ID');
  if (!Number.isSafeInteger(o.chunkBytes) || (o.chunkBytes as number) < 1024 || (o.chunkBytes as number) > 1 << 24) return bad('chunk size');
  if (!Array.isArray(o.ranges) || o.ranges.length === 0 || o.ranges.length > MAX_RANGES) return bad('ranges');
  let sum = 0;
  const ranges: PsrdRange[] = [];
  for (const r of o.ranges as unknown[]) {
    if (typeof r !== 'object' || r === null) return bad('a range');
    const rr = r as Record<string, unknown>;
    if (Object.keys(rr).sort().join(',') !== 'length,offset,segment') return bad('a range’s fields');
    if (typeof rr.segment !== 'string' || !SEGMENT_ID.test(rr.segment)) return bad('a range’s segment');
    if (!Number.isSafeInteger(rr.offset) || (rr.offset as number) < 0) return bad('a range’s offset');
    if (!Number.isSafeInteger(rr.length) || (rr.length as number) < 1) return bad('a range’s length');
    sum += rr.length as number;
    ranges.push({ segment: rr.segment, offset: rr.offset as number, length: rr.length as number });
  }
  if (!Number.isSafeInteger(o.bytes) || o.bytes !== sum) return bad('its size is not the sum of its ranges');
  if (!Number.isSafeInteger(o.tableOffset) || (o.tableOffset as number) < 0 || !Number.isSafeInteger((o.tableOffset as number) + sum)) return bad('its table offset');
  return { format: PACKAGE_FORMAT, hub: o.hub, client: o.client, package: o.package, ranges, bytes: sum, chunkBytes: o.chunkBytes as number, tableOffset: o.tableOffset as number };
}
