// SP 800-90B cutoffs (§4.4.1, §4.4.2): the table in docs/references.md, and the APT cutoff checked against an
// exact CRITBINOM in rational arithmetic (BigInt), so the log-space computation is not trusted on faith.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aptCutoff, aptWindow, critBinom, healthParameters, rctCutoff } from '../../src-main/station/entropy/cutoffs';

/** 1 + CRITBINOM(W, 2^-H, 1 - 2^-a), exactly: the smallest k with 2^a·Σ_{j>k} C(W,j)(2^H−1)^(W−j) ≤ 2^(H·W). */
function exactAptCutoff(log2InvAlpha: number, h: number, w: number): number {
  const m = (1n << BigInt(h)) - 1n;
  const limit = 1n << BigInt(h * w);
  const scale = 1n << BigInt(log2InvAlpha);
  let binom = 1n; // C(W, W)
  let pow = 1n; // m^(W - W)
  let tail = 0n; // Σ_{j > k}, k = W
  for (let k = w; k >= 0; k--) {
    if (tail * scale > limit) return k + 2;
    tail += binom * pow;
    binom = (binom * BigInt(k)) / BigInt(w - k + 1);
    pow *= m;
  }
  return 1;
}

describe('cutoffs', () => {
  it('RCT cutoffs for byte samples at H = 8 are 4/5/6 for α = 2^-20/2^-30/2^-40', () => {
    expect([20, 30, 40].map((a) => rctCutoff(2 ** -a, 8))).toEqual([4, 5, 6]);
  });

  it('APT cutoffs for byte samples at H = 8, W = 512 are 13/16/19 for α = 2^-20/2^-30/2^-40', () => {
    expect([20, 30, 40].map((a) => aptCutoff(2 ** -a, 8, 512))).toEqual([13, 16, 19]);
  });

  it('RCT cutoffs for binary samples at H = 1 are 21/31/41', () => {
    expect([20, 30, 40].map((a) => rctCutoff(2 ** -a, 1))).toEqual([21, 31, 41]);
  });

  it('APT cutoffs for binary samples at H = 1, W = 1024 are 589/609/625', () => {
    expect([20, 30, 40].map((a) => aptCutoff(2 ** -a, 1, 1024))).toEqual([589, 609, 625]);
  });

  it('the APT window is 512 for byte samples and 1024 for binary samples', () => {
    expect(aptWindow(8)).toBe(512);
    expect(aptWindow(1)).toBe(1024);
  });

  it('the APT cutoff equals an exact rational CRITBINOM for every integer H at W = 512 and 1024', () => {
    for (const w of [512, 1024]) {
      for (let h = 1; h <= 8; h++) {
        for (const a of [20, 30, 40]) expect(aptCutoff(2 ** -a, h, w), `H=${h} a=${a} W=${w}`).toBe(exactAptCutoff(a, h, w));
      }
    }
  });

  it('the APT cutoff equals the exact CRITBINOM for arbitrary windows and α', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 20, max: 40 }), fc.integer({ min: 16, max: 1024 }), (h, a, w) => {
        expect(aptCutoff(2 ** -a, h, w)).toBe(exactAptCutoff(a, h, w));
      }),
      { numRuns: 40 },
    );
  });

  it('CRITBINOM is the smallest k whose upper tail is at most α', () => {
    // Bin(4, 1/2): P(X > 3) = 1/16, P(X > 2) = 5/16.
    expect(critBinom(4, 0.5, 1 / 16)).toBe(3);
    expect(critBinom(4, 0.5, 1 / 16 - 1e-12)).toBe(4);
    expect(critBinom(4, 0.5, 5 / 16)).toBe(2);
  });

  it('start-up covers at least 1024 samples in whole APT windows', () => {
    expect(healthParameters(8, 8).startupSamples).toBe(1024);
    expect(healthParameters(1, 1).startupSamples).toBe(1024);
  });

  it('rejects α and H outside their ranges', () => {
    expect(() => rctCutoff(0, 8)).toThrow(RangeError);
    expect(() => rctCutoff(0.5, 8)).toThrow(RangeError);
    expect(() => rctCutoff(2 ** -30, 0)).toThrow(RangeError);
    expect(() => aptCutoff(2 ** -30, 9, 512)).toThrow(RangeError);
    expect(() => healthParameters(1, 2)).toThrow(RangeError);
    expect(() => aptCutoff(Number.NaN, 8, 512)).toThrow(RangeError);
  });
});
