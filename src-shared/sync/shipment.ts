// The bulk shipment (issue S8; DSKE draft §10.1; docs/formats.md, "Bulk shipment"): a copy of some of
// the station's unallocated pool segments for its Security Server, which must hold every byte of PSRD
// that the station later hands to a client. Gigabytes, on a medium or over the link; written and read
// as a stream with one chunk in memory, and resumable. Layout:
//
//   "DSKESHP1" | u32 BE header length H | header (UTF-8 JSON, H bytes) | sealed chunks
//
// The header, in clear, is exactly {format, hub, station, shipment, createdAt, chunkBytes, segments,
// bytes}: `segments` lists {segment, bytes} in the order their bytes follow, `bytes` is their sum. Each
// segment is cut into chunks of chunkBytes (its last one may be short); a chunk never spans two
// segments, so chunk i lies in exactly one segment at one offset (chunkPlace). Chunks are numbered 0 …
// N−1 across the whole shipment, and chunk i is AES-256-GCM with a 16-byte tag appended:
//
//   key   HKDF-SHA-256(ikm = the registration's shipment key, salt = SHA-256(magic | H | header),
//         info = "dske shipment|<hub>|<station>|<shipment>"), 32 bytes, one per shipment;
//   nonce chunkNonce(i) (package-format.ts: 4 zero bytes, i as u64 BE; never repeats under the key);
//   AAD   chunkAad(header digest, i, last) with last = 1 on the very last chunk of the shipment only.
//
// The header is bound to every chunk and the last chunk is marked, so a shipment that is re-headed,
// reordered, cut (even at a chunk boundary) or extended fails. The encoding is deterministic for the
// same key, header and data: a write resumed at chunk k (encodeShipment's fromChunk, after
// validShipmentPrefix found k whole chunks on the medium) yields exactly the bytes of one uninterrupted.
//
// AES-GCM here is computational: it wraps PSRD in transit, as the client package does (docs/DESIGN.md,
// choices); the DSKE shares made from the PSRD stay one-time-pad. The chunk numbers are u32 in the AAD,
// so a shipment has at most 2^32 chunks.
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { HUB_ID, SEGMENT_ID, TAG_BYTES, chunkAad, chunkNonce, headerDigest, type ChunkCipher } from '../psrd/package-format';
import type { ChunkCipherInto } from '../psrd/package-writer';
import { utf8 } from '../psrd/utf8';
import { frameHeaderLength, NOT_JSON, parseUtf8Json } from '../psrd/frame';
import { SyncFormatError } from './errors';
import { isIsoUtc, STATION_ID } from './registration-file';

export const SHIPMENT_MAGIC = utf8('DSKESHP1');
export const SHIPMENT_FORMAT = 1;
export const SHIPMENT_ID = /^shp-[0-9a-f]{32}$/;
export const SHIPMENT_KEY_BYTES = 32;
export const MIN_SHIPMENT_CHUNK = 1 << 12;
export const MAX_SHIPMENT_CHUNK = 1 << 24;
export const MAX_SHIPMENT_SEGMENTS = 10_000;
/** 10,000 segments take about 600 KiB of header; anything past 1 MiB is malformed. */
export const MAX_SHIPMENT_HEADER_BYTES = 1 << 20;
/** Chunk numbers are u32 in the AAD. */
export const MAX_SHIPMENT_CHUNKS = 2 ** 32;

export interface ShipmentSegment {
  readonly segment: string;
  /** The segment's whole size in bytes (≥ 1). */
  readonly bytes: number;
}

export interface ShipmentHeader {
  readonly format: 1;
  readonly hub: string;
  /** 64 hex: the station's ledger identity. */
  readonly station: string;
  /** `shp-` and 32 hex, chosen by the station. */
  readonly shipment: string;
  /** ISO 8601 UTC. */
  readonly createdAt: string;
  /** A power of two from 4 KiB to 16 MiB. */
  readonly chunkBytes: number;
  /** 1 to 10,000 segments, none twice, in the order their bytes follow. */
  readonly segments: readonly ShipmentSegment[];
  /** The sum of the segments' sizes. */
  readonly bytes: number;
}

/** One authenticated chunk's PSRD: `bytes` are the segment's bytes offset … offset + length − 1. */
export interface ShipmentPiece {
  readonly segment: string;
  readonly offset: number;
  /** Plaintext PSRD, the caller's to wipe. */
  readonly bytes: Uint8Array;
  /** The chunk's number in the shipment, from 0. */
  readonly index: number;
}

export type ShipmentEvent = { readonly kind: 'header'; readonly header: ShipmentHeader } | ({ readonly kind: 'piece' } & ShipmentPiece);

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

const malformed = (why: string): never => {
  throw new SyncFormatError('malformed', `The shipment’s header is malformed: ${why}.`);
};

/** The number of chunks of `bytes` bytes of one segment. */
const chunksOf = (bytes: number, chunkBytes: number): number => Math.ceil(bytes / chunkBytes);

function checkShipmentHeader(x: unknown): ShipmentHeader {
  if (!isRecord(x)) return malformed('not an object');
  if (x.format !== SHIPMENT_FORMAT) {
    throw new SyncFormatError('unsupported-version', `This shipment is format ${String(x.format)}; this reader knows format ${SHIPMENT_FORMAT}.`);
  }
  if (Object.keys(x).sort().join(',') !== 'bytes,chunkBytes,createdAt,format,hub,segments,shipment,station') return malformed('unexpected or missing fields');
  if (typeof x.hub !== 'string' || !HUB_ID.test(x.hub)) return malformed('hub ID');
  if (typeof x.station !== 'string' || !STATION_ID.test(x.station)) return malformed('station ID');
  if (typeof x.shipment !== 'string' || !SHIPMENT_ID.test(x.shipment)) return malformed('shipment ID');
  if (typeof x.createdAt !== 'string' || !isIsoUtc(x.createdAt)) return malformed('creation time');
  const cb = x.chunkBytes;
  if (typeof cb !== 'number' || !Number.isSafeInteger(cb) || cb < MIN_SHIPMENT_CHUNK || cb > MAX_SHIPMENT_CHUNK || (cb & (cb - 1)) !== 0) {
    return malformed('the chunk size is not a power of two from 4 KiB to 16 MiB');
  }
  if (!Array.isArray(x.segments) || x.segments.length < 1 || x.segments.length > MAX_SHIPMENT_SEGMENTS) return malformed(`not 1 to ${MAX_SHIPMENT_SEGMENTS} segments`);
  const seen = new Set<string>();
  const segments: ShipmentSegment[] = [];
  let sum = 0;
  let chunks = 0;
  for (const s of x.segments as unknown[]) {
    if (!isRecord(s) || Object.keys(s).sort().join(',') !== 'bytes,segment') return malformed('a segment is not {segment, bytes}');
    if (typeof s.segment !== 'string' || !SEGMENT_ID.test(s.segment)) return malformed('a segment ID');
    if (seen.has(s.segment)) return malformed(`segment ${s.segment} is listed twice`);
    seen.add(s.segment);
    if (typeof s.bytes !== 'number' || !Number.isSafeInteger(s.bytes) || s.bytes < 1) return malformed(`the size of segment ${s.segment}`);
    sum += s.bytes;
    if (!Number.isSafeInteger(sum)) return malformed('segments too large');
    chunks += chunksOf(s.bytes, cb);
    segments.push({ segment: s.segment, bytes: s.bytes });
  }
  if (x.bytes !== sum) return malformed('its size is not the sum of its segments');
  if (chunks > MAX_SHIPMENT_CHUNKS) return malformed(`more than ${MAX_SHIPMENT_CHUNKS} chunks`);
  return { format: SHIPMENT_FORMAT, hub: x.hub, station: x.station, shipment: x.shipment, createdAt: x.createdAt, chunkBytes: cb, segments, bytes: sum };
}

/** Encodes a header (magic, length, JSON); throws RangeError on a field that the reader would refuse. */
export function encodeShipmentHeader(h: ShipmentHeader): Uint8Array {
  const text = JSON.stringify({
    format: h.format, hub: h.hub, station: h.station, shipment: h.shipment, createdAt: h.createdAt, chunkBytes: h.chunkBytes,
    segments: h.segments.map((s) => ({ segment: s.segment, bytes: s.bytes })), bytes: h.bytes,
  });
  try {
    checkShipmentHeader(JSON.parse(text));
  } catch (e) {
    if (e instanceof SyncFormatError) throw new RangeError(`shipment: ${e.message}`);
    throw e;
  }
  const json = utf8(text);
  if (json.length > MAX_SHIPMENT_HEADER_BYTES) throw new RangeError('shipment: header too large');
  const m = SHIPMENT_MAGIC.length;
  const out = new Uint8Array(m + 4 + json.length);
  out.set(SHIPMENT_MAGIC, 0);
  new DataView(out.buffer).setUint32(m, json.length, false);
  out.set(json, m + 4);
  return out;
}

/** Where each segment's first chunk is, and the number of chunks. Assumes a checked header. */
function layout(h: ShipmentHeader): { starts: number[]; count: number } {
  const starts: number[] = [];
  let count = 0;
  for (const s of h.segments) {
    starts.push(count);
    count += chunksOf(s.bytes, h.chunkBytes);
  }
  return { starts, count };
}

/** The number of sealed chunks. */
export function shipmentChunkCount(h: ShipmentHeader): number {
  return layout(h).count;
}

/** Total bytes of the encoded shipment: header, then every chunk with its tag. */
export function shipmentLength(h: ShipmentHeader): number {
  return encodeShipmentHeader(h).length + h.bytes + shipmentChunkCount(h) * TAG_BYTES;
}

/** Which segment chunk `index` holds, from which offset, and how many plaintext bytes. */
export function chunkPlace(h: ShipmentHeader, index: number): { segment: string; offset: number; length: number } {
  const { starts, count } = layout(h);
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) throw new RangeError(`chunkPlace: no chunk ${index} in a shipment of ${count}`);
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= index) lo = mid;
    else hi = mid - 1;
  }
  const s = h.segments[lo];
  const offset = (index - starts[lo]) * h.chunkBytes;
  return { segment: s.segment, offset, length: Math.min(h.chunkBytes, s.bytes - offset) };
}

function shipmentKey(registrationShipmentKey: Uint8Array, digest: Uint8Array, h: ShipmentHeader): Uint8Array {
  return hkdf(sha256, registrationShipmentKey, digest, utf8(`dske shipment|${h.hub}|${h.station}|${h.shipment}`), 32);
}

/** The header's JSON length H from the first bytes, or 'need-more' before 12; a wrong magic shows from the first byte. */
function headerJsonLength(prefix: Uint8Array): number | 'need-more' {
  for (let i = 0; i < Math.min(SHIPMENT_MAGIC.length, prefix.length); i++) {
    if (prefix[i] !== SHIPMENT_MAGIC[i]) throw new SyncFormatError('bad-magic', 'This is not a DSKE shipment.');
  }
  const h = frameHeaderLength(prefix, SHIPMENT_MAGIC, MAX_SHIPMENT_HEADER_BYTES);
  if (h === 'short') return 'need-more';
  if (h === 'magic') throw new SyncFormatError('bad-magic', 'This is not a DSKE shipment.');
  if (h === 'length') throw new SyncFormatError('malformed', 'The shipment’s header has an impossible length.');
  return h;
}

/**
 * Reads a shipment's header from the first bytes of a shipment: the header and the bytes it takes
 * (where chunk 0 starts), or 'need-more' while the prefix is too short to tell. Throws
 * SyncFormatError ('bad-magic', 'malformed', 'unsupported-version') on a header that is wrong.
 */
export function readShipmentHeader(prefix: Uint8Array): { header: ShipmentHeader; headerLength: number } | 'need-more' {
  const m = SHIPMENT_MAGIC.length;
  const h = headerJsonLength(prefix);
  if (h === 'need-more' || prefix.length < m + 4 + h) return 'need-more';
  const parsed = parseUtf8Json(prefix.subarray(m + 4, m + 4 + h));
  if (parsed === NOT_JSON) throw new SyncFormatError('malformed', 'The shipment’s header is not valid UTF-8 JSON.');
  return { header: checkShipmentHeader(parsed), headerLength: m + 4 + h };
}

const canSealInto = (c: ChunkCipher): c is ChunkCipher & ChunkCipherInto => typeof (c as Partial<ChunkCipherInto>).sealInto === 'function';

/**
 * Yields the encoded shipment: the header, then each chunk sealed as its data arrives. `data` is asked
 * for each segment in header order and yields that segment's bytes from its offset 0, in pieces of any
 * size, exactly the segment's size in all (else RangeError); each piece need stay valid only until the
 * next is asked for. Each yielded chunk is valid until the next is asked for (a cipher that seals into
 * a buffer lets the writer reuse one; a caller that keeps chunks copies them).
 *
 * Resuming: with fromChunk = k (0 … N), the header and chunks 0 … k−1 are not yielded; `data` is asked
 * only for the segment that holds chunk k and those after it, and still from each one's offset 0 (the
 * bytes before chunk k are read and passed over). The bytes yielded are exactly those an uninterrupted
 * write yields from chunk k on, so they go after the first k chunks already written (validShipmentPrefix).
 * Throws RangeError for a key that is not 32 bytes, a header the reader would refuse, a fromChunk out of
 * range, and data of the wrong size. The caller wipes its key; the derived key and buffers are wiped here.
 */
export async function* encodeShipment(
  h: ShipmentHeader,
  registrationShipmentKey: Uint8Array,
  data: (s: ShipmentSegment) => AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  cipher: ChunkCipher,
  opts: { readonly fromChunk?: number } = {},
): AsyncGenerator<Uint8Array> {
  if (registrationShipmentKey.length !== SHIPMENT_KEY_BYTES) throw new RangeError('encodeShipment: the shipment key is 32 bytes');
  const encoded = encodeShipmentHeader(h);
  const read = readShipmentHeader(encoded);
  if (read === 'need-more') throw new RangeError('encodeShipment: the header does not read back');
  const header = read.header;
  const { starts, count: n } = layout(header);
  const from = opts.fromChunk ?? 0;
  if (!Number.isSafeInteger(from) || from < 0 || from > n) throw new RangeError(`encodeShipment: fromChunk ${from} is not between 0 and ${n}`);
  if (from === 0) yield encoded;
  if (from === n) return;
  const digest = headerDigest(encoded);
  const key = shipmentKey(registrationShipmentKey, digest, header);
  const cb = header.chunkBytes;
  const buf = new Uint8Array(Math.min(cb, Math.max(...header.segments.map((s) => s.bytes))));
  const into = canSealInto(cipher) ? cipher : undefined;
  const out = into ? new Uint8Array(buf.length + TAG_BYTES) : undefined;
  let index = 0;
  const seal = (plain: Uint8Array): Uint8Array => {
    const aad = chunkAad(digest, index, index === n - 1);
    const sealed = into && out ? into.sealInto(key, chunkNonce(index), aad, plain, out) : cipher.seal(key, chunkNonce(index), aad, plain);
    if (sealed.length !== plain.length + TAG_BYTES) throw new RangeError('encodeShipment: the cipher returned the wrong length');
    return sealed;
  };
  try {
    let first = 0;
    while (first + 1 < starts.length && starts[first + 1] <= from) first++;
    for (let s = first; s < header.segments.length; s++) {
      const seg = header.segments[s];
      index = starts[s];
      let done = 0;
      let fill = 0;
      for await (const piece of data(seg)) {
        let at = 0;
        while (at < piece.length) {
          if (done === seg.bytes) throw new RangeError(`encodeShipment: more data than segment ${seg.segment}’s ${seg.bytes} bytes`);
          const len = Math.min(cb, seg.bytes - (index - starts[s]) * cb);
          if (index < from) {
            // Before the resume point: read and pass over.
            const take = Math.min(len - fill, piece.length - at);
            fill += take;
            at += take;
            done += take;
            if (fill === len) {
              fill = 0;
              index++;
            }
            continue;
          }
          if (fill === 0 && piece.length - at >= len) {
            // A whole chunk inside the piece: sealed where it lies.
            const sealed = seal(piece.subarray(at, at + len));
            at += len;
            done += len;
            index++;
            yield sealed;
            continue;
          }
          const take = Math.min(len - fill, piece.length - at);
          buf.set(piece.subarray(at, at + take), fill);
          fill += take;
          at += take;
          done += take;
          if (fill === len) {
            const sealed = seal(buf.subarray(0, len));
            fill = 0;
            index++;
            yield sealed;
          }
        }
      }
      if (done !== seg.bytes) throw new RangeError(`encodeShipment: the data of segment ${seg.segment} ended after ${done} of ${seg.bytes} bytes`);
    }
  } finally {
    buf.fill(0);
    key.fill(0);
  }
}

const consume: unique symbol = Symbol('consume');

/**
 * Reads a shipment pushed to it in slices of any size, authenticating each chunk as soon as it is
 * whole, with at most the header or one sealed chunk buffered (`buffered`). Throws SyncFormatError
 * only, for any input bytes: 'bad-magic', 'malformed', 'unsupported-version' for the header,
 * 'authentication-failed' for a chunk (named, with its segment), 'trailing-bytes' for any byte after
 * the last chunk, and from end() 'truncated' for a shipment that stops short. No piece is returned past
 * a fault, and every call after it throws it again; the caller must call end() to learn that the
 * shipment is whole. The reader copies the key it is given (the caller wipes its own) and wipes what it
 * derives at the last chunk, at a fault, at end() or at close().
 */
export class ShipmentReader {
  private regKey: Uint8Array | null;
  private head: Uint8Array | null = new Uint8Array(SHIPMENT_MAGIC.length + 4);
  private headFill = 0;
  private parsed: ShipmentHeader | null = null;
  private digest: Uint8Array = new Uint8Array(0);
  private key: Uint8Array | null = null;
  private starts: number[] = [];
  private count = 0;
  private index = 0;
  private seg = 0;
  private buf: Uint8Array | null = null;
  private fill = 0;
  private valid = 0;
  private failed: SyncFormatError | null = null;
  private closed = false;

  constructor(
    registrationShipmentKey: Uint8Array,
    private readonly cipher: ChunkCipher,
  ) {
    if (registrationShipmentKey.length !== SHIPMENT_KEY_BYTES) throw new RangeError('ShipmentReader: the shipment key is 32 bytes');
    // A copy (not .slice(): on a Node Buffer that is a view, and wiping it would wipe the caller's key).
    this.regKey = new Uint8Array(registrationShipmentKey);
  }

  /** The header, once it has arrived whole and checked; null before. */
  get header(): ShipmentHeader | null {
    return this.parsed;
  }

  /** Input bytes held and not yet returned: part of the header, or part of one sealed chunk. */
  get buffered(): number {
    return this.parsed === null ? this.headFill : this.fill;
  }

  /** Chunks authenticated so far. */
  get chunks(): number {
    return this.index;
  }

  /**
   * The bytes of the shipment up to the end of the last chunk authenticated, header included; 0 while
   * no chunk has (a header alone is not authenticated: a resumed write then starts over).
   */
  get validLength(): number {
    return this.index === 0 ? 0 : this.valid;
  }

  /**
   * Takes the next slice; returns the pieces of the chunks it completed, in order (a slice that
   * completes several chunks returns them all: push slices of about a chunk to hold one). A fault in
   * the slice is thrown at once if no chunk of the slice authenticated before it; otherwise those
   * pieces are returned and the fault is thrown by the next push() or end().
   */
  push(bytes: Uint8Array): ShipmentPiece[] {
    const pieces: ShipmentPiece[] = [];
    try {
      for (const e of this[consume](bytes)) {
        if (e.kind === 'piece') pieces.push({ segment: e.segment, offset: e.offset, bytes: e.bytes, index: e.index });
      }
    } catch (e) {
      if (e instanceof SyncFormatError && pieces.length > 0) return pieces;
      for (const p of pieces) p.bytes.fill(0);
      throw e;
    }
    return pieces;
  }

  /** The end of the input: throws SyncFormatError('truncated') unless every chunk has arrived. */
  end(): void {
    if (this.failed) throw this.failed;
    if (this.closed) return;
    if (this.parsed === null) {
      this.fail(new SyncFormatError('truncated', this.headFill < SHIPMENT_MAGIC.length + 4 ? 'The shipment is shorter than its header.' : 'The shipment is cut inside its header.'));
    } else if (this.index < this.count) {
      const part = this.fill > 0 ? ` and ${this.fill} bytes of chunk ${this.index + 1}` : '';
      this.fail(new SyncFormatError('truncated', `The shipment is cut short: ${this.index} of ${this.count} chunks arrived whole${part}.`));
    }
    this.close();
  }

  /** Stops reading without checking the end: wipes the keys and drops the buffers. */
  close(): void {
    this.closed = true;
    this.wipe();
  }

  private wipe(): void {
    this.regKey?.fill(0);
    this.regKey = null;
    this.key?.fill(0);
    this.key = null;
    this.buf = null;
    this.head = null;
  }

  private fail(e: SyncFormatError): never {
    this.failed = e;
    this.wipe();
    throw e;
  }

  /** Takes header bytes from `bytes`; returns how many it took. Sets up the chunks once the header is whole. */
  private takeHeader(bytes: Uint8Array): number {
    const m = SHIPMENT_MAGIC.length;
    let at = 0;
    let head = this.head as Uint8Array;
    if (head.length === m + 4) {
      at = Math.min(m + 4 - this.headFill, bytes.length);
      head.set(bytes.subarray(0, at), this.headFill);
      this.headFill += at;
      const h = headerJsonLength(head.subarray(0, this.headFill));
      if (h === 'need-more') return at;
      const whole = new Uint8Array(m + 4 + h);
      whole.set(head);
      this.head = head = whole;
    }
    const take = Math.min(head.length - this.headFill, bytes.length - at);
    head.set(bytes.subarray(at, at + take), this.headFill);
    this.headFill += take;
    at += take;
    if (this.headFill < head.length) return at;
    const read = readShipmentHeader(head);
    if (read === 'need-more') return at; // not so: the header is whole
    const header = read.header;
    this.digest = headerDigest(head);
    this.key = shipmentKey(this.regKey as Uint8Array, this.digest, header);
    (this.regKey as Uint8Array).fill(0);
    this.regKey = null;
    ({ starts: this.starts, count: this.count } = layout(header));
    this.buf = new Uint8Array(Math.min(header.chunkBytes, Math.max(...header.segments.map((s) => s.bytes))) + TAG_BYTES);
    this.valid = head.length;
    this.head = null;
    this.parsed = header;
    return at;
  }

  /** Consumes a slice, yielding the header when it is whole and each chunk's piece once it authenticates. */
  *[consume](bytes: Uint8Array): Generator<ShipmentEvent> {
    if (this.failed) throw this.failed;
    if (this.closed) throw new RangeError('ShipmentReader: input after end() or close()');
    try {
      let at = 0;
      if (this.parsed === null) {
        at = this.takeHeader(bytes);
        if (this.parsed === null) return;
        yield { kind: 'header', header: this.parsed };
      }
      const h: ShipmentHeader = this.parsed;
      while (at < bytes.length) {
        const i = this.index;
        if (i === this.count) {
          return this.fail(new SyncFormatError('trailing-bytes', `The shipment has bytes after its last chunk (${bytes.length - at} in this slice).`));
        }
        const seg = h.segments[this.seg];
        const offset = (i - this.starts[this.seg]) * h.chunkBytes;
        const len = Math.min(h.chunkBytes, seg.bytes - offset);
        const need = len + TAG_BYTES;
        let sealed: Uint8Array;
        if (this.fill === 0 && bytes.length - at >= need) {
          sealed = bytes.subarray(at, at + need);
          at += need;
        } else {
          const buf = this.buf as Uint8Array;
          const take = Math.min(need - this.fill, bytes.length - at);
          buf.set(bytes.subarray(at, at + take), this.fill);
          this.fill += take;
          at += take;
          if (this.fill < need) return;
          sealed = buf.subarray(0, need);
          this.fill = 0;
        }
        const plain = this.cipher.open(this.key as Uint8Array, chunkNonce(i), chunkAad(this.digest, i, i === this.count - 1), sealed);
        if (!plain || plain.length !== len) {
          plain?.fill(0);
          return this.fail(new SyncFormatError(
            'authentication-failed',
            `Chunk ${i + 1} of ${this.count} (segment ${seg.segment}, bytes ${offset} … ${offset + len - 1}) does not authenticate: the shipment was altered, cut, reordered or re-headed, or this is not the shipment key of its registration.`,
          ));
        }
        this.index = i + 1;
        this.valid += need;
        if (this.seg + 1 < this.starts.length && this.starts[this.seg + 1] === this.index) this.seg++;
        if (this.index === this.count) {
          this.key?.fill(0);
          this.key = null;
        }
        yield { kind: 'piece', segment: seg.segment, offset, bytes: plain, index: i };
      }
    } catch (e) {
      if (e instanceof SyncFormatError && this.failed !== e) {
        this.failed = e;
        this.wipe();
      }
      throw e;
    }
  }
}

/**
 * Reads a shipment from a stream: yields {kind: 'header'} first, then each chunk's piece once it
 * authenticates ({kind: 'piece', segment, offset, bytes, index}; the bytes are the caller's to wipe).
 * Throws SyncFormatError for any input bytes, after the pieces before the fault and none past it.
 */
export async function* openShipment(source: AsyncIterable<Uint8Array>, registrationShipmentKey: Uint8Array, cipher: ChunkCipher): AsyncGenerator<ShipmentEvent> {
  const reader = new ShipmentReader(registrationShipmentKey, cipher);
  try {
    for await (const slice of source) yield* reader[consume](slice);
    reader.end();
  } finally {
    reader.close();
  }
}

/**
 * For a shipment partly written: its header, how many leading chunks are whole and authenticate, and
 * the byte length at which they end, header included (cut the file there and resume with
 * encodeShipment's fromChunk = chunks). With no chunk authenticated the length is 0: the header alone
 * proves nothing (another key, another shipment's), so the write starts over. Null when the header
 * itself is incomplete or bad. Anything after the last good chunk (a torn chunk, damage, bytes past the
 * end) is left out. RangeError only for a key that is not 32 bytes.
 */
export function validShipmentPrefix(bytes: Uint8Array, registrationShipmentKey: Uint8Array, cipher: ChunkCipher): { header: ShipmentHeader; chunks: number; length: number } | null {
  if (registrationShipmentKey.length !== SHIPMENT_KEY_BYTES) throw new RangeError('validShipmentPrefix: the shipment key is 32 bytes');
  const reader = new ShipmentReader(registrationShipmentKey, cipher);
  try {
    for (const e of reader[consume](bytes)) if (e.kind === 'piece') e.bytes.fill(0);
  } catch (e) {
    if (!(e instanceof SyncFormatError)) throw e;
  } finally {
    reader.close();
  }
  const header = reader.header;
  return header === null ? null : { header, chunks: reader.chunks, length: reader.validLength };
}
