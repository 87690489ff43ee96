// The QR chunk (issue S6, part 4c; spec §10.2): a client package printed on a sheet travels as a set
// of QR codes, one chunk in each, that the client scans in any order and puts back together. A chunk
// names its package, its place in it and the package's length, and carries a CRC-32, so a code from
// another sheet, a misread or a missing code is caught before a byte of it is used. The layout, byte
// by byte, is in docs/formats.md ("QR chunk"). Pure TypeScript: Uint8Array only.
//
// Size: a chunk fills at most one QR code of version 25 at error-correction level M in byte mode,
// which holds 997 bytes (ISO/IEC 18004:2015, Table 7: 997 data octets for 25-M; the `qrcode`
// package's own table, lib/core/version.js getCapacity(25, M, Byte), gives the same figure).
// Version 25 (117 × 117 modules) is the largest that still prints at a module size a phone camera
// reads from an A4 sheet four codes to a page; level M survives a fold or a smudge over 15 % of a code.

/** Data bytes of a version-25 QR code at level M in byte mode (ISO/IEC 18004:2015, Table 7). */
export const QR_V25_M_BYTE_CAPACITY = 997;

/** "DSQR" */
export const QR_CHUNK_MAGIC = new Uint8Array([0x44, 0x53, 0x51, 0x52]);
export const QR_CHUNK_FORMAT_VERSION = 1;
/** magic 4, version 1, flags 1, package id 16, index 2, count 2, offset 4, package length 4, payload length 2 */
export const QR_CHUNK_HEADER_BYTES = 36;
export const QR_CHUNK_CRC_BYTES = 4;
export const QR_CHUNK_OVERHEAD = QR_CHUNK_HEADER_BYTES + QR_CHUNK_CRC_BYTES;
/** The most payload one chunk carries: 997 − 40 = 957 bytes. */
export const QR_CHUNK_MAX_PAYLOAD = QR_V25_M_BYTE_CAPACITY - QR_CHUNK_OVERHEAD;
/** Chunk indices and counts are 16-bit. */
export const QR_CHUNK_MAX_COUNT = 0xffff;

export interface QrChunk {
  /** `pkg-` and 32 lowercase hex digits. */
  readonly packageId: string;
  /** 0-based; printed on the sheet as "code index+1 of count". */
  readonly index: number;
  readonly count: number;
  /** Where the payload starts in the package. */
  readonly offset: number;
  /** Bytes of the whole package. */
  readonly packageLength: number;
  readonly payload: Uint8Array;
}

export type QrChunkErrorCode =
  | 'truncated'
  | 'bad-magic'
  | 'unsupported-version'
  | 'bad-crc'
  | 'bad-header'
  | 'bad-package-id'
  | 'too-large'
  | 'no-chunks'
  | 'mixed-packages'
  | 'missing-chunks'
  | 'duplicate-chunks'
  | 'bad-offsets';

export class QrChunkError extends Error {
  /** 0-based indices of the chunks that are missing (code 'missing-chunks'). */
  readonly missing: readonly number[];
  /** 0-based indices of the chunks seen more than once (code 'duplicate-chunks'). */
  readonly duplicates: readonly number[];
  constructor(
    readonly code: QrChunkErrorCode,
    message: string,
    detail: { missing?: readonly number[]; duplicates?: readonly number[] } = {},
  ) {
    super(message);
    this.name = 'QrChunkError';
    this.missing = detail.missing ?? [];
    this.duplicates = detail.duplicates ?? [];
  }
}

// ---- CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320; the CRC of zlib, PNG and gzip) ----

const CRC_TABLE = ((): Uint32Array => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---- package ids ----

const PACKAGE_ID = /^pkg-[0-9a-f]{32}$/;

export function packageIdBytes(packageId: string): Uint8Array {
  if (!PACKAGE_ID.test(packageId)) throw new QrChunkError('bad-package-id', 'A package id is "pkg-" and 32 lowercase hex digits.');
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(packageId.slice(4 + 2 * i, 6 + 2 * i), 16);
  return out;
}

export function packageIdFromBytes(bytes: Uint8Array): string {
  let s = 'pkg-';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

// ---- one chunk ----

export function encodeChunk(chunk: QrChunk): Uint8Array {
  const { index, count, offset, packageLength, payload } = chunk;
  const id = packageIdBytes(chunk.packageId);
  if (payload.length > QR_CHUNK_MAX_PAYLOAD) throw new QrChunkError('too-large', `A chunk carries at most ${QR_CHUNK_MAX_PAYLOAD} bytes.`);
  checkHeader(index, count, offset, packageLength, payload.length);
  const out = new Uint8Array(QR_CHUNK_OVERHEAD + payload.length);
  const v = new DataView(out.buffer);
  out.set(QR_CHUNK_MAGIC, 0);
  out[4] = QR_CHUNK_FORMAT_VERSION;
  out[5] = 0;
  out.set(id, 6);
  v.setUint16(22, index);
  v.setUint16(24, count);
  v.setUint32(26, offset);
  v.setUint32(30, packageLength);
  v.setUint16(34, payload.length);
  out.set(payload, QR_CHUNK_HEADER_BYTES);
  v.setUint32(QR_CHUNK_HEADER_BYTES + payload.length, crc32(out, 0, QR_CHUNK_HEADER_BYTES + payload.length));
  return out;
}

function isU(n: number, bits: 16 | 32): boolean {
  return Number.isInteger(n) && n >= 0 && n < 2 ** bits;
}

/** The header's own consistency: what a chunk may claim about its place in the package. */
function checkHeader(index: number, count: number, offset: number, packageLength: number, payloadLength: number): void {
  const bad = (why: string): never => {
    throw new QrChunkError('bad-header', `This QR code's header is not valid: ${why}.`);
  };
  if (!isU(index, 16) || !isU(count, 16) || !isU(offset, 32) || !isU(packageLength, 32) || !isU(payloadLength, 16)) bad('a field is out of range');
  if (count < 1) bad('the chunk count is 0');
  if (index >= count) bad(`chunk ${index} of ${count}`);
  if (offset + payloadLength > packageLength) bad('the payload runs past the end of the package');
  if (index === 0 && offset !== 0) bad('the first chunk does not start the package');
  if (index === count - 1 && offset + payloadLength !== packageLength) bad('the last chunk does not end the package');
  if (payloadLength === 0 && packageLength !== 0) bad('an empty chunk of a package that is not empty');
}

/** Decodes the bytes of one QR code. Throws a QrChunkError, and nothing else, for any bad input. */
export function decodeChunk(bytes: Uint8Array): QrChunk {
  if (!(bytes instanceof Uint8Array)) throw new QrChunkError('bad-header', 'A QR chunk is bytes.');
  if (bytes.length < 6) throw new QrChunkError('truncated', 'This QR code holds too few bytes to be a PSRD chunk.');
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== QR_CHUNK_MAGIC[i]) throw new QrChunkError('bad-magic', 'This QR code is not a PSRD chunk of a DSKE client package.');
  }
  if (bytes[4] !== QR_CHUNK_FORMAT_VERSION) {
    throw new QrChunkError('unsupported-version', `This QR code is a PSRD chunk of format ${bytes[4]}, which this program does not read (it reads ${QR_CHUNK_FORMAT_VERSION}).`);
  }
  if (bytes.length < QR_CHUNK_OVERHEAD) throw new QrChunkError('truncated', 'This QR code holds a cut-off PSRD chunk.');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const payloadLength = v.getUint16(34);
  const end = QR_CHUNK_HEADER_BYTES + payloadLength;
  if (bytes.length < end + QR_CHUNK_CRC_BYTES) throw new QrChunkError('truncated', 'This QR code holds a cut-off PSRD chunk.');
  if (bytes.length > end + QR_CHUNK_CRC_BYTES) throw new QrChunkError('bad-header', "This QR code's header is not valid: bytes follow the chunk's end.");
  if (crc32(bytes, 0, end) !== v.getUint32(end)) throw new QrChunkError('bad-crc', 'This QR code was misread or damaged (its checksum does not match). Scan it again.');
  if (bytes[5] !== 0) throw new QrChunkError('bad-header', "This QR code's header is not valid: unknown flags.");
  if (payloadLength > QR_CHUNK_MAX_PAYLOAD) throw new QrChunkError('bad-header', "This QR code's header is not valid: the payload is longer than a chunk may be.");
  const index = v.getUint16(22);
  const count = v.getUint16(24);
  const offset = v.getUint32(26);
  const packageLength = v.getUint32(30);
  checkHeader(index, count, offset, packageLength, payloadLength);
  return {
    packageId: packageIdFromBytes(bytes.subarray(6, 22)),
    index,
    count,
    offset,
    packageLength,
    payload: bytes.slice(QR_CHUNK_HEADER_BYTES, end),
  };
}

// ---- a whole package ----

/**
 * Cuts a package into chunks of near-equal size (so every code on the sheet is of about the same QR
 * version), each at most `maxPayload` bytes. An empty package is one empty chunk.
 */
export function splitIntoChunks(packageId: string, pkg: Uint8Array, maxPayload: number = QR_CHUNK_MAX_PAYLOAD): QrChunk[] {
  packageIdBytes(packageId);
  if (!Number.isInteger(maxPayload) || maxPayload < 1 || maxPayload > QR_CHUNK_MAX_PAYLOAD) {
    throw new QrChunkError('too-large', `A chunk carries between 1 and ${QR_CHUNK_MAX_PAYLOAD} bytes.`);
  }
  const count = Math.max(1, Math.ceil(pkg.length / maxPayload));
  if (count > QR_CHUNK_MAX_COUNT || pkg.length >= 2 ** 32) throw new QrChunkError('too-large', 'This package is too large for a QR sheet.');
  const out: QrChunk[] = [];
  let offset = 0;
  for (let index = 0; index < count; index++) {
    // The first (length mod count) chunks take one byte more.
    const len = Math.floor(pkg.length / count) + (index < pkg.length % count ? 1 : 0);
    out.push({ packageId, index, count, offset, packageLength: pkg.length, payload: pkg.slice(offset, offset + len) });
    offset += len;
  }
  return out;
}

function listCodes(indices: readonly number[], count: number): string {
  const printed = indices.slice(0, 20).map((i) => String(i + 1));
  const more = indices.length > 20 ? ` and ${indices.length - 20} more` : '';
  return `${indices.length === 1 ? 'code' : 'codes'} ${printed.join(', ')}${more} of ${count}`;
}

/**
 * Puts a package back together from its chunks, in any order. All must be of one package, every index
 * 0..n−1 present exactly once, and the payloads must tile the package with no gap or overlap. The
 * error names missing and duplicated chunks as printed on the sheet ("code i of n", 1-based) in its
 * message and 0-based in `missing` / `duplicates`.
 */
export function assembleChunks(chunks: readonly QrChunk[]): Uint8Array {
  if (chunks.length === 0) throw new QrChunkError('no-chunks', 'No QR code was scanned.');
  const first = chunks[0]!;
  const { packageId, count, packageLength } = first;
  for (const c of chunks) {
    if (c.packageId !== packageId) {
      throw new QrChunkError('mixed-packages', `These QR codes come from more than one sheet (packages ${packageId} and ${c.packageId}).`);
    }
    if (c.count !== count || c.packageLength !== packageLength) {
      throw new QrChunkError('bad-header', `The QR codes of package ${packageId} disagree on the package's size.`);
    }
  }
  const seen = new Array<number>(count).fill(0);
  for (const c of chunks) {
    if (!Number.isInteger(c.index) || c.index < 0 || c.index >= count) throw new QrChunkError('bad-header', `A QR code claims to be code ${c.index + 1} of ${count}.`);
    seen[c.index]! += 1;
  }
  const missing: number[] = [];
  const duplicates: number[] = [];
  seen.forEach((n, i) => {
    if (n === 0) missing.push(i);
    if (n > 1) duplicates.push(i);
  });
  if (duplicates.length > 0) {
    const also = missing.length > 0 ? `; ${listCodes(missing, count)} ${missing.length === 1 ? 'is' : 'are'} missing` : '';
    throw new QrChunkError('duplicate-chunks', `The sheet's ${listCodes(duplicates, count)} ${duplicates.length === 1 ? 'was' : 'were'} scanned more than once${also}.`, { missing, duplicates });
  }
  if (missing.length > 0) {
    throw new QrChunkError('missing-chunks', `The sheet's ${listCodes(missing, count)} ${missing.length === 1 ? 'is' : 'are'} missing. Scan ${missing.length === 1 ? 'it' : 'them'} too.`, { missing });
  }
  const ordered = [...chunks].sort((a, b) => a.index - b.index);
  const out = new Uint8Array(packageLength);
  let at = 0;
  for (const c of ordered) {
    if (c.offset !== at || at + c.payload.length > packageLength) {
      throw new QrChunkError('bad-offsets', `Code ${c.index + 1} of ${count} does not follow on from the code before it (offset ${c.offset}, expected ${at}).`);
    }
    out.set(c.payload, at);
    at += c.payload.length;
  }
  if (at !== packageLength) throw new QrChunkError('bad-offsets', `The codes hold ${at} bytes of a package of ${packageLength}.`);
  return out;
}
