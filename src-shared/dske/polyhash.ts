// The polynomial hash of App. A: h(c, d, y1..ym) := d + Σ_{i=1..m} c^i·y_i over GF(2^128).
// Keyed by (c, d) it is the message MAC; keyed by (c, d, e) — the same variadic function with e
// as the first hashed word — it is the secret hash whose value σ the sender forces to zero.
// Evaluated by Horner's rule, ((y_m·c + y_{m-1})·c + … + y_1)·c + d, with one comb table for c.
import { abytes } from './bytes';
import { DskeError } from './errors';
import { hornerT, newTable, tableOf, WORD, writeLimbs } from './gf128';

const T = newTable();
const ACC = new Int32Array(4);

/**
 * out[oOff..+16) = d + Σ_{i=1..count} c^i·y_i, where y_i is the word at ys[yOff + 16(i-1)..].
 * Internal: no validation, flat buffers, no allocation.
 */
export function hashInto(
  c: Uint8Array, cOff: number, d: Uint8Array, dOff: number,
  ys: Uint8Array, yOff: number, count: number,
  out: Uint8Array, oOff: number,
): void {
  tableOf(c, cOff, T);
  ACC.fill(0);
  for (let i = count - 1; i >= 0; i--) hornerT(T, ACC, ys, yOff + i * WORD);
  writeLimbs(ACC, out, oOff);
  for (let i = 0; i < WORD; i++) out[oOff + i] ^= d[dOff + i];
}

/** h(c, d, y1..ym) of App. A (the message hash); m = 0 gives d. */
export function hash(c: Uint8Array, d: Uint8Array, ys: Uint8Array[]): Uint8Array {
  abytes(c, WORD, 'c');
  abytes(d, WORD, 'd');
  if (!Array.isArray(ys)) throw new DskeError('argument', 'ys: expected an array of words');
  const flat = new Uint8Array(ys.length * WORD);
  ys.forEach((y, i) => flat.set(abytes(y, WORD, `ys[${i}]`), i * WORD));
  const out = new Uint8Array(WORD);
  hashInto(c, 0, d, 0, flat, 0, ys.length, out, 0);
  flat.fill(0);
  return out;
}

/** The secret hash h(c, d, e, y1..ym) = d + c·e + Σ c^(i+1)·y_i, (c, d, e) being its key (App. A). */
export function secretHash(c: Uint8Array, d: Uint8Array, e: Uint8Array, ys: Uint8Array[]): Uint8Array {
  abytes(e, WORD, 'e');
  return hash(c, d, [e, ...ys]);
}

/**
 * σ of a secret laid out as App. A orders it, c || d || e || y1..ym (flat, 3 + m words), into
 * out[oOff..+16). The sender adjusts d so that σ = 0; the recipient accepts only σ = 0 (§11.5).
 */
export function secretTagInto(secret: Uint8Array, sOff: number, words: number, out: Uint8Array, oOff: number): void {
  hashInto(secret, sOff, secret, sOff + WORD, secret, sOff + 2 * WORD, words - 2, out, oOff);
}
