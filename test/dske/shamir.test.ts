// Shamir k-of-n over GF(2^128) word-wise and GF(2^8) byte-wise (App. A), as properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { word } from '../../src-shared/dske/gf128';
import { combine128, combine8, interpolate128, interpolate8, split128, split8 } from '../../src-shared/dske/shamir';

const W = fc.uint8Array({ minLength: 16, maxLength: 16 });
/** k ≤ n ≤ 16, and a random subset of at least k share positions. */
const KN = fc
  .tuple(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 16 }))
  .map(([a, b]) => ({ k: Math.min(a, b), n: Math.max(a, b) }))
  .chain(({ k, n }) => fc.record({ k: fc.constant(k), n: fc.constant(n), pick: fc.shuffledSubarray([...Array(n).keys()], { minLength: k, maxLength: n }) }));

describe('Shamir over GF(2^128), word-wise', () => {
  it('split/combine round trip: any k or more of n shares give the secret (k ≤ n ≤ 16, m ≤ 64)', () => {
    fc.assert(
      fc.property(KN, fc.array(W, { minLength: 1, maxLength: 64 }), ({ k, n, pick }, secret) => {
        const shares = split128(secret, k, n);
        expect(shares).toHaveLength(n);
        expect(combine128(pick.map((i) => shares[i]))).toEqual(secret);
        expect(combine128(pick.slice(0, k).map((i) => shares[i]))).toEqual(secret);
      }),
      { numRuns: 60 },
    );
  });

  it('fewer than k shares say nothing useful: they interpolate to something else', () => {
    fc.assert(
      fc.property(KN.filter(({ k }) => k > 1), fc.array(W, { minLength: 1, maxLength: 4 }), ({ k, n, pick }, secret) => {
        const shares = split128(secret, k, n);
        expect(combine128(pick.slice(0, k - 1).map((i) => shares[i]))).not.toEqual(secret);
      }),
      { numRuns: 60 },
    );
  });

  it('uses the given coordinates and recovers every share from any k (deriving the rest, App. A)', () => {
    const xs = [7, 300, 65537, 2 ** 31].map((v) => word(v));
    const secret = [word(1), word(2)];
    const shares = split128(secret, 2, 4, { xs });
    expect(shares.map((s) => s.x)).toEqual(xs);
    expect(interpolate128(shares.slice(0, 2), xs[3])).toEqual(shares[3].words);
  });

  it('rejects bad input with typed errors', () => {
    const s = split128([word(5)], 2, 3);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return 'no error';
    };
    expect(code(() => combine128([]))).toBe('not-enough-shares');
    expect(code(() => combine128([s[0], { ...s[1], x: s[0].x }]))).toBe('argument');
    expect(code(() => combine128([s[0], { ...s[1], x: new Uint8Array(16) }]))).toBe('argument');
    expect(code(() => combine128([s[0], { ...s[1], words: [new Uint8Array(15)] }]))).toBe('length');
    expect(code(() => combine128([s[0], { ...s[1], words: [] }]))).toBe('length');
    expect(code(() => split128([word(1)], 0, 3))).toBe('argument');
    expect(code(() => split128([word(1)], 4, 3))).toBe('argument');
    expect(code(() => split128([word(1)], 2, 2, { xs: [word(1), word(1)] }))).toBe('argument');
    expect(code(() => split128([new Uint8Array(3)], 2, 2))).toBe('length');
  });
});

describe('Shamir over GF(2^8), byte-wise', () => {
  it('split/combine round trip: any k or more of n shares give the secret (k ≤ n ≤ 16, up to 64 words)', () => {
    fc.assert(
      fc.property(KN, fc.uint8Array({ minLength: 1, maxLength: 1024 }), ({ k, n, pick }, secret) => {
        const shares = split8(secret, k, n);
        expect(combine8(pick.map((i) => shares[i]))).toEqual(secret);
        expect(combine8(pick.slice(0, k).map((i) => shares[i]))).toEqual(secret);
      }),
      { numRuns: 60 },
    );
  });

  it('interpolate8 recovers a missing share', () => {
    const shares = split8(Uint8Array.of(1, 2, 3), 3, 5, { xs: [9, 8, 7, 6, 5] });
    expect(interpolate8(shares.slice(0, 3), 5)).toEqual(shares[4].bytes);
  });

  it('rejects bad input with typed errors', () => {
    const s = split8(Uint8Array.of(1, 2), 2, 3);
    expect(() => combine8([s[0], { ...s[1], x: 0 }])).toThrow(expect.objectContaining({ code: 'argument' }));
    expect(() => combine8([s[0], { ...s[1], x: s[0].x }])).toThrow(expect.objectContaining({ code: 'argument' }));
    expect(() => combine8([s[0], { ...s[1], bytes: new Uint8Array(3) }])).toThrow(expect.objectContaining({ code: 'length' }));
    expect(() => split8(Uint8Array.of(1), 2, 2, { xs: [1, 256] })).toThrow(expect.objectContaining({ code: 'argument' }));
  });
});
