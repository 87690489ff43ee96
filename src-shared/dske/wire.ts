// Binary wire codec, version 1, for the App. A messages and the §11.4 AEAD envelope. The draft
// leaves field lengths and order TBD ("Message format (TBD: bit-lengths of fields, ordering)");
// docs/wire-format.md is the normative description of the choices made here.
//
// Decoding is strict: every length is checked before it is read, every field range is checked,
// short and trailing input are rejected, and the only error thrown is DskeDecodeError.
// Integers are unsigned big-endian; 128-bit words (x, share words, tag) travel as their 16 bytes
// in App. A order (byte 0, the least significant, first).
import { isZeroBytes, plainView } from './bytes';
import { DskeDecodeError, DskeError } from './errors';
import { WORD } from './gf128';

export const WIRE_VERSION = 1;
export const TYPE_REQUEST = 0x01;
export const TYPE_INSTRUCTION = 0x02;
export const TYPE_ENVELOPE = 0x10;

export const SECRET_ID_BYTES = 16;
export const TAG_BYTES = WORD;
export const MAX_M = 4096; // words of secret: 64 KiB
export const MAX_RECIPIENTS = 255;
export const MAX_AAD = 0xffff;
export const MAX_ID = 0xffffffff;

export const KEY_ID_BYTES = 8;
export const NONCE_BYTES = 12;
export const AEAD_TAG_BYTES = 16;
export const ENVELOPE_HEADER_BYTES = 3 + KEY_ID_BYTES + NONCE_BYTES;

/** M[i] of App. A with its tag: a key request (client → hub) or a key instruction (hub → recipient). */
export interface ShareMessage {
  readonly type: 'request' | 'instruction';
  /** Threshold and number of hubs (1 ≤ k ≤ n ≤ 255). */
  readonly k: number;
  readonly n: number;
  /** Secret length in words (1..MAX_M); the share is 3 + m words. */
  readonly m: number;
  /** A[i]: the sender's client ID as assigned by this hub. */
  readonly senderId: number;
  /** B[i]*: the recipients' client IDs as assigned by this hub (distinct, 1..255 of them). */
  readonly recipientIds: readonly number[];
  /** K[A]: the secret ID, unique per sender (§11.4). */
  readonly secretId: Uint8Array;
  /** j[·][i]: byte offset of the PSRD used (MAC key, then pad) in the table of the message's PSRD holder. */
  readonly psrdIndex: number;
  /** Seconds since the Unix epoch after which recipients refuse the secret; 0 = none (§11.6). */
  readonly expiresAt: number;
  /** x[i]: this hub's nonzero coordinate. */
  readonly x: Uint8Array;
  /** Additional associated data from the application layer (§11.4): authenticated, not hidden. */
  readonly aad: Uint8Array;
  /** Z[·][i]: the share, one-time-padded with PSRD, 3 + m words. */
  readonly share: Uint8Array;
  /** The App. A message tag over every byte before it. */
  readonly tag: Uint8Array;
}

export type AeadAlg = 'aes-256-gcm-siv' | 'aes-256-gcm';
const ALG_CODES: Record<AeadAlg, number> = { 'aes-256-gcm-siv': 0x01, 'aes-256-gcm': 0x02 };

/** §11.4 wrapper: key identifier and nonce in the clear (and authenticated as AAD), then ciphertext. */
export interface Envelope {
  readonly alg: AeadAlg;
  readonly keyId: Uint8Array;
  readonly nonce: Uint8Array;
  /** Ciphertext followed by the 16-byte AEAD tag. */
  readonly sealed: Uint8Array;
}

// Offsets of the fixed part: version, type, k, n, m (u16), sender (u32), r (u8).
const HEAD = 11;
// secretId, psrdIndex (u64), expiresAt (u64), x, aad length (u16).
const MID = SECRET_ID_BYTES + 8 + 8 + WORD + 2;

/** Byte length of a share message. */
export function shareMessageLength(m: number, recipients: number, aadLen: number): number {
  return HEAD + 4 * recipients + MID + aadLen + (3 + m) * WORD + TAG_BYTES;
}

// ---------------------------------------------------------------- encoding

/** Encoder input errors are the caller's bug, not malformed wire data: DskeError('argument'). */
function bad(field: string, what: string): never {
  throw new DskeError('argument', `${field}: ${what}`);
}
function uint(v: unknown, max: number, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) bad(field, `expected an integer in [0, ${max}]`);
  return v;
}
function bytesOf(v: unknown, len: number | undefined, field: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new DskeError('length', `${field}: expected Uint8Array`);
  if (len !== undefined && v.length !== len) throw new DskeError('length', `${field}: expected ${len} bytes, got ${v.length}`);
  return v;
}
function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}
function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}
function put64(b: Uint8Array, o: number, v: number): void {
  put32(b, o, Math.floor(v / 2 ** 32));
  put32(b, o + 4, v % 2 ** 32);
}

/** Encode M[i] and its tag (the tag bytes are copied as given; mac.ts signs the frame afterwards). */
export function encodeShareMessage(msg: ShareMessage): Uint8Array {
  if (typeof msg !== 'object' || msg === null) bad('message', 'expected an object');
  const type = msg.type === 'request' ? TYPE_REQUEST : msg.type === 'instruction' ? TYPE_INSTRUCTION : bad('type', 'expected request or instruction');
  const n = uint(msg.n, 255, 'n');
  const k = uint(msg.k, n, 'k');
  if (k < 1) bad('k', 'expected 1 ≤ k ≤ n');
  const m = uint(msg.m, MAX_M, 'm');
  if (m < 1) bad('m', `expected 1 ≤ m ≤ ${MAX_M}`);
  const sender = uint(msg.senderId, MAX_ID, 'senderId');
  const rs = msg.recipientIds;
  if (!Array.isArray(rs) || rs.length < 1 || rs.length > MAX_RECIPIENTS) bad('recipientIds', `expected 1..${MAX_RECIPIENTS} IDs`);
  rs.forEach((r, i) => uint(r, MAX_ID, `recipientIds[${i}]`));
  if (new Set(rs).size !== rs.length || rs.includes(sender)) bad('recipientIds', 'IDs must be distinct and differ from the sender');
  const secretId = bytesOf(msg.secretId, SECRET_ID_BYTES, 'secretId');
  const psrdIndex = uint(msg.psrdIndex, Number.MAX_SAFE_INTEGER, 'psrdIndex');
  const expiresAt = uint(msg.expiresAt, Number.MAX_SAFE_INTEGER, 'expiresAt');
  const x = bytesOf(msg.x, WORD, 'x');
  if (isZeroBytes(x)) bad('x', 'the coordinate must be nonzero');
  const aad = bytesOf(msg.aad, undefined, 'aad');
  if (aad.length > MAX_AAD) bad('aad', `at most ${MAX_AAD} bytes`);
  const share = bytesOf(msg.share, (3 + m) * WORD, 'share');
  const tag = bytesOf(msg.tag, TAG_BYTES, 'tag');

  const out = new Uint8Array(shareMessageLength(m, rs.length, aad.length));
  out[0] = WIRE_VERSION;
  out[1] = type;
  out[2] = k;
  out[3] = n;
  put16(out, 4, m);
  put32(out, 6, sender);
  out[10] = rs.length;
  let o = HEAD;
  for (const r of rs) {
    put32(out, o, r);
    o += 4;
  }
  out.set(secretId, o);
  o += SECRET_ID_BYTES;
  put64(out, o, psrdIndex);
  put64(out, o + 8, expiresAt);
  o += 16;
  out.set(x, o);
  o += WORD;
  put16(out, o, aad.length);
  o += 2;
  out.set(aad, o);
  o += aad.length;
  out.set(share, o);
  o += share.length;
  out.set(tag, o);
  return out;
}

/** Encode the §11.4 AEAD envelope. */
export function encodeEnvelope(env: Envelope): Uint8Array {
  if (typeof env !== 'object' || env === null) bad('envelope', 'expected an object');
  const alg = ALG_CODES[env.alg];
  if (alg === undefined) bad('alg', 'unknown AEAD algorithm');
  const keyId = bytesOf(env.keyId, KEY_ID_BYTES, 'keyId');
  const nonce = bytesOf(env.nonce, NONCE_BYTES, 'nonce');
  const sealed = bytesOf(env.sealed, undefined, 'sealed');
  if (sealed.length < AEAD_TAG_BYTES) throw new DskeError('length', 'sealed: shorter than the AEAD tag');
  const out = new Uint8Array(ENVELOPE_HEADER_BYTES + sealed.length);
  out[0] = WIRE_VERSION;
  out[1] = TYPE_ENVELOPE;
  out[2] = alg;
  out.set(keyId, 3);
  out.set(nonce, 3 + KEY_ID_BYTES);
  out.set(sealed, ENVELOPE_HEADER_BYTES);
  return out;
}

// ---------------------------------------------------------------- decoding

class Reader {
  o = 0;
  constructor(readonly b: Uint8Array) {}
  need(n: number, field: string): void {
    if (this.b.length - this.o < n) throw new DskeDecodeError(`truncated at ${field}`);
  }
  u8(field: string): number {
    this.need(1, field);
    return this.b[this.o++];
  }
  u16(field: string): number {
    this.need(2, field);
    const v = (this.b[this.o] << 8) | this.b[this.o + 1];
    this.o += 2;
    return v;
  }
  u32(field: string): number {
    this.need(4, field);
    const b = this.b, o = this.o;
    this.o += 4;
    return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  }
  u53(field: string): number {
    const hi = this.u32(field);
    const lo = this.u32(field);
    if (hi > 0x1fffff) throw new DskeDecodeError(`${field} exceeds 2^53 - 1`);
    return hi * 2 ** 32 + lo;
  }
  bytes(n: number, field: string): Uint8Array {
    this.need(n, field);
    const v = this.b.slice(this.o, this.o + n);
    this.o += n;
    return v;
  }
  end(): void {
    if (this.o !== this.b.length) throw new DskeDecodeError(`${this.b.length - this.o} trailing bytes`);
  }
}

function guard<T>(bytes: unknown, body: (r: Reader) => T): T {
  if (!(bytes instanceof Uint8Array)) throw new DskeDecodeError('expected Uint8Array');
  try {
    return body(new Reader(plainView(bytes)));
  } catch (e) {
    // Defence in depth: whatever slips past the checks above still leaves as a decode error.
    if (e instanceof DskeDecodeError) throw e;
    throw new DskeDecodeError('malformed frame');
  }
}

function header(r: Reader, expect: readonly number[]): number {
  const version = r.u8('version');
  if (version !== WIRE_VERSION) throw new DskeDecodeError(`unsupported version ${version}`);
  const type = r.u8('type');
  if (!expect.includes(type)) throw new DskeDecodeError(`unexpected frame type ${type}`);
  return type;
}

/** Frame type of wire bytes, without decoding the rest. */
export function peekType(bytes: Uint8Array): 'request' | 'instruction' | 'envelope' {
  return guard(bytes, (r) => {
    const t = header(r, [TYPE_REQUEST, TYPE_INSTRUCTION, TYPE_ENVELOPE]);
    return t === TYPE_REQUEST ? 'request' : t === TYPE_INSTRUCTION ? 'instruction' : 'envelope';
  });
}

/**
 * Decode a key request or key instruction. `expect` restricts the frame type. Throws only
 * DskeDecodeError. Decoding authenticates nothing: verify the tag before acting on any field.
 */
export function decodeShareMessage(bytes: Uint8Array, expect?: 'request' | 'instruction'): ShareMessage {
  return guard(bytes, (r) => {
    const types = expect === 'request' ? [TYPE_REQUEST] : expect === 'instruction' ? [TYPE_INSTRUCTION] : [TYPE_REQUEST, TYPE_INSTRUCTION];
    const type = header(r, types) === TYPE_REQUEST ? 'request' : 'instruction';
    const k = r.u8('k');
    const n = r.u8('n');
    if (k < 1 || k > n) throw new DskeDecodeError('k outside 1..n');
    const m = r.u16('m');
    if (m < 1 || m > MAX_M) throw new DskeDecodeError(`m outside 1..${MAX_M}`);
    const senderId = r.u32('senderId');
    const count = r.u8('recipient count');
    if (count < 1) throw new DskeDecodeError('no recipients');
    r.need(4 * count, 'recipientIds');
    const recipientIds: number[] = [];
    for (let i = 0; i < count; i++) recipientIds.push(r.u32('recipientIds'));
    if (new Set(recipientIds).size !== count || recipientIds.includes(senderId))
      throw new DskeDecodeError('recipient IDs repeat or include the sender');
    const secretId = r.bytes(SECRET_ID_BYTES, 'secretId');
    const psrdIndex = r.u53('psrdIndex');
    const expiresAt = r.u53('expiresAt');
    const x = r.bytes(WORD, 'x');
    if (isZeroBytes(x)) throw new DskeDecodeError('zero coordinate');
    const aadLen = r.u16('aad length');
    // Exact length is known from here on: reject short or trailing input before copying.
    const rest = aadLen + (3 + m) * WORD + TAG_BYTES;
    if (r.b.length - r.o !== rest) throw new DskeDecodeError(r.b.length - r.o < rest ? 'truncated' : 'trailing bytes');
    const aad = r.bytes(aadLen, 'aad');
    const share = r.bytes((3 + m) * WORD, 'share');
    const tag = r.bytes(TAG_BYTES, 'tag');
    r.end();
    return { type, k, n, m, senderId, recipientIds, secretId, psrdIndex, expiresAt, x, aad, share, tag };
  });
}

/** Decode the §11.4 AEAD envelope (its contents are opened by aead.ts). Throws only DskeDecodeError. */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  return guard(bytes, (r) => {
    header(r, [TYPE_ENVELOPE]);
    const code = r.u8('alg');
    const alg = (Object.keys(ALG_CODES) as AeadAlg[]).find((a) => ALG_CODES[a] === code);
    if (alg === undefined) throw new DskeDecodeError(`unknown AEAD algorithm ${code}`);
    const keyId = r.bytes(KEY_ID_BYTES, 'keyId');
    const nonce = r.bytes(NONCE_BYTES, 'nonce');
    const len = r.b.length - r.o;
    if (len < AEAD_TAG_BYTES) throw new DskeDecodeError('sealed part shorter than the AEAD tag');
    const sealed = r.bytes(len, 'sealed');
    r.end();
    return { alg, keyId, nonce, sealed };
  });
}
