// The robust combiner: with at least k correct shares among more, it finds the secret whose secret
// tag is zero and names the wrong shares; a flipped bit is never accepted silently.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { secretHash } from '../../src-shared/dske/polyhash';
import { split128 } from '../../src-shared/dske/shamir';
import { combineRobust, secretTagIsZero } from '../../src-shared/dske/shamir-robust';

const W = fc.uint8Array({ minLength: 16, maxLength: 16 });
const ZERO = new Uint8Array(16);

/** c, d, e, y1..ym with d chosen so that σ = h(c, d, e, y) = 0 (App. A). */
const SECRET = fc.tuple(W, W, fc.array(W, { minLength: 1, maxLength: 4 })).map(([c, e, ys]) => [c, secretHash(c, ZERO, e, ys), e, ...ys]);

describe('robust combiner', () => {
  it('recovers the secret whenever at least k shares are correct, and names the wrong ones', () => {
    const CASE = fc
      .tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }))
      .map(([a, b]) => ({ k: Math.min(a, b), n: Math.max(a, b) }))
      .chain(({ k, n }) =>
        fc.record({
          k: fc.constant(k),
          n: fc.constant(n),
          wrong: fc.shuffledSubarray([...Array(n).keys()], { maxLength: n - k }),
          noise: fc.array(fc.array(W, { minLength: 8, maxLength: 8 }), { minLength: n, maxLength: n }),
        }),
      );
    fc.assert(
      fc.property(CASE, SECRET, ({ k, n, wrong, noise }, secret) => {
        const shares = split128(secret, k, n).map((s, i) => (wrong.includes(i) ? { x: s.x, words: s.words.map((w, j) => (noise[i][j % 8].some((b) => b) ? noise[i][j % 8] : w.map((b) => b ^ 1))) } : s));
        const got = combineRobust(shares, k);
        expect(got.secret).toEqual(secret);
        expect(got.bad).toEqual([...wrong].sort((a, b) => a - b));
      }),
      { numRuns: 80 },
    );
  });

  it('a single flipped bit in any share: exactly k shares → refused; k + 1 shares → that share named', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), SECRET, fc.nat(), fc.nat(), (k, secret, which, bit) => {
        const shares = split128(secret, k, k + 1);
        const i = which % (k + 1);
        const b = bit % (secret.length * 128);
        const bent = shares.map((s, j) => (j !== i ? s : { x: s.x, words: s.words.map((w, t) => (t === b >> 7 ? w.map((v, o) => (o === (b >> 3) % 16 ? v ^ (1 << (b & 7)) : v)) : w)) }));
        expect(() => combineRobust(bent.filter((_, j) => j !== (i + 1) % (k + 1)), k)).toThrow(expect.objectContaining({ code: 'secret-tag-mismatch' }));
        expect(combineRobust(bent, k).bad).toEqual([i]);
      }),
      { numRuns: 200 },
    );
  });

  it('tolerates a duplicated coordinate from a liar', () => {
    const secret = fc.sample(SECRET, 1)[0];
    const shares = split128(secret, 2, 4);
    shares[3] = { x: shares[0].x, words: shares[3].words };
    const got = combineRobust(shares, 2);
    expect(got.secret).toEqual(secret);
    expect(got.bad).toEqual([3]);
  });

  it('refuses a share at x = 0 (it would be a secret of the liar\'s choosing)', () => {
    const secret = fc.sample(SECRET, 1)[0];
    const shares = split128(secret, 2, 3);
    expect(() => combineRobust([{ x: new Uint8Array(16), words: secret }, ...shares], 2)).toThrow(expect.objectContaining({ code: 'argument' }));
  });

  it('fewer than k shares: not-enough-shares; custom validators are honoured', () => {
    const secret = fc.sample(SECRET, 1)[0];
    const shares = split128(secret, 3, 5);
    expect(() => combineRobust(shares.slice(0, 2), 3)).toThrow(expect.objectContaining({ code: 'not-enough-shares' }));
    expect(() => combineRobust(shares, 3, () => false)).toThrow(expect.objectContaining({ code: 'secret-tag-mismatch' }));
    expect(combineRobust(shares, 3, (s) => s.length === secret.length).secret).toEqual(secret);
  });
});

describe('bounded work and degenerate secrets', () => {
  it('refuses a search that would need more than MAX_SUBSETS trials, at once', () => {
    const word = () => { const w = new Uint8Array(16); w[0] = 1; return w; };
    const shares = Array.from({ length: 24 }, (_, i) => { const x = new Uint8Array(16); x[0] = i + 1; return { x, words: [word(), word(), word(), word()] }; });
    const t = Date.now();
    expect(() => combineRobust(shares, 12)).toThrow(expect.objectContaining({ code: 'policy' }));
    expect(Date.now() - t).toBeLessThan(5000);
  });

  it('does not accept the all-zero secret (c = d = 0 passes σ = 0 for anything)', () => {
    expect(secretTagIsZero(new Uint8Array(16 * 5))).toBe(false);
  });
});
