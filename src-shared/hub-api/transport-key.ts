// The key of the §11.4 AEAD envelope between a client and a Security Hub (issue S10, part 1). The draft
// leaves its management open; we derive it from the client's initial keys (§11.1), which both hold from
// registration: HKDF-SHA-256(initial keys, salt "dske hub transport", info "<hub>|<client>") → 32 bytes.
// Why the initial keys and not PSRD reserved for it: the envelope's job (§11.6) is to stop anyone who
// is not the client from spending the client's one-time PSRD keys (a denial of service), so its key
// must be reusable; PSRD used for it would need the same byte-for-byte accounting as every other PSRD
// and would itself be used up. Its protection is computational, and only metadata and availability rest
// on it: the secrecy of a share and the authenticity of a message come from the PSRD inside (App. A).
// The key ID (8 bytes in the envelope) is the client's number at the hub, big-endian: it names the
// client (the hub finds the key by it) and hides nothing the hub does not already know.
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8 } from '../psrd/utf8';
import { CLIENT_ID, INITIAL_KEY_BYTES } from '../psrd/package-format';

export const TRANSPORT_KEY_BYTES = 32;
/** The DSKE wire format carries client IDs as u32 (src-shared/dske/wire.ts). */
export const MAX_CLIENT_NUMBER = 0xffffffff;

/** The client's number in DSKE messages: the digits of its ID (c-000042 → 42); null beyond u32. */
export function clientNumber(client: string): number | null {
  if (!CLIENT_ID.test(client)) return null;
  const n = Number(client.slice(2));
  return Number.isSafeInteger(n) && n >= 1 && n <= MAX_CLIENT_NUMBER ? n : null;
}

export function transportKey(initialKeys: Uint8Array, hub: string, client: string): Uint8Array {
  if (initialKeys.length !== INITIAL_KEY_BYTES) throw new RangeError('transportKey: the initial keys are 64 bytes');
  return hkdf(sha256, initialKeys, utf8('dske hub transport'), utf8(`${hub}|${client}`), TRANSPORT_KEY_BYTES);
}

/** The envelope's key ID for a client number: 8 bytes, big-endian. */
export function transportKeyId(n: number): Uint8Array {
  const id = new Uint8Array(8);
  new DataView(id.buffer).setBigUint64(0, BigInt(n), false);
  return id;
}

/** The client number a key ID names, or null. */
export function numberOfKeyId(keyId: Uint8Array): number | null {
  if (keyId.length !== 8) return null;
  const n = new DataView(keyId.buffer, keyId.byteOffset, 8).getBigUint64(0, false);
  return n >= 1n && n <= BigInt(MAX_CLIENT_NUMBER) ? Number(n) : null;
}
