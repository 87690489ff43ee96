// k-of-n Shamir sharing over GF(2^128), word by word, as App. A specifies: "applied to each word in
// the sequence in turn, using the same nonzero 'coordinate' x[i] for every word of a given share".
// The byte-wise GF(2^8) alternative lives in shamir8.ts and is re-exported here.
import { abytes, aint, isZeroBytes, copyBytes } from './bytes';
import { DskeError } from './errors';
import { hornerT, invInPlace, mulT, mulAddT, newTable, tableOf, WORD, word, writeLimbs } from './gf128';
import { draw, randomBytes, type RandomSource } from './random';

export { combine8, interpolate8, split8, type Share8 } from './shamir8';

export interface Share128 {
  /** The share's coordinate x[i]: a nonzero word. */
  readonly x: Uint8Array;
  /** One word per secret word. */
  readonly words: Uint8Array[];
}

export const MAX_SHARES = 255;

const T = newTable();
const D = new Uint8Array(WORD);
const NUM = new Uint8Array(MAX_SHARES * WORD);
const DEN = new Uint8Array(MAX_SHARES * WORD);
const PRE = new Uint8Array(MAX_SHARES * WORD);
const ONE = word(1);

/** acc[aOff..+16) *= (u[uOff..+16) + v[vOff..+16)) */
function mulBySum(acc: Uint8Array, aOff: number, u: Uint8Array, uOff: number, v: Uint8Array, vOff: number): void {
  for (let i = 0; i < WORD; i++) D[i] = u[uOff + i] ^ v[vOff + i];
  tableOf(D, 0, T);
  mulT(T, acc, aOff, acc, aOff);
}

/**
 * Lagrange basis at `at` for the k nodes in xs (flat, k words): out_j = Π_{l≠j} (at + x_l)/(x_j + x_l)
 * (minus is plus in characteristic 2). One field inversion per call (Montgomery's batch trick).
 * Returns false when two nodes coincide. Internal: no validation, k ≤ MAX_SHARES.
 */
export function lagrangeInto(xs: Uint8Array, k: number, at: Uint8Array, atOff: number, out: Uint8Array): boolean {
  for (let j = 0; j < k; j++) {
    NUM.set(ONE, j * WORD);
    DEN.set(ONE, j * WORD);
    for (let l = 0; l < k; l++) {
      if (l === j) continue;
      mulBySum(NUM, j * WORD, at, atOff, xs, l * WORD);
      mulBySum(DEN, j * WORD, xs, j * WORD, xs, l * WORD);
    }
  }
  // PRE_j = DEN_0 ⋯ DEN_j; invert PRE_{k-1} once, then peel.
  PRE.set(DEN.subarray(0, WORD), 0);
  for (let j = 1; j < k; j++) {
    tableOf(DEN, j * WORD, T);
    mulT(T, PRE, (j - 1) * WORD, PRE, j * WORD);
  }
  if (!invInPlace(PRE, (k - 1) * WORD)) return false;
  const inv = D; // running inverse of DEN_0 ⋯ DEN_j
  inv.set(PRE.subarray((k - 1) * WORD, k * WORD));
  for (let j = k - 1; j >= 0; j--) {
    // 1/DEN_j = inv · PRE_{j-1}; out_j = NUM_j / DEN_j; then inv *= DEN_j.
    tableOf(inv, 0, T);
    if (j > 0) mulT(T, PRE, (j - 1) * WORD, out, j * WORD);
    else out.set(inv, 0);
    tableOf(out, j * WORD, T);
    mulT(T, NUM, j * WORD, out, j * WORD);
    if (j > 0) {
      tableOf(DEN, j * WORD, T);
      mulT(T, inv, 0, inv, 0);
    }
  }
  return true;
}

/**
 * out[oOff..+16·W) = Σ_j coef_j · values[j][0..16·W), coef flat (k words). Internal, no validation.
 */
export function combineInto(coef: Uint8Array, values: readonly Uint8Array[], k: number, W: number, out: Uint8Array, oOff: number): void {
  out.fill(0, oOff, oOff + W * WORD);
  for (let j = 0; j < k; j++) {
    tableOf(coef, j * WORD, T);
    const v = values[j];
    for (let w = 0; w < W; w++) mulAddT(T, v, w * WORD, out, oOff + w * WORD);
  }
}

function checkShares(shares: readonly Share128[], zeroOk: boolean): number {
  if (!Array.isArray(shares) || shares.length === 0) throw new DskeError('not-enough-shares', 'no shares given');
  if (shares.length > MAX_SHARES) throw new DskeError('argument', `at most ${MAX_SHARES} shares`);
  let W = -1;
  shares.forEach((s, i) => {
    if (typeof s !== 'object' || s === null || !Array.isArray(s.words)) throw new DskeError('argument', `shares[${i}]: expected {x, words}`);
    abytes(s.x, WORD, `shares[${i}].x`);
    if (!zeroOk && isZeroBytes(s.x)) throw new DskeError('argument', `shares[${i}].x: the coordinate must be nonzero`);
    if (W === -1) W = s.words.length;
    if (s.words.length !== W) throw new DskeError('length', `shares[${i}]: expected ${W} words`);
    s.words.forEach((w: Uint8Array, j: number) => abytes(w, WORD, `shares[${i}].words[${j}]`));
  });
  return W;
}

function flatten(words: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(words.length * WORD);
  words.forEach((w, i) => out.set(w, i * WORD));
  return out;
}
function unflatten(flat: Uint8Array, W: number): Uint8Array[] {
  return Array.from({ length: W }, (_, i) => flat.slice(i * WORD, (i + 1) * WORD));
}

/** The value at `at` of the polynomial through the shares (degree shares.length - 1), word by word. */
export function interpolate128(shares: readonly Share128[], at: Uint8Array): Uint8Array[] {
  const W = checkShares(shares, true);
  abytes(at, WORD, 'at');
  const k = shares.length;
  const xs = new Uint8Array(k * WORD);
  shares.forEach((s, i) => xs.set(s.x, i * WORD));
  const coef = new Uint8Array(k * WORD);
  if (!lagrangeInto(xs, k, at, 0, coef)) throw new DskeError('argument', 'share coordinates must be distinct');
  const values = shares.map((s) => flatten(s.words));
  const out = new Uint8Array(W * WORD);
  combineInto(coef, values, k, W, out, 0);
  for (const v of values) v.fill(0);
  const res = unflatten(out, W);
  out.fill(0);
  return res;
}

/** The secret (the polynomial at x = 0) from k or more consistent shares. */
export function combine128(shares: { x: Uint8Array; words: Uint8Array[] }[]): Uint8Array[] {
  checkShares(shares, false);
  return interpolate128(shares, new Uint8Array(WORD));
}

export interface Split128Options {
  /** n distinct nonzero coordinates; default x[i] = i + 1 as a word (App. A: "e.g. the share index i"). */
  readonly xs?: readonly Uint8Array[];
  readonly random?: RandomSource;
}

/** Split secret words into n shares, any k of which recover them: f(0) = secret word, deg f = k − 1. */
export function split128(secret: readonly Uint8Array[], k: number, n: number, opts: Split128Options = {}): Share128[] {
  if (!Array.isArray(secret)) throw new DskeError('argument', 'secret: expected an array of words');
  secret.forEach((w, i) => abytes(w, WORD, `secret[${i}]`));
  aint(n, 1, MAX_SHARES, 'n');
  aint(k, 1, n, 'k');
  const xs = opts.xs ?? Array.from({ length: n }, (_, i) => word(i + 1));
  if (!Array.isArray(xs) || xs.length !== n) throw new DskeError('argument', `xs: expected ${n} coordinates`);
  const flatX = new Uint8Array(n * WORD);
  xs.forEach((x, i) => {
    abytes(x, WORD, `xs[${i}]`);
    if (isZeroBytes(x)) throw new DskeError('argument', `xs[${i}]: the coordinate must be nonzero`);
    for (let j = 0; j < i; j++) if (x.every((b: number, t: number) => b === xs[j][t])) throw new DskeError('argument', 'coordinates must be distinct');
    flatX.set(x, i * WORD);
  });
  const W = secret.length;
  // coefficients c_1..c_{k-1} of every word, random; c_0 is the secret word.
  const coefs = draw(opts.random ?? randomBytes, (k - 1) * W * WORD);
  const acc = new Int32Array(4);
  const shares: Share128[] = [];
  for (let i = 0; i < n; i++) {
    tableOf(flatX, i * WORD, T);
    const words: Uint8Array[] = [];
    for (let w = 0; w < W; w++) {
      // Horner in x: ((c_{k-1}·x + c_{k-2})·x + … + c_1)·x + c_0
      acc.fill(0);
      for (let j = k - 1; j >= 1; j--) hornerT(T, acc, coefs, ((j - 1) * W + w) * WORD);
      const y = new Uint8Array(WORD);
      writeLimbs(acc, y, 0);
      for (let b = 0; b < WORD; b++) y[b] ^= secret[w][b];
      words.push(y);
    }
    shares.push({ x: copyBytes(xs[i]), words });
  }
  coefs.fill(0);
  acc.fill(0);
  return shares;
}
