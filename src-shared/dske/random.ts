// Randomness for Shamir coefficients, AEAD nonces and tests. App. A key establishment itself needs
// none: its secret comes from PSRD. Default: the platform CSPRNG via @noble/ciphers (globalThis.crypto).
import { randomBytes as nobleRandomBytes } from '@noble/ciphers/utils.js';
import { aint } from './bytes';
import { DskeError } from './errors';

/** Returns len fresh random bytes. */
export type RandomSource = (len: number) => Uint8Array;

/** The platform CSPRNG, in chunks of at most 64 KiB (the Web Crypto quota). */
export function randomBytes(len: number): Uint8Array {
  aint(len, 0, 2 ** 31, 'len');
  const out = new Uint8Array(len);
  for (let o = 0; o < len; o += 65536) out.set(nobleRandomBytes(Math.min(65536, len - o)), o);
  return out;
}

/** Call a caller-supplied source and check what it returns. */
export function draw(random: RandomSource, len: number): Uint8Array {
  const r = random(len);
  if (!(r instanceof Uint8Array) || r.length !== len) throw new DskeError('length', `random source: expected ${len} bytes`);
  return r;
}
