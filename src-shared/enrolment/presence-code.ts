// The optional "I'm here" step (spec §11.1: "an 'I'm here' message may be sent to alert the Security
// Hub that the client has received the initial key, which may include a proof that it has been
// correctly received"): a short code the client derives from its initial keys and reads out or types at
// the desk; the station derives the same and compares. Eight decimal digits from HMAC-SHA-256 keyed by
// the initial keys over the hub and client IDs (RFC 4226's dynamic truncation), so the code proves the
// keys without showing them, and differs per hub and client.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8 } from '../psrd/utf8';

export const PRESENCE_DIGITS = 8;

export function presenceCode(initialKeys: Uint8Array, hub: string, client: string): string {
  const mac = hmac(sha256, initialKeys, utf8(`dske-station I'm here|${hub}|${client}`));
  const at = mac[mac.length - 1] & 0x0f;
  const n = (((mac[at] & 0x7f) << 24) | (mac[at + 1] << 16) | (mac[at + 2] << 8) | mac[at + 3]) >>> 0;
  mac.fill(0);
  return String(n % 10 ** PRESENCE_DIGITS).padStart(PRESENCE_DIGITS, '0');
}

/** Compares two codes in time independent of where they differ. */
export function sameCode(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}
