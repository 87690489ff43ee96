// Byte-array checks used at every module's door, and constant-time comparison for tags.
import { DskeError } from './errors';

export function isBytes(a: unknown): a is Uint8Array {
  return a instanceof Uint8Array;
}

/** Throws DskeError('length') unless `a` is a Uint8Array of exactly `len` bytes (any length if omitted). */
export function abytes(a: unknown, len: number | undefined, name: string): Uint8Array {
  if (!isBytes(a)) throw new DskeError('length', `${name}: expected Uint8Array`);
  if (len !== undefined && a.length !== len) throw new DskeError('length', `${name}: expected ${len} bytes, got ${a.length}`);
  return a;
}

/** Throws DskeError('argument') unless `v` is an integer in [min, max]. */
export function aint(v: unknown, min: number, max: number, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
    throw new DskeError('argument', `${name}: expected an integer in [${min}, ${max}]`);
  return v;
}

/**
 * A copy that is a plain Uint8Array. Not `a.slice()`: on a Node Buffer (a Uint8Array subclass handed in
 * by a caller) slice returns a view of the same memory, and a "copy" that is XORed or wiped would change
 * the caller's bytes.
 */
export function copyBytes(a: Uint8Array): Uint8Array {
  return new Uint8Array(a);
}

/** A plain Uint8Array view of the same bytes, so that methods behave as on Uint8Array (see copyBytes). */
export function plainView(a: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(a) === Uint8Array.prototype ? a : new Uint8Array(a.buffer, a.byteOffset, a.length);
}

/** Constant-time equality (length is public). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Constant-time "all zero". */
export function isZeroBytes(a: Uint8Array, off = 0, len = a.length - off): boolean {
  let acc = 0;
  for (let i = off; i < off + len; i++) acc |= a[i];
  return acc === 0;
}

/** dst[dOff..] ^= src[sOff..sOff+len]: one-time pad and field addition alike. */
export function xorInto(dst: Uint8Array, dOff: number, src: Uint8Array, sOff: number, len: number): void {
  for (let i = 0; i < len; i++) dst[dOff + i] ^= src[sOff + i];
}

/** Best-effort wipe of temporaries that held PSRD or shares (§10.3, processing security). */
export function wipe(...arrays: Uint8Array[]): void {
  for (const a of arrays) a.fill(0);
}
