// GF(2^128) of App. A: field laws as properties, the bit order, the erratum, and input checks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DskeError } from '../../src-shared/dske/errors';
import { add, inv, isZero, mul, pow, sqr, word } from '../../src-shared/dske/gf128';
import { hex, unhex } from './helpers';

const W = fc.uint8Array({ minLength: 16, maxLength: 16 });
const NZ = W.filter((a) => a.some((b) => b !== 0));
const ONE = word(1);
const X = word(2);

/** Reference: shift-and-add on BigInt, bit i of the little-endian integer = coefficient of x^i. */
function refMul(a: Uint8Array, b: Uint8Array): Uint8Array {
  const toBig = (u: Uint8Array) => u.reduceRight((acc, v) => (acc << 8n) | BigInt(v), 0n);
  let x = toBig(a), y = toBig(b), r = 0n;
  const P = (1n << 128n) | 0x87n;
  while (y) {
    if (y & 1n) r ^= x;
    y >>= 1n;
    x <<= 1n;
    if (x >> 128n) x ^= P;
  }
  return Uint8Array.from({ length: 16 }, (_, i) => Number((r >> BigInt(8 * i)) & 0xffn));
}

describe('GF(2^128), App. A basis', () => {
  it('agrees with a plain shift-and-add reference', () => {
    fc.assert(fc.property(W, W, (a, b) => {
      expect(mul(a, b)).toEqual(refMul(a, b));
    }), { numRuns: 500 });
  });

  it('x^127 · x = x^7 + x^2 + x + 1 (App. A: F_80..0 × F_0..02 = F_0..087)', () => {
    expect(hex(mul(pow(X, 127), X))).toBe('87' + '00'.repeat(15));
    expect(hex(pow(X, 127))).toBe('00'.repeat(15) + '80');
  });

  it('byte 0 is least significant: the erratum hex_10 || hex_32 || hex_54 || hex_76 = hex_76543210', () => {
    // App. A's own rule, not its example (hex_67452310): the integer value of bytes 10 32 54 76.
    const w = unhex('10325476' + '00'.repeat(12));
    expect(w.reduceRight((acc, v) => acc * 256 + v, 0)).toBe(0x76543210);
    expect(hex(mul(w, X))).toBe(hex(unhex('2064a8ec' + '00'.repeat(12)))); // ·x doubles the integer
    // App. A: F_40…0C1 is 1 + x^6 + x^7 + x^126
    const p = add(add(add(ONE, pow(X, 6)), pow(X, 7)), pow(X, 126));
    expect(hex(p)).toBe('c1' + '00'.repeat(14) + '40');
  });

  it('addition is exclusive-or (App. A: F_40…0C + F_60…0A = F_20…06)', () => {
    const f = (hi: string, lo: string) => unhex(lo + '00'.repeat(14) + hi);
    expect(add(f('40', '0c'), f('60', '0a'))).toEqual(f('20', '06'));
  });

  it('is a commutative ring with identity, distributive over addition', () => {
    fc.assert(
      fc.property(W, W, W, (a, b, c) => {
        expect(mul(a, b)).toEqual(mul(b, a));
        expect(mul(mul(a, b), c)).toEqual(mul(a, mul(b, c)));
        expect(mul(a, add(b, c))).toEqual(add(mul(a, b), mul(a, c)));
        expect(mul(a, ONE)).toEqual(a);
        expect(isZero(mul(a, new Uint8Array(16)))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('every nonzero element has an inverse', () => {
    fc.assert(fc.property(NZ, (a) => {
      expect(mul(a, inv(a))).toEqual(ONE);
    }), { numRuns: 200 });
    expect(inv(ONE)).toEqual(ONE);
  });

  it('squares and powers agree with repeated multiplication; a^(2^128) = a', () => {
    fc.assert(
      fc.property(W, fc.nat(40), (a, e) => {
        expect(sqr(a)).toEqual(mul(a, a));
        let r = ONE;
        for (let i = 0; i < e; i++) r = mul(r, a);
        expect(pow(a, e)).toEqual(r);
        let s: Uint8Array = a;
        for (let i = 0; i < 128; i++) s = sqr(s);
        expect(s).toEqual(a);
      }),
      { numRuns: 50 },
    );
    expect(pow(new Uint8Array(16), 0)).toEqual(ONE);
  });

  it('rejects words of the wrong length and zero inverses with typed errors', () => {
    const typed = (f: () => unknown, code: string) => expect(f).toThrow(expect.objectContaining({ name: expect.stringMatching(/DskeError/), code }));
    typed(() => mul(new Uint8Array(15), ONE), 'length');
    typed(() => mul(ONE, new Uint8Array(17)), 'length');
    typed(() => inv(new Uint8Array(16)), 'argument');
    typed(() => pow(ONE, -1), 'argument');
    typed(() => pow(ONE, 1.5), 'argument');
    typed(() => add([1] as unknown as Uint8Array, ONE), 'length');
    expect(() => inv(new Uint8Array(16))).toThrow(DskeError);
  });
});
