// GF(2^128) exactly as draft-mwag-dske-00 App. A (docs/spec/) defines it: polynomial basis modulo
// p(x) = 1 + x + x^2 + x^7 + x^128. A word is 16 bytes; "concatenation places the first quantity
// in the least-significant position", so byte 0 is least significant and bit 0 of byte 0 is the
// coefficient of x^0 (App. A: F_80..0 × F_0..02 = F_0..087, i.e. x^127 · x = x^7 + x^2 + x + 1).
//
// ERRATUM (see docs/references.md): App. A writes `hex_10 || hex_32 || hex_54 || hex_76 =
// hex_67452310`. Its own rule (first quantity least significant) gives hex_76543210, which is what
// this file implements; the draft's example is a typo. This is NOT GCM's reflected bit order.
//
// Representation: four 32-bit limbs, limb i = bytes 4i..4i+3 read little-endian, so bit j of the
// 128-bit integer is the coefficient of x^j. Multiplication is a 4-bit comb (López–Dahab): a table
// of a·u for the 16 polynomials u of degree < 4 (no reduction, 5 limbs each), 32 nibble look-ups of
// b into a 256-bit product, then one fold by x^128 = x^7 + x^2 + x + 1. No BigInt anywhere.
// The table can be kept for a fixed operand (hash key c, Lagrange coefficient), which is the hot path.
// Side channels: look-ups are indexed by nibbles of b; a 320-byte table spans five cache lines.
import { abytes, aint, copyBytes } from './bytes';
import { DskeError } from './errors';

export const WORD = 16;

/** Comb table of one operand: 16 entries × 5 limbs. */
export type Table = Int32Array;
export const newTable = (): Table => new Int32Array(80);

// Result limbs of the last multiplication or squaring. Callers copy them out immediately;
// JS runs this synchronously, so a module-level scratch is safe and keeps hot loops allocation-free.
const R = new Int32Array(4);

const rd = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);
function wr(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}
function writeR(out: Uint8Array, o: number): void {
  wr(out, o, R[0]);
  wr(out, o + 4, R[1]);
  wr(out, o + 8, R[2]);
  wr(out, o + 12, R[3]);
}
function xorR(out: Uint8Array, o: number): void {
  wr(out, o, rd(out, o) ^ R[0]);
  wr(out, o + 4, rd(out, o + 4) ^ R[1]);
  wr(out, o + 8, rd(out, o + 8) ^ R[2]);
  wr(out, o + 12, rd(out, o + 12) ^ R[3]);
}

/** Fold a 256-bit product c0..c7 modulo p(x) into R. x^128 ≡ 1 + x + x^2 + x^7. */
function reduce(c0: number, c1: number, c2: number, c3: number, h0: number, h1: number, h2: number, h3: number): void {
  // H·(1 + x + x^2 + x^7) spills 7 bits (x^128..x^134) that fold once more.
  const r4 = (h3 >>> 31) ^ (h3 >>> 30) ^ (h3 >>> 25);
  R[0] = c0 ^ h0 ^ (h0 << 1) ^ (h0 << 2) ^ (h0 << 7) ^ r4 ^ (r4 << 1) ^ (r4 << 2) ^ (r4 << 7);
  R[1] = c1 ^ h1 ^ (h1 << 1) ^ (h0 >>> 31) ^ (h1 << 2) ^ (h0 >>> 30) ^ (h1 << 7) ^ (h0 >>> 25);
  R[2] = c2 ^ h2 ^ (h2 << 1) ^ (h1 >>> 31) ^ (h2 << 2) ^ (h1 >>> 30) ^ (h2 << 7) ^ (h1 >>> 25);
  R[3] = c3 ^ h3 ^ (h3 << 1) ^ (h2 >>> 31) ^ (h3 << 2) ^ (h2 >>> 30) ^ (h3 << 7) ^ (h2 >>> 25);
}

// Both the table build and the comb below are unrolled by hand: V8 does not unroll these loops, and
// straight-line code with constant shifts runs about 1.6× faster (bench/dske.ts).
function tableOfLimbs(a0: number, a1: number, a2: number, a3: number, t: Table): Table {
  t[0] = 0; t[1] = 0; t[2] = 0; t[3] = 0; t[4] = 0;
  t[5] = a0; t[6] = a1; t[7] = a2; t[8] = a3; t[9] = 0; // a·1
  t[10] = a0 << 1; t[11] = (a1 << 1) | (a0 >>> 31); t[12] = (a2 << 1) | (a1 >>> 31); t[13] = (a3 << 1) | (a2 >>> 31); t[14] = a3 >>> 31; // a·x
  t[20] = a0 << 2; t[21] = (a1 << 2) | (a0 >>> 30); t[22] = (a2 << 2) | (a1 >>> 30); t[23] = (a3 << 2) | (a2 >>> 30); t[24] = a3 >>> 30; // a·x^2
  t[40] = a0 << 3; t[41] = (a1 << 3) | (a0 >>> 29); t[42] = (a2 << 3) | (a1 >>> 29); t[43] = (a3 << 3) | (a2 >>> 29); t[44] = a3 >>> 29; // a·x^3
  // a·u for the other u, by linearity: a·u = a·(u's top bit) + a·(rest)
  t[15] = t[10] ^ t[5]; t[16] = t[11] ^ t[6]; t[17] = t[12] ^ t[7]; t[18] = t[13] ^ t[8]; t[19] = t[14] ^ t[9];
  t[25] = t[20] ^ t[5]; t[26] = t[21] ^ t[6]; t[27] = t[22] ^ t[7]; t[28] = t[23] ^ t[8]; t[29] = t[24] ^ t[9];
  t[30] = t[20] ^ t[10]; t[31] = t[21] ^ t[11]; t[32] = t[22] ^ t[12]; t[33] = t[23] ^ t[13]; t[34] = t[24] ^ t[14];
  t[35] = t[20] ^ t[15]; t[36] = t[21] ^ t[16]; t[37] = t[22] ^ t[17]; t[38] = t[23] ^ t[18]; t[39] = t[24] ^ t[19];
  t[45] = t[40] ^ t[5]; t[46] = t[41] ^ t[6]; t[47] = t[42] ^ t[7]; t[48] = t[43] ^ t[8]; t[49] = t[44] ^ t[9];
  t[50] = t[40] ^ t[10]; t[51] = t[41] ^ t[11]; t[52] = t[42] ^ t[12]; t[53] = t[43] ^ t[13]; t[54] = t[44] ^ t[14];
  t[55] = t[40] ^ t[15]; t[56] = t[41] ^ t[16]; t[57] = t[42] ^ t[17]; t[58] = t[43] ^ t[18]; t[59] = t[44] ^ t[19];
  t[60] = t[40] ^ t[20]; t[61] = t[41] ^ t[21]; t[62] = t[42] ^ t[22]; t[63] = t[43] ^ t[23]; t[64] = t[44] ^ t[24];
  t[65] = t[40] ^ t[25]; t[66] = t[41] ^ t[26]; t[67] = t[42] ^ t[27]; t[68] = t[43] ^ t[28]; t[69] = t[44] ^ t[29];
  t[70] = t[40] ^ t[30]; t[71] = t[41] ^ t[31]; t[72] = t[42] ^ t[32]; t[73] = t[43] ^ t[33]; t[74] = t[44] ^ t[34];
  t[75] = t[40] ^ t[35]; t[76] = t[41] ^ t[36]; t[77] = t[42] ^ t[37]; t[78] = t[43] ^ t[38]; t[79] = t[44] ^ t[39];
  return t;
}

/** Build the comb table of the word at a[aOff..aOff+16) (no length check: internal). */
export function tableOf(a: Uint8Array, aOff: number, t: Table): Table {
  return tableOfLimbs(rd(a, aOff), rd(a, aOff + 4), rd(a, aOff + 8), rd(a, aOff + 12), t);
}

/**
 * R = a·b where t = tableOf(a): for each nibble position s = 28, 24, …, 0 of b's four limbs, add
 * t[nibble] into the 256-bit accumulator at limb offset l, then shift the accumulator by 4.
 */
function comb(t: Table, b0: number, b1: number, b2: number, b3: number): void {
  let c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0, o = 0;
  o = ((b0 >>> 28) & 15) * 5; c0 ^= t[o]; c1 ^= t[o + 1]; c2 ^= t[o + 2]; c3 ^= t[o + 3]; c4 ^= t[o + 4];
  o = ((b1 >>> 28) & 15) * 5; c1 ^= t[o]; c2 ^= t[o + 1]; c3 ^= t[o + 2]; c4 ^= t[o + 3]; c5 ^= t[o + 4];
  o = ((b2 >>> 28) & 15) * 5; c2 ^= t[o]; c3 ^= t[o + 1]; c4 ^= t[o + 2]; c5 ^= t[o + 3]; c6 ^= t[o + 4];
  o = ((b3 >>> 28) & 15) * 5; c3 ^= t[o]; c4 ^= t[o + 1]; c5 ^= t[o + 2]; c6 ^= t[o + 3]; c7 ^= t[o + 4];
  c7 = (c7 << 4) | (c6 >>> 28); c6 = (c6 << 4) | (c5 >>> 28); c5 = (c5 << 4) | (c4 >>> 28); c4 = (c4 << 4) | (c3 >>> 28);
  c3 = (c3 << 4) | (c2 >>> 28); c2 = (c2 << 4) | (c1 >>> 28); c1 = (c1 << 4) | (c0 >>> 28); c0 <<= 4;
  o = ((b0 >>> 24) & 15) * 5; c0 ^= t[o]; c1 ^= t[o + 1]; c2 ^= t[o + 2]; c3 ^= t[o + 3]; c4 ^= t[o + 4];
  o = ((b1 >>> 24) & 15) * 5; c1 ^= t[o]; c2 ^= t[o + 1]; c3 ^= t[o + 2]; c4 ^= t[o + 3]; c5 ^= t[o + 4];
  o = ((b2 >>> 24) & 15) * 5; c2 ^= t[o]; c3 ^= t[o + 1]; c4 ^= t[o + 2]; c5 ^= t[o + 3]; c6 ^= t[o + 4];
  o = ((b3 >>> 24) & 15) * 5; c3 ^= t[o]; c4 ^= t[o + 1]; c5 ^= t[o + 2]; c6 ^= t[o + 3]; c7 ^= t[o + 4];
  c7 = (c7 << 4) | (c6 >>> 28); c6 = (c6 << 4) | (c5 >>> 28); c5 = (c5 << 4) | (c4 >>> 28); c4 = (c4 << 4) | (c3 >>> 28);
  c3 = (c3 << 4) | (c2 >>> 28); c2 = (c2 << 4) | (c1 >>> 28); c1 = (c1 << 4) | (c0 >>> 28); c0 <<= 4;
  o = ((b0 >>> 20) & 15) * 5; c0 ^= t[o]; c1 ^= t[o + 1]; c2 ^= t[o + 2]; c3 ^= t[o + 3]; c4 ^= t[o + 4];
  o = ((b1 >>> 20) & 15) * 5; c1 ^= t[o]; c2 ^= t[o + 1]; c3 ^= t[o + 2]; c4 ^= t[o + 3]; c5 ^= t[o + 4];
  o = ((b2 >>> 20) & 15) * 5; c2 ^= t[o]; c3 ^= t[o + 1]; c4 ^= t[o + 2]; c5 ^= t[o + 3]; c6 ^= t[o + 4];
  o = ((b3 >>> 20) & 15) * 5; c3 ^= t[o]; c4 ^= t[o + 1]; c5 ^= t[o + 2]; c6 ^= t[o + 3]; c7 ^= t[o + 4];
  c7 = (c7 << 4) | (c6 >>> 28); c6 = (c6 << 4) | (c5 >>> 28); c5 = (c5 << 4) | (c4 >>> 28); c4 = (c4 << 4) | (c3 >>> 28);
  c3 = (c3 << 4) | (c2 >>> 28); c2 = (c2 << 4) | (c1 >>> 28); c1 = (c1 << 4) | (c0 >>> 28); c0 <<= 4;
  o = ((b0 >>> 16) & 15) * 5; c0 ^= t[o]; c1 ^= t[o + 1]; c2 ^= t[o + 2]; c3 ^= t[o + 3]; c4 ^= t[o + 4];
  o = ((b1 >>> 16) & 15) * 5; c1 ^= t[o]; c2 ^= t[o + 1]; c3 ^= t[o + 2]; c4 ^= t[o + 3]; c5 ^= t[o + 4];
  o = ((b2 >>> 16) & 15) * 5; c2 ^= t[o]; c3 ^= t[o + 1]; c4 ^= t[o + 2]; c5 ^= t[o + 3]; c6 ^= t[o + 4];
  o = ((b3 >>> 16) & 15) * 5; c3 ^= t[o]; c4 ^= t[o + 1]; c5 ^= t[o + 2]; c6 ^= t[o + 3]; c7 ^= t[o + 4];
  c7 = (c7 << 4) | (c6 >>> 28); c6 = (c6 << 4) | (c5 >>> 28); c5 = (c5 << 4) | (c4 >>> 28); c4 = (c4 << 4) | (c3 >>> 28);
  c3 = (c3 << 4) | (c2 >>> 28); c2 = (c2 << 4) | (c1 >>> 28); c1 = (c1 << 4) | (c0 >>> 28); c0 <<= 4;
  o = ((b0 >>> 12) & 15) * 5; c0 ^= t[o]; c1 ^= t[o + 1]; c2 ^= t[o + 2]; c3 ^= t[o + 3]; c4 ^= t[o + 4];
  o = ((b1 >>> 12) & 15) * 5; c1 ^= t[o]; c2 ^= t[o + 1]; c3 ^= t[o + 2]; c4 ^= t[o + 3]; c5 ^= t[o + 4];
  o = ((b2 >>> 12) & 15) * 5; c2 ^= t[o]; c3 ^= t[o + 1]; c4 ^= t[o + 2]; c5 ^= t[o + 3]; c6 ^= t[o + 4];
  o = ((b3 >>> 12) & 15) * 5; c3 ^= t[o]; c4 ^= t[o + 1]; c5 ^= t[o + 2]; c6 ^= t[o + 3]; c7 ^= t[o + 4];
  c7 = (c7 << 4) | (c6 >>> 28); c6 = (c6 << 4) | (c5 >>> 28); c5 = (c5 << 4) | (c4 >>> 28); c4 = (c4 << 4) | (c3 >>> 28);
  c3 = (c3 << 4) | (c2 >>> 28); c2 = (c2 << 4) | (c1 >>> 28); c1 = (c1 << 4) | (c0 >>> 28); c0 <<= 4;
  o = ((b0 >>> 8) & 15) * 5; c0 ^= t[o]; c1 ^= t[o + 1]; c2 ^= t[o + 2]; c3 ^= t[o + 3]; c4 ^= t[o + 4];
  o = ((b1 >>> 8) & 15) * 5; c1 ^= t[o]; c2 ^= t[o + 1]; c3 ^= t[o + 2]; c4 ^= t[o + 3]; c5 ^= t[o + 4];
  o = ((b2 >>> 8) & 15) * 5; c2 ^= t[o]; c3 ^= t[o + 1]; c4 ^= t[o + 2]; c5 ^= t[o + 3]; c6 ^= t[o + 4];
  o = ((b3 >>> 8) & 15) * 5; c3 ^= t[o]; c4 ^= t[o + 1]; c5 ^= t[o + 2]; c6 ^= t[o + 3]; c7 ^= t[o + 4];
  c7 = (c7 << 4) | (c6 >>> 28); c6 = (c6 << 4) | (c5 >>> 28); c5 = (c5 << 4) | (c4 >>> 28); c4 = (c4 << 4) | (c3 >>> 28);
  c3 = (c3 << 4) | (c2 >>> 28); c2 = (c2 << 4) | (c1 >>> 28); c1 = (c1 << 4) | (c0 >>> 28); c0 <<= 4;
  o = ((b0 >>> 4) & 15) * 5; c0 ^= t[o]; c1 ^= t[o + 1]; c2 ^= t[o + 2]; c3 ^= t[o + 3]; c4 ^= t[o + 4];
  o = ((b1 >>> 4) & 15) * 5; c1 ^= t[o]; c2 ^= t[o + 1]; c3 ^= t[o + 2]; c4 ^= t[o + 3]; c5 ^= t[o + 4];
  o = ((b2 >>> 4) & 15) * 5; c2 ^= t[o]; c3 ^= t[o + 1]; c4 ^= t[o + 2]; c5 ^= t[o + 3]; c6 ^= t[o + 4];
  o = ((b3 >>> 4) & 15) * 5; c3 ^= t[o]; c4 ^= t[o + 1]; c5 ^= t[o + 2]; c6 ^= t[o + 3]; c7 ^= t[o + 4];
  c7 = (c7 << 4) | (c6 >>> 28); c6 = (c6 << 4) | (c5 >>> 28); c5 = (c5 << 4) | (c4 >>> 28); c4 = (c4 << 4) | (c3 >>> 28);
  c3 = (c3 << 4) | (c2 >>> 28); c2 = (c2 << 4) | (c1 >>> 28); c1 = (c1 << 4) | (c0 >>> 28); c0 <<= 4;
  o = (b0 & 15) * 5; c0 ^= t[o]; c1 ^= t[o + 1]; c2 ^= t[o + 2]; c3 ^= t[o + 3]; c4 ^= t[o + 4];
  o = (b1 & 15) * 5; c1 ^= t[o]; c2 ^= t[o + 1]; c3 ^= t[o + 2]; c4 ^= t[o + 3]; c5 ^= t[o + 4];
  o = (b2 & 15) * 5; c2 ^= t[o]; c3 ^= t[o + 1]; c4 ^= t[o + 2]; c5 ^= t[o + 3]; c6 ^= t[o + 4];
  o = (b3 & 15) * 5; c3 ^= t[o]; c4 ^= t[o + 1]; c5 ^= t[o + 2]; c6 ^= t[o + 3]; c7 ^= t[o + 4];
  reduce(c0, c1, c2, c3, c4, c5, c6, c7);
}

/** out[oOff..+16) = a·b[bOff..+16), t = tableOf(a). In place (out = b) is fine. */
export function mulT(t: Table, b: Uint8Array, bOff: number, out: Uint8Array, oOff: number): void {
  comb(t, rd(b, bOff), rd(b, bOff + 4), rd(b, bOff + 8), rd(b, bOff + 12));
  writeR(out, oOff);
}

/** out[oOff..+16) ^= a·b[bOff..+16), t = tableOf(a): the multiply-accumulate of Horner and Lagrange. */
export function mulAddT(t: Table, b: Uint8Array, bOff: number, out: Uint8Array, oOff: number): void {
  comb(t, rd(b, bOff), rd(b, bOff + 4), rd(b, bOff + 8), rd(b, bOff + 12));
  xorR(out, oOff);
}

/**
 * Horner step on limbs, for polynomial hashing: acc = (acc + y[yOff..+16))·a. acc is a 4-limb
 * Int32Array that stays in limb form across steps.
 */
export function hornerT(t: Table, acc: Int32Array, y: Uint8Array, yOff: number): void {
  comb(t, acc[0] ^ rd(y, yOff), acc[1] ^ rd(y, yOff + 4), acc[2] ^ rd(y, yOff + 8), acc[3] ^ rd(y, yOff + 12));
  acc[0] = R[0]; acc[1] = R[1]; acc[2] = R[2]; acc[3] = R[3];
}

/** out[oOff..+16) = limbs of acc. */
export function writeLimbs(acc: Int32Array, out: Uint8Array, oOff: number): void {
  wr(out, oOff, acc[0]);
  wr(out, oOff + 4, acc[1]);
  wr(out, oOff + 8, acc[2]);
  wr(out, oOff + 12, acc[3]);
}

// Squaring is linear over GF(2): spread each bit i to 2i, then reduce.
const SPREAD = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let s = 0;
  for (let j = 0; j < 8; j++) if ((i >>> j) & 1) s |= 1 << (2 * j);
  SPREAD[i] = s;
}
const spreadLo = (a: number): number => SPREAD[a & 255] | (SPREAD[(a >>> 8) & 255] << 16);
const spreadHi = (a: number): number => SPREAD[(a >>> 16) & 255] | (SPREAD[a >>> 24] << 16);
/** R = (a0..a3)^2 */
function sqrLimbs(a0: number, a1: number, a2: number, a3: number): void {
  reduce(spreadLo(a0), spreadHi(a0), spreadLo(a1), spreadHi(a1), spreadLo(a2), spreadHi(a2), spreadLo(a3), spreadHi(a3));
}

const T0 = newTable();
const S = new Int32Array(4), SA = new Int32Array(4), ST = new Int32Array(4);

/** x = x^(2^n) in limbs */
function sqrN(x: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    sqrLimbs(x[0], x[1], x[2], x[3]);
    x[0] = R[0]; x[1] = R[1]; x[2] = R[2]; x[3] = R[3];
  }
}
/** x = x·y in limbs */
function mulLimbs(x: Int32Array, y: Int32Array): void {
  tableOfLimbs(y[0], y[1], y[2], y[3], T0);
  comb(T0, x[0], x[1], x[2], x[3]);
  x[0] = R[0]; x[1] = R[1]; x[2] = R[2]; x[3] = R[3];
}

/** Field addition (exclusive-or, App. A). */
export function add(a: Uint8Array, b: Uint8Array): Uint8Array {
  abytes(a, WORD, 'a');
  abytes(b, WORD, 'b');
  const out = new Uint8Array(WORD);
  for (let i = 0; i < WORD; i++) out[i] = a[i] ^ b[i];
  return out;
}

/** Field multiplication modulo 1 + x + x^2 + x^7 + x^128 (App. A). */
export function mul(a: Uint8Array, b: Uint8Array): Uint8Array {
  abytes(a, WORD, 'a');
  abytes(b, WORD, 'b');
  const out = new Uint8Array(WORD);
  tableOf(a, 0, T0);
  mulT(T0, b, 0, out, 0);
  return out;
}

export function sqr(a: Uint8Array): Uint8Array {
  abytes(a, WORD, 'a');
  sqrLimbs(rd(a, 0), rd(a, 4), rd(a, 8), rd(a, 12));
  const out = new Uint8Array(WORD);
  writeR(out, 0);
  return out;
}

/** a^e for an integer 0 ≤ e < 2^53 (a^0 = 1, also for a = 0). */
export function pow(a: Uint8Array, e: number): Uint8Array {
  abytes(a, WORD, 'a');
  aint(e, 0, Number.MAX_SAFE_INTEGER, 'exponent');
  const acc = Int32Array.of(1, 0, 0, 0);
  const base = Int32Array.of(rd(a, 0), rd(a, 4), rd(a, 8), rd(a, 12));
  for (let k = e; k > 0; k = Math.floor(k / 2)) {
    if (k % 2 === 1) mulLimbs(acc, base);
    if (k > 1) sqrN(base, 1);
  }
  const out = new Uint8Array(WORD);
  writeLimbs(acc, out, 0);
  return out;
}

/**
 * In-place inverse of the word at w[off..+16): a^-1 = a^(2^128 - 2) = (a^(2^127 - 1))^2, with
 * a^(2^127 - 1) by Itoh–Tsujii (b_{i+j} = b_i^(2^j)·b_j, b_i = a^(2^i - 1)): 12 multiplications
 * and 127 squarings. Returns false (and leaves w untouched) when the word is zero.
 */
export function invInPlace(w: Uint8Array, off: number): boolean {
  const a0 = rd(w, off), a1 = rd(w, off + 4), a2 = rd(w, off + 8), a3 = rd(w, off + 12);
  if ((a0 | a1 | a2 | a3) === 0) return false;
  const b = S, a = SA, t = ST;
  a[0] = a0; a[1] = a1; a[2] = a2; a[3] = a3;
  b.set(a); // b_1
  // Chain 1 → 2 → 3 → 6 → 7 → 14 → 15 → 30 → 31 → 62 → 63 → 126 → 127.
  for (let i = 1, r = 0; r < 6; r++) {
    t.set(b); // b_{2i} = b_i^(2^i) · b_i
    sqrN(b, i);
    mulLimbs(b, t);
    i *= 2;
    sqrN(b, 1); // b_{i+1} = b_i^2 · a
    mulLimbs(b, a);
    i += 1;
  }
  // i = 127 now; one more squaring gives a^(2^128 - 2).
  sqrN(b, 1);
  writeLimbs(b, w, off);
  return true;
}

/** Multiplicative inverse; DskeError('argument') for zero. */
export function inv(a: Uint8Array): Uint8Array {
  abytes(a, WORD, 'a');
  const out = copyBytes(a);
  if (!invInPlace(out, 0)) throw new DskeError('argument', 'zero has no multiplicative inverse');
  return out;
}

/** The word whose integer value is n (0 ≤ n < 2^32): e.g. the share index i as an element of F (App. A). */
export function word(n: number): Uint8Array {
  aint(n, 0, 0xffffffff, 'n');
  const out = new Uint8Array(WORD);
  wr(out, 0, n);
  return out;
}

export function isZero(a: Uint8Array): boolean {
  abytes(a, WORD, 'a');
  return (a[0] | a[1] | a[2] | a[3] | a[4] | a[5] | a[6] | a[7] | a[8] | a[9] | a[10] | a[11] | a[12] | a[13] | a[14] | a[15]) === 0;
}
