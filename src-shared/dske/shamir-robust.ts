// Robust reconstruction for App. A: more than k shares arrive, some may be wrong (a lying or faulty
// hub), and the secret carries its own check, σ = h(c, d, e, y1..ym) = 0 (§11.5). Try k-subsets in
// lexicographic order; the first whose secret validates is taken, and every share off its polynomial
// is named. With at least k correct shares the true secret is found; a wrong subset validates only
// with probability about (m + 2)/2^128 per subset, because (c, d, e) is hidden from fewer than k hubs.
import { abytes, aint, equalBytes, isZeroBytes } from './bytes';
import { DskeError } from './errors';
import { WORD } from './gf128';
import { secretTagInto } from './polyhash';
import { combineInto, lagrangeInto, MAX_SHARES, type Share128 } from './shamir';

export type SecretCheck = (secret: Uint8Array) => boolean;

const ZERO = new Uint8Array(WORD);
/** C(16, 8) = 12870 is the most n ≤ 16 can ask; this leaves room and still ends in well under a second. */
export const MAX_SUBSETS = 65536;

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

/**
 * σ = 0 for a secret laid out c || d || e || y1..ym (flat), with c ≠ 0: with c = d = 0 every secret
 * would pass (an all-zero "secret" among them), while an honest c is zero with probability 2^-128.
 */
export function secretTagIsZero(secret: Uint8Array): boolean {
  const sigma = new Uint8Array(WORD);
  secretTagInto(secret, 0, secret.length / WORD, sigma, 0);
  return equalBytes(sigma, ZERO) && !isZeroBytes(secret, 0, WORD);
}

export interface RobustFlat {
  /** The secret, flat (W words). */
  readonly secret: Uint8Array;
  /** Indices of the shares that are not on the secret's polynomial. */
  readonly bad: number[];
}

/**
 * Core on flat buffers: xs holds the s coordinates (s words), values[i] the W words of share i.
 * Callers guarantee nonzero coordinates (wire.ts rejects x = 0). Duplicate coordinates are
 * tolerated: subsets holding both are skipped, and the wrong one is named.
 */
export function combineRobustFlat(xs: Uint8Array, values: readonly Uint8Array[], W: number, k: number, valid: SecretCheck): RobustFlat {
  const s = values.length;
  if (s < k) throw new DskeError('not-enough-shares', `${s} shares, ${k} needed`);
  // Bounded work: the search tries up to C(s, k) subsets; refuse inputs that would take minutes.
  if (binomial(s, k) > MAX_SUBSETS) throw new DskeError('policy', `${s} shares with k = ${k} would need more than ${MAX_SUBSETS} trials`);
  const idx = Array.from({ length: k }, (_, i) => i);
  const subXs = new Uint8Array(k * WORD);
  const coef = new Uint8Array(k * WORD);
  const secret = new Uint8Array(W * WORD);
  const probe = new Uint8Array(W * WORD);
  const subVals: Uint8Array[] = new Array<Uint8Array>(k);
  for (;;) {
    for (let j = 0; j < k; j++) {
      subXs.set(xs.subarray(idx[j] * WORD, (idx[j] + 1) * WORD), j * WORD);
      subVals[j] = values[idx[j]];
    }
    if (lagrangeInto(subXs, k, ZERO, 0, coef)) {
      combineInto(coef, subVals, k, W, secret, 0);
      if (valid(secret)) {
        const bad: number[] = [];
        for (let t = 0, j = 0; t < s; t++) {
          if (j < k && idx[j] === t) {
            j++;
            continue;
          }
          lagrangeInto(subXs, k, xs, t * WORD, coef);
          combineInto(coef, subVals, k, W, probe, 0);
          if (!equalBytes(probe, values[t])) bad.push(t);
        }
        probe.fill(0);
        return { secret, bad };
      }
    }
    // next k-subset of 0..s-1 in lexicographic order
    let j = k - 1;
    while (j >= 0 && idx[j] === s - k + j) j--;
    if (j < 0) break;
    idx[j]++;
    for (let l = j + 1; l < k; l++) idx[l] = idx[l - 1] + 1;
  }
  secret.fill(0);
  probe.fill(0);
  throw new DskeError('secret-tag-mismatch', `no ${k} of the ${s} shares give a secret whose secret tag is zero`);
}

export interface RobustResult {
  /** The secret's words: c, d, e, y1..ym for App. A. */
  readonly secret: Uint8Array[];
  /** Indices (into the input) of the shares that disagree with it. */
  readonly bad: number[];
}

/**
 * Given more than k shares of which some may be wrong, find the secret whose secret tag is zero
 * (or that `valid` accepts) and name the shares that disagree. Throws 'not-enough-shares' for fewer
 * than k shares and 'secret-tag-mismatch' when no k of them validate.
 */
export function combineRobust(shares: readonly Share128[], k: number, valid?: (secret: Uint8Array[]) => boolean): RobustResult {
  if (!Array.isArray(shares)) throw new DskeError('argument', 'shares: expected an array');
  aint(k, 1, MAX_SHARES, 'k');
  if (shares.length > MAX_SHARES) throw new DskeError('argument', `at most ${MAX_SHARES} shares`);
  const W = shares.length ? shares[0].words?.length : 0;
  const xs = new Uint8Array(shares.length * WORD);
  const values = shares.map((sh, i) => {
    if (typeof sh !== 'object' || sh === null || !Array.isArray(sh.words)) throw new DskeError('argument', `shares[${i}]: expected {x, words}`);
    xs.set(abytes(sh.x, WORD, `shares[${i}].x`), i * WORD);
    // A share at x = 0 would be the secret itself: a liar could hand in any secret with σ = 0.
    if (isZeroBytes(sh.x)) throw new DskeError('argument', `shares[${i}].x: the coordinate must be nonzero`);
    if (sh.words.length !== W) throw new DskeError('length', `shares[${i}]: expected ${W} words`);
    const flat = new Uint8Array(W * WORD);
    sh.words.forEach((w: Uint8Array, j: number) => flat.set(abytes(w, WORD, `shares[${i}].words[${j}]`), j * WORD));
    return flat;
  });
  if (!valid && W < 3) throw new DskeError('length', 'an App. A secret has at least the three key words c, d, e');
  const words = (flat: Uint8Array): Uint8Array[] => Array.from({ length: W }, (_, i) => flat.slice(i * WORD, (i + 1) * WORD));
  const check: SecretCheck = valid ? (flat) => valid(words(flat)) : secretTagIsZero;
  const res = combineRobustFlat(xs, values, W, k, check);
  for (const v of values) v.fill(0);
  return { secret: words(res.secret), bad: res.bad };
}
