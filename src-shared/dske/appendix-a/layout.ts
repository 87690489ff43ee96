// What App. A reads from PSRD and how a message is tagged, shared by sender, hub and recipient.
// Per hub and per message, 2 + 3 + m words of PSRD at the message's PSRD index:
//   words 0, 1   the message-MAC key (c, d) of the one-time polynomial hash (mac.ts)
//   words 2..    the one-time pad of the 3 + m share words c, d, e, y1..ym
// (for the sender's k unaltered hubs the pad words are the share itself).
import { abytes, aint, xorInto } from '../bytes';
import { DskeError } from '../errors';
import { WORD } from '../gf128';
import { MAC_KEY_BYTES, signFrame, verifyFrame } from '../mac';
import { encodeShareMessage, MAX_M, TAG_BYTES, type ShareMessage } from '../wire';

/** c, d, e: the secret tag's key words, ahead of y1..ym in every share (App. A). */
export const KEY_WORDS = 3;
/** The message-MAC key (App. A: "Retain the first two words as the key for the message authentication"). */
export const MAC_WORDS = 2;

/** Words of one share for an m-word secret. */
export const shareWords = (m: number): number => KEY_WORDS + m;

/** PSRD bytes one message consumes from one table: (2 + 3 + m) words. */
export function psrdBytesPerHub(m: number): number {
  aint(m, 1, MAX_M, 'm');
  return (MAC_WORDS + KEY_WORDS + m) * WORD;
}

/** Check a PSRD slice read for an m-word secret. */
export function checkPsrd(psrd: Uint8Array, m: number, name: string): Uint8Array {
  return abytes(psrd, psrdBytesPerHub(m), name);
}

/** dst ^= the pad part of psrd: one-time-pad encryption and decryption of a share. */
export function pad(dst: Uint8Array, psrd: Uint8Array): Uint8Array {
  xorInto(dst, 0, psrd, MAC_KEY_BYTES, dst.length);
  return dst;
}

/** Encode and tag a message with the MAC key at the head of psrd. */
export function signMessage(fields: Omit<ShareMessage, 'tag'>, psrd: Uint8Array): Uint8Array {
  const frame = encodeShareMessage({ ...fields, tag: new Uint8Array(TAG_BYTES) });
  return signFrame(psrd.subarray(0, MAC_KEY_BYTES), frame);
}

/** Verify a decoded message's tag against the MAC key at the head of psrd; DskeError('tag-mismatch') if not. */
export function verifyMessage(msg: ShareMessage, psrd: Uint8Array): void {
  // Decoding is canonical (fixed-width fields, exact length), so re-encoding reproduces the bytes
  // that were tagged, and the tag covers exactly the fields acted upon.
  if (!verifyFrame(psrd.subarray(0, MAC_KEY_BYTES), encodeShareMessage(msg)))
    throw new DskeError('tag-mismatch', `${msg.type} tag does not verify`);
}
