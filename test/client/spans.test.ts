// The client's used-span sets (issue S10): against a plain bitmap, for random spans added in any order.
import { describe, expect, it } from 'vitest';
import { addSpan, covers, firstOverlap, isCanonical, measureWithin, type Interval } from '../../src-client/store/spans';

describe('span sets', () => {
  it('agree with a bitmap: add, overlap, cover and measure, and stay canonical', () => {
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const size = 200;
      const bits = new Uint8Array(size);
      let set: Interval[] = [];
      for (let k = 0; k < 1 + rnd(12); k++) {
        const a = rnd(size);
        const b = Math.min(size, a + rnd(30));
        set = addSpan(set, a, b);
        bits.fill(1, a, b);
        expect(isCanonical(set)).toBe(true);
      }
      for (let q = 0; q < 20; q++) {
        const a = rnd(size);
        const b = Math.min(size, a + 1 + rnd(40));
        const inBits = bits.subarray(a, b).reduce((x, y) => x + y, 0);
        expect(measureWithin(set, a, b)).toBe(inBits);
        expect(covers(set, a, b)).toBe(inBits === b - a);
        const first = firstOverlap(set, a, b);
        expect(first !== undefined).toBe(inBits > 0);
        if (first) expect(bits.subarray(a, Math.max(a, first[0])).every((x) => x === 0)).toBe(true);
      }
    }
    expect(isCanonical([[0, 5], [5, 9]])).toBe(false);
    expect(isCanonical([[3, 3]])).toBe(false);
    expect(addSpan([[0, 5]], 5, 9)).toEqual([[0, 9]]);
  });
});
