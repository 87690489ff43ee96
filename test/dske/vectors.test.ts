// Every known answer in test/vectors/appendix-a.json (sources: test/vectors/README.md), read from the
// file at test time.
// A category this file does not know fails the run rather than being skipped.
import { describe, expect, it } from 'vitest';
import { inv, mul } from '../../src-shared/dske/gf128';
import * as gf8 from '../../src-shared/dske/gf8';
import { hash } from '../../src-shared/dske/polyhash';
import { combine128, combine8, interpolate8 } from '../../src-shared/dske/shamir';
import { hex, loadVectors, subsets, unhex, VECTORS_PATH } from './helpers';

interface Mul128 { a: string; b: string; product: string }
interface Inv128 { a: string; inverse: string }
interface Mul8 { a: number; b: number; product: number }
interface PolyHash { c: string; d: string; y: string[]; h: string }
interface Sh128 { k: number; n: number; shares: { x: string; words: string[] }[]; secret: string[] }
interface Sh8 { k: number; n: number; shares: { x: number; bytes: string }[]; secret: string }
interface Slip39 { shares: { x: number; bytes: string }[]; at: number; value: string }

const V = loadVectors();
const ONE = unhex('01' + '00'.repeat(15));

function list<T>(name: string): T[] {
  const v = V[name];
  if (!Array.isArray(v) || v.length === 0) throw new Error(`${VECTORS_PATH}: category ${name} missing or empty`);
  return v as T[];
}

// One checker per category; the test below fails on any category without one.
const checkers: Record<string, () => number> = {
  gf128_mul: () => {
    const vs = list<Mul128>('gf128_mul');
    for (const v of vs) {
      expect(hex(mul(unhex(v.a), unhex(v.b))), `${v.a} × ${v.b}`).toBe(v.product);
      expect(hex(mul(unhex(v.b), unhex(v.a))), `${v.b} × ${v.a}`).toBe(v.product);
    }
    return vs.length;
  },
  gf128_inv: () => {
    const vs = list<Inv128>('gf128_inv');
    for (const v of vs) {
      expect(hex(inv(unhex(v.a))), `inv ${v.a}`).toBe(v.inverse);
      expect(mul(unhex(v.a), unhex(v.inverse))).toEqual(ONE);
    }
    return vs.length;
  },
  gf8_mul: () => {
    const vs = list<Mul8>('gf8_mul');
    for (const v of vs) {
      expect(gf8.mul(v.a, v.b), `${v.a} × ${v.b}`).toBe(v.product);
      expect(gf8.mul(v.b, v.a)).toBe(v.product);
    }
    return vs.length;
  },
  poly_hash: () => {
    const vs = list<PolyHash>('poly_hash');
    for (const v of vs) expect(hex(hash(unhex(v.c), unhex(v.d), v.y.map(unhex)))).toBe(v.h);
    return vs.length;
  },
  shamir128: () => {
    const vs = list<Sh128>('shamir128');
    for (const v of vs) {
      expect(v.shares).toHaveLength(v.n);
      const shares = v.shares.map((s) => ({ x: unhex(s.x), words: s.words.map(unhex) }));
      for (const idx of subsets(v.n, v.k)) {
        expect(combine128(idx.map((i) => shares[i])).map(hex), `k=${v.k} n=${v.n} shares ${idx}`).toEqual(v.secret);
      }
      expect(combine128(shares).map(hex)).toEqual(v.secret); // all n at once
      if (v.k > 1) expect(combine128(shares.slice(0, v.k - 1)).map(hex)).not.toEqual(v.secret); // k − 1 do not
    }
    return vs.length;
  },
  shamir8: () => {
    const vs = list<Sh8>('shamir8');
    for (const v of vs) {
      expect(v.shares).toHaveLength(v.n);
      const shares = v.shares.map((s) => ({ x: s.x, bytes: unhex(s.bytes) }));
      for (const idx of subsets(v.n, v.k)) {
        expect(hex(combine8(idx.map((i) => shares[i]))), `k=${v.k} n=${v.n} shares ${idx}`).toBe(v.secret);
      }
      if (v.k > 1) expect(hex(combine8(shares.slice(0, v.k - 1)))).not.toBe(v.secret);
    }
    return vs.length;
  },
  shamir8_slip39: () => {
    const vs = list<Slip39>('shamir8_slip39');
    for (const v of vs) {
      expect(hex(interpolate8(v.shares.map((s) => ({ x: s.x, bytes: unhex(s.bytes) })), v.at))).toBe(v.value);
    }
    return vs.length;
  },
};

describe('appendix-a.json known answers', () => {
  it('has a checker for every category in the file', () => {
    const unknown = Object.keys(V).filter((k) => !k.startsWith('_') && !(k in checkers));
    expect(unknown, 'categories without a checker').toEqual([]);
  });

  for (const name of Object.keys(checkers)) {
    it(`${name}: every vector`, () => {
      expect(name in V, `${name} not in ${VECTORS_PATH}`).toBe(true);
      expect(checkers[name]()).toBeGreaterThan(0);
    });
  }

  it('the draft example F_80..0 × F_0..02 = F_0..087 is among them', () => {
    expect(list<Mul128>('gf128_mul').some((v) => v.a === '00'.repeat(15) + '80' && v.b === '02' + '00'.repeat(15) && v.product === '87' + '00'.repeat(15))).toBe(true);
  });
});
