// GF(2^8) modulo 1 + x + x^3 + x^4 + x^8 (0x11B, the AES field), for App. A's byte-wise
// alternative to word-wise sharing. Bit i of a byte is the coefficient of x^i (FIPS-197 §4).
// Branch-free shift-and-add rather than log/exp tables: no secret-indexed memory access, and
// byte-wise sharing is not the hot path.
import { aint } from './bytes';
import { DskeError } from './errors';

/** a·b without validation (internal hot path; a, b are bytes). */
export function mulRaw(a: number, b: number): number {
  let p = 0;
  for (let i = 0; i < 8; i++) {
    p ^= a & -(b & 1);
    b >>>= 1;
    a = (a << 1) ^ (0x11b & -(a >>> 7));
  }
  return p & 0xff;
}

/** a^-1 = a^254 (a ≠ 0), without validation. 0 maps to 0. */
export function invRaw(a: number): number {
  // a^254 = a^(2+4+8+16+32+64+128)
  let r = 1, s = a;
  for (let i = 1; i < 8; i++) {
    s = mulRaw(s, s); // a^(2^i)
    r = mulRaw(r, s);
  }
  return r;
}

export const add = (a: number, b: number): number => aint(a, 0, 255, 'a') ^ aint(b, 0, 255, 'b');

export function mul(a: number, b: number): number {
  return mulRaw(aint(a, 0, 255, 'a'), aint(b, 0, 255, 'b'));
}

export function inv(a: number): number {
  if (aint(a, 0, 255, 'a') === 0) throw new DskeError('argument', 'zero has no multiplicative inverse');
  return invRaw(a);
}
