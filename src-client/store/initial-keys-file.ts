// Reads the initial keys file the station exports for a client (issue S10, part 2; spec §11.1;
// docs/formats.md, "Initial keys file"): "DSKEIKF1" | u32 BE header length H | header JSON
// {format: 1, hub, client, checkValue} | 64 key bytes | SHA-256 of everything before. Every check is
// made before anything is kept: the magic, the lengths, the header's fields, the digest (against
// accidents) and the check value (HMAC-SHA-256 of the keys, first 8 hex digits), which the client
// compares with the one printed beside its client ID.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { CLIENT_ID, HUB_ID, INITIAL_KEY_BYTES } from '../../src-shared/psrd/package-format';
import { ClientFailure } from '../errors';

const MAGIC = Buffer.from('DSKEIKF1', 'ascii');
const DIGEST_BYTES = 32;
/** The header is four short fields; anything longer is not an initial keys file. */
const MAX_HEADER_BYTES = 4096;

export interface InitialKeys {
  readonly hub: string;
  readonly client: string;
  readonly checkValue: string;
  /** The 64 bytes; the caller wipes them. */
  readonly keys: Uint8Array;
}

/** The public fingerprint of initial keys, as the station computes it (src-main/station/clients/keystore.ts). */
export function checkValueOf(keys: Uint8Array): string {
  return createHmac('sha256', keys).update('dske-station initial keys check value').digest('hex').slice(0, 8);
}

const bad = (why: string): never => {
  throw new ClientFailure('bad-keys-file', `This is not a usable initial keys file: ${why}.`);
};

export function parseInitialKeysFile(bytes: Uint8Array): InitialKeys {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < MAGIC.length + 4 || !b.subarray(0, MAGIC.length).equals(MAGIC)) bad('it does not start with DSKEIKF1');
  const h = b.readUInt32BE(MAGIC.length);
  if (h < 2 || h > MAX_HEADER_BYTES) bad('its header length is impossible');
  const expected = MAGIC.length + 4 + h + INITIAL_KEY_BYTES + DIGEST_BYTES;
  if (b.length < expected) bad(`it is cut short (${b.length} of ${expected} bytes)`);
  if (b.length > expected) bad(`it has ${b.length - expected} bytes after its end`);
  const body = b.subarray(0, expected - DIGEST_BYTES);
  if (!timingSafeEqual(createHash('sha256').update(body).digest(), b.subarray(expected - DIGEST_BYTES))) bad('its digest does not match (the file is damaged)');
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(MAGIC.length + 4, MAGIC.length + 4 + h)));
  } catch {
    return bad('its header is not UTF-8 JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return bad('its header is not an object');
  const o = header as Record<string, unknown>;
  if (Object.keys(o).sort().join(',') !== 'checkValue,client,format,hub') bad('its header has unexpected or missing fields');
  if (o.format !== 1) bad(`it is format ${String(o.format)}; this client reads format 1`);
  if (typeof o.hub !== 'string' || !HUB_ID.test(o.hub)) bad('its hub ID is malformed');
  if (typeof o.client !== 'string' || !CLIENT_ID.test(o.client)) bad('its client ID is malformed');
  if (typeof o.checkValue !== 'string' || !/^[0-9a-f]{8}$/.test(o.checkValue)) bad('its check value is malformed');
  const keys = new Uint8Array(b.subarray(MAGIC.length + 4 + h, MAGIC.length + 4 + h + INITIAL_KEY_BYTES));
  if (checkValueOf(keys) !== o.checkValue) {
    keys.fill(0);
    bad('the keys do not give the check value printed in it');
  }
  return { hub: o.hub as string, client: o.client as string, checkValue: o.checkValue as string, keys };
}
