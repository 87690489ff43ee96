// The DSKE message MAC of App. A: the first two PSRD words read for a hub, (c, d), key a one-time
// polynomial hash of the message, t = h(c, d, y1..yL). It is information-theoretically secure for
// one message per key (forgery probability ≤ L/2^128), hence a fresh key from PSRD for every message.
//
// Encoding of a byte message into words (the draft leaves it open): y1 is the message's byte length
// as a little-endian integer, y2.. are the bytes in 16-byte words, the last one zero-padded. The
// length word makes messages that differ only by trailing zero bytes hash differently.
import { abytes, equalBytes } from './bytes';
import { hornerT, newTable, tableOf, WORD, writeLimbs } from './gf128';

export const MAC_KEY_BYTES = 2 * WORD;
export const TAG_BYTES = WORD;

const T = newTable();
const ACC = new Int32Array(4);
const TAIL = new Uint8Array(WORD);

function tagInto(key: Uint8Array, msg: Uint8Array, len: number, out: Uint8Array, oOff: number): void {
  tableOf(key, 0, T); // c
  ACC.fill(0);
  const full = Math.floor(len / WORD);
  const rest = len - full * WORD;
  if (rest > 0) {
    TAIL.fill(0);
    TAIL.set(msg.subarray(full * WORD, len));
    hornerT(T, ACC, TAIL, 0);
  }
  for (let i = full - 1; i >= 0; i--) hornerT(T, ACC, msg, i * WORD);
  TAIL.fill(0);
  let l = len;
  for (let i = 0; i < 7; i++, l = Math.floor(l / 256)) TAIL[i] = l % 256; // len < 2^53
  hornerT(T, ACC, TAIL, 0);
  TAIL.fill(0);
  writeLimbs(ACC, out, oOff);
  for (let i = 0; i < WORD; i++) out[oOff + i] ^= key[WORD + i]; // + d
}

/** t = h(c, d, len, message words) with key = c || d (32 bytes of PSRD). */
export function messageTag(key: Uint8Array, message: Uint8Array): Uint8Array {
  abytes(key, MAC_KEY_BYTES, 'MAC key');
  abytes(message, undefined, 'message');
  const out = new Uint8Array(TAG_BYTES);
  tagInto(key, message, message.length, out, 0);
  return out;
}

/** Write the tag of frame[0..len-16) into its last 16 bytes (wire frames end with their tag). */
export function signFrame(key: Uint8Array, frame: Uint8Array): Uint8Array {
  abytes(key, MAC_KEY_BYTES, 'MAC key');
  if (abytes(frame, undefined, 'frame').length < TAG_BYTES) abytes(frame, TAG_BYTES, 'frame');
  tagInto(key, frame, frame.length - TAG_BYTES, frame, frame.length - TAG_BYTES);
  return frame;
}

/** Does the frame's trailing tag verify under key? Constant-time comparison. */
export function verifyFrame(key: Uint8Array, frame: Uint8Array): boolean {
  abytes(key, MAC_KEY_BYTES, 'MAC key');
  abytes(frame, undefined, 'frame');
  if (frame.length < TAG_BYTES) return false;
  const expect = new Uint8Array(TAG_BYTES);
  tagInto(key, frame, frame.length - TAG_BYTES, expect, 0);
  return equalBytes(expect, frame.subarray(frame.length - TAG_BYTES));
}
