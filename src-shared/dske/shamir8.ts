// The byte-wise alternative of App. A: Shamir sharing over GF(2^8) (0x11B), one coordinate per
// share, each byte of the secret shared in turn. Interpolation at any point is exposed because
// SLIP-0039 puts the secret at x = 255 and its digest at x = 254 (shamir8_slip39 vectors).
import { abytes, aint } from './bytes';
import { DskeError } from './errors';
import { invRaw, mulRaw } from './gf8';
import { draw, randomBytes, type RandomSource } from './random';

export interface Share8 {
  /** Coordinate, 1..255 (0 is where the secret sits). */
  readonly x: number;
  readonly bytes: Uint8Array;
}

function check(shares: readonly Share8[], minX: number): number {
  if (!Array.isArray(shares) || shares.length === 0) throw new DskeError('not-enough-shares', 'no shares given');
  let len = -1;
  const seen = new Set<number>();
  shares.forEach((s, i) => {
    if (typeof s !== 'object' || s === null) throw new DskeError('argument', `shares[${i}]: expected {x, bytes}`);
    aint(s.x, minX, 255, `shares[${i}].x`);
    if (seen.has(s.x)) throw new DskeError('argument', 'share coordinates must be distinct');
    seen.add(s.x);
    abytes(s.bytes, len === -1 ? undefined : len, `shares[${i}].bytes`);
    len = s.bytes.length;
  });
  return len;
}

/** The value at `at` (0..255) of the polynomial through the shares, byte by byte. */
export function interpolate8(shares: readonly Share8[], at: number): Uint8Array {
  const len = check(shares, 0);
  aint(at, 0, 255, 'at');
  const out = new Uint8Array(len);
  for (let j = 0; j < shares.length; j++) {
    // L_j(at) = Π_{l≠j} (at + x_l) / (x_j + x_l)
    let num = 1, den = 1;
    for (let l = 0; l < shares.length; l++) {
      if (l === j) continue;
      num = mulRaw(num, at ^ shares[l].x);
      den = mulRaw(den, shares[j].x ^ shares[l].x);
    }
    const lj = mulRaw(num, invRaw(den));
    const b = shares[j].bytes;
    for (let i = 0; i < len; i++) out[i] ^= mulRaw(lj, b[i]);
  }
  return out;
}

/** The secret (the polynomial at x = 0) from k or more consistent shares. */
export function combine8(shares: { x: number; bytes: Uint8Array }[]): Uint8Array {
  check(shares, 1);
  return interpolate8(shares, 0);
}

export interface Split8Options {
  /** n distinct coordinates in 1..255; default 1..n. */
  readonly xs?: readonly number[];
  readonly random?: RandomSource;
}

/** Split a secret byte string into n shares, any k of which recover it. */
export function split8(secret: Uint8Array, k: number, n: number, opts: Split8Options = {}): Share8[] {
  abytes(secret, undefined, 'secret');
  aint(n, 1, 255, 'n');
  aint(k, 1, n, 'k');
  const xs = opts.xs ?? Array.from({ length: n }, (_, i) => i + 1);
  if (!Array.isArray(xs) || xs.length !== n) throw new DskeError('argument', `xs: expected ${n} coordinates`);
  xs.forEach((x, i) => aint(x, 1, 255, `xs[${i}]`));
  if (new Set(xs).size !== n) throw new DskeError('argument', 'coordinates must be distinct');
  const len = secret.length;
  const coefs = draw(opts.random ?? randomBytes, (k - 1) * len);
  const shares = xs.map((x) => {
    const bytes = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      let y = 0;
      for (let j = k - 1; j >= 1; j--) y = mulRaw(y ^ coefs[(j - 1) * len + i], x);
      bytes[i] = y ^ secret[i];
    }
    return { x, bytes };
  });
  coefs.fill(0);
  return shares;
}
