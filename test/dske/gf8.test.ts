// GF(2^8) modulo 0x11B (FIPS-197 §4.2): field laws and input checks; known answers are in vectors.test.ts.
import { describe, expect, it } from 'vitest';
import { add, inv, mul } from '../../src-shared/dske/gf8';

/** Reference: Russian-peasant multiplication with reduction by 0x11B. */
function refMul(a: number, b: number): number {
  let r = 0;
  for (; b; b >>= 1) {
    if (b & 1) r ^= a;
    a <<= 1;
    if (a & 0x100) a ^= 0x11b;
  }
  return r;
}

describe('GF(2^8), 0x11B', () => {
  it('matches the reference on all 65536 products', () => {
    for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) if (mul(a, b) !== refMul(a, b)) expect(mul(a, b), `${a}·${b}`).toBe(refMul(a, b));
  });

  it('every nonzero byte has an inverse; {53}·{CA} = 1 (FIPS-197 §4.2)', () => {
    for (let a = 1; a < 256; a++) expect(mul(a, inv(a))).toBe(1);
    expect(inv(0x53)).toBe(0xca);
  });

  it('rejects non-bytes and a zero inverse', () => {
    expect(() => mul(256, 1)).toThrow(expect.objectContaining({ code: 'argument' }));
    expect(() => mul(-1, 1)).toThrow(expect.objectContaining({ code: 'argument' }));
    expect(() => add(1.5, 1)).toThrow(expect.objectContaining({ code: 'argument' }));
    expect(() => inv(0)).toThrow(expect.objectContaining({ code: 'argument' }));
  });
});
