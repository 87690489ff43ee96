// The registration file (issue S8, part 2; docs/formats.md, "Registration file"): the keys a station
// and its Security Server share from the station's registration on, carried between them on a medium.
// Layout:
//
//   "DSKEREG1" | u32 BE header length H | header (UTF-8 JSON, H bytes) | 96 key bytes | SHA-256
//
// The header is exactly {format, hub, station, createdAt}; the keys are shipment, report and ack, 32
// bytes each, in that order; the last 32 bytes are the SHA-256 of everything before them. That digest
// guards against accidents (a bad sector, a cut copy) only: the file is itself secret, and its
// protection is the medium's custody. Both sides read the confirmation code aloud before use, which
// shows that they hold the same keys without showing the keys.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { HUB_ID } from '../psrd/package-format';
import { utf8 } from '../psrd/utf8';
import { frameHeaderLength, NOT_JSON, parseUtf8Json } from '../psrd/frame';
import { SyncFormatError } from './errors';

export const REGISTRATION_MAGIC = utf8('DSKEREG1');
export const REGISTRATION_FORMAT = 1;
export const REGISTRATION_KEY_BYTES = 32;
export const REGISTRATION_DIGEST_BYTES = 32;
/** A header is four short fields; anything larger is malformed. */
export const MAX_REGISTRATION_HEADER_BYTES = 1 << 12;
export const STATION_ID = /^[0-9a-f]{64}$/;
/** ISO 8601 in UTC as Date.prototype.toISOString writes it (fractional seconds optional). */
export const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;
export const CONFIRMATION_DIGITS = 8;

export interface RegistrationKeys {
  /** Seals bulk shipments of the pool to the Security Server (32 bytes). */
  readonly shipment: Uint8Array;
  /** Seals range-report batches (32 bytes); also keys the confirmation code. */
  readonly report: Uint8Array;
  /** Authenticates the Security Server's acknowledgements (32 bytes). */
  readonly ack: Uint8Array;
}

export interface Registration {
  readonly format: 1;
  readonly hub: string;
  /** 64 hex: the station's ledger identity (the chain hash of its first ledger entry). */
  readonly station: string;
  /** ISO 8601 UTC. */
  readonly createdAt: string;
  readonly keys: RegistrationKeys;
}

export function isIsoUtc(s: string): boolean {
  return ISO_UTC.test(s) && !Number.isNaN(Date.parse(s));
}

/** Encodes a registration; throws RangeError on a field that the reader would refuse. */
export function encodeRegistration(r: Registration): Uint8Array {
  if (r.format !== REGISTRATION_FORMAT) throw new RangeError('registration: unknown format');
  if (!HUB_ID.test(r.hub)) throw new RangeError('registration: invalid hub ID');
  if (!STATION_ID.test(r.station)) throw new RangeError('registration: invalid station ID');
  if (!isIsoUtc(r.createdAt)) throw new RangeError('registration: createdAt is not ISO 8601 UTC');
  for (const k of [r.keys.shipment, r.keys.report, r.keys.ack]) {
    if (!(k instanceof Uint8Array) || k.length !== REGISTRATION_KEY_BYTES) throw new RangeError('registration: every key is 32 bytes');
  }
  const json = utf8(JSON.stringify({ format: r.format, hub: r.hub, station: r.station, createdAt: r.createdAt }));
  const m = REGISTRATION_MAGIC.length;
  const body = m + 4 + json.length + 3 * REGISTRATION_KEY_BYTES;
  const out = new Uint8Array(body + REGISTRATION_DIGEST_BYTES);
  out.set(REGISTRATION_MAGIC, 0);
  new DataView(out.buffer).setUint32(m, json.length, false);
  out.set(json, m + 4);
  let at = m + 4 + json.length;
  for (const k of [r.keys.shipment, r.keys.report, r.keys.ack]) {
    out.set(k, at);
    at += REGISTRATION_KEY_BYTES;
  }
  out.set(sha256(out.subarray(0, body)), body);
  return out;
}

/**
 * Decodes a registration file. Any cut, extended, damaged or malformed input ends in a SyncFormatError,
 * never another exception. The keys returned are copies: the caller owns and wipes them.
 */
export function decodeRegistration(bytes: Uint8Array): Registration {
  const m = REGISTRATION_MAGIC.length;
  const h = frameHeaderLength(bytes, REGISTRATION_MAGIC, MAX_REGISTRATION_HEADER_BYTES);
  if (h === 'short') throw new SyncFormatError('truncated', 'The registration file is shorter than its header.');
  if (h === 'magic') throw new SyncFormatError('bad-magic', 'This is not a DSKE registration file.');
  if (h === 'length') throw new SyncFormatError('malformed', 'The registration file’s header has an impossible length.');
  const body = m + 4 + h + 3 * REGISTRATION_KEY_BYTES;
  const expected = body + REGISTRATION_DIGEST_BYTES;
  if (bytes.length < expected) throw new SyncFormatError('truncated', `The registration file is cut short: ${bytes.length} of ${expected} bytes.`);
  if (bytes.length > expected) throw new SyncFormatError('trailing-bytes', `The registration file has ${bytes.length - expected} bytes after its end.`);
  const digest = sha256(bytes.subarray(0, body));
  let diff = 0;
  for (let i = 0; i < REGISTRATION_DIGEST_BYTES; i++) diff |= digest[i] ^ bytes[body + i];
  if (diff !== 0) throw new SyncFormatError('malformed', 'The registration file is damaged: its SHA-256 does not match its content.');

  const parsed = parseUtf8Json(bytes.subarray(m + 4, m + 4 + h));
  if (parsed === NOT_JSON) throw new SyncFormatError('malformed', 'The registration file’s header is not valid UTF-8 JSON.');
  const bad = (why: string): never => {
    throw new SyncFormatError('malformed', `The registration file’s header is malformed: ${why}.`);
  };
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return bad('not an object');
  const o = parsed as Record<string, unknown>;
  if (o.format !== REGISTRATION_FORMAT) {
    throw new SyncFormatError('unsupported-version', `This registration file is format ${String(o.format)}; this reader knows format ${REGISTRATION_FORMAT}.`);
  }
  if (Object.keys(o).sort().join(',') !== 'createdAt,format,hub,station') return bad('unexpected or missing fields');
  if (typeof o.hub !== 'string' || !HUB_ID.test(o.hub)) return bad('hub ID');
  if (typeof o.station !== 'string' || !STATION_ID.test(o.station)) return bad('station ID');
  if (typeof o.createdAt !== 'string' || !isIsoUtc(o.createdAt)) return bad('creation time');
  const k = m + 4 + h;
  const K = REGISTRATION_KEY_BYTES;
  return {
    format: REGISTRATION_FORMAT,
    hub: o.hub,
    station: o.station,
    createdAt: o.createdAt,
    keys: { shipment: bytes.slice(k, k + K), report: bytes.slice(k + K, k + 2 * K), ack: bytes.slice(k + 2 * K, k + 3 * K) },
  };
}

/**
 * The check value both sides record of a registration (8 hex of HMAC-SHA-256 under the report key): it
 * names the keys in a ledger or an audit log without revealing them.
 */
export function reportKeyCheck(reportKey: Uint8Array): string {
  const mac = hmac(sha256, reportKey, utf8('dske-station report key check value'));
  const hex = Array.from(mac.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
  mac.fill(0);
  return hex;
}

/**
 * The code both sides read aloud: 8 decimal digits from HMAC-SHA-256 keyed by the report key over
 * "dske registration|<hub>|<station>|<createdAt>", by RFC 4226's dynamic truncation. Equal codes show
 * that both hold the same report key for the same registration; the code does not reveal the key.
 */
export function confirmationCode(r: Registration): string {
  if (r.keys.report.length !== REGISTRATION_KEY_BYTES) throw new RangeError('registration: the report key is 32 bytes');
  const mac = hmac(sha256, r.keys.report, utf8(`dske registration|${r.hub}|${r.station}|${r.createdAt}`));
  const at = mac[mac.length - 1] & 0x0f;
  const n = (((mac[at] & 0x7f) << 24) | (mac[at + 1] << 16) | (mac[at + 2] << 8) | mac[at + 3]) >>> 0;
  mac.fill(0);
  return String(n % 10 ** CONFIRMATION_DIGITS).padStart(CONFIRMATION_DIGITS, '0');
}
