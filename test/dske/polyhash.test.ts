// The App. A hash h(c, d, y1..ym) = d + Σ c^i y_i, the secret hash and the message MAC built on it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { add, mul, pow } from '../../src-shared/dske/gf128';
import { messageTag, signFrame, verifyFrame } from '../../src-shared/dske/mac';
import { hash, secretHash } from '../../src-shared/dske/polyhash';

const W = fc.uint8Array({ minLength: 16, maxLength: 16 });

describe('polynomial hash (App. A)', () => {
  it('equals d + Σ c^i y_i computed term by term', () => {
    fc.assert(
      fc.property(W, W, fc.array(W, { maxLength: 12 }), (c, d, ys) => {
        let h: Uint8Array = d;
        ys.forEach((y, i) => (h = add(h, mul(pow(c, i + 1), y))));
        expect(hash(c, d, ys)).toEqual(h);
      }),
      { numRuns: 200 },
    );
  });

  it('the secret hash is the same function with e as the first hashed word', () => {
    fc.assert(fc.property(W, W, W, fc.array(W, { maxLength: 5 }), (c, d, e, ys) => {
      expect(secretHash(c, d, e, ys)).toEqual(hash(c, d, [e, ...ys]));
    }));
  });

  it('rejects words of the wrong length', () => {
    const w = new Uint8Array(16);
    expect(() => hash(w, w, [new Uint8Array(8)])).toThrow(expect.objectContaining({ code: 'length' }));
    expect(() => hash(new Uint8Array(0), w, [])).toThrow(expect.objectContaining({ code: 'length' }));
    expect(() => secretHash(w, w, new Uint8Array(1), [])).toThrow(expect.objectContaining({ code: 'length' }));
  });
});

describe('message MAC (App. A: the first two PSRD words key h)', () => {
  const KEY = fc.uint8Array({ minLength: 32, maxLength: 32 });

  it('is h(c, d, byte length, message words zero-padded)', () => {
    fc.assert(
      fc.property(KEY, fc.uint8Array({ maxLength: 100 }), (key, msg) => {
        const words = [new Uint8Array(16)];
        let l = msg.length;
        for (let i = 0; i < 8; i++, l = Math.floor(l / 256)) words[0][i] = l % 256;
        for (let o = 0; o < msg.length; o += 16) {
          const w = new Uint8Array(16);
          w.set(msg.subarray(o, o + 16));
          words.push(w);
        }
        expect(messageTag(key, msg)).toEqual(hash(key.subarray(0, 16), key.subarray(16), words));
      }),
    );
  });

  it('tells apart messages that differ only by trailing zero bytes', () => {
    const key = new Uint8Array(32).fill(7);
    expect(messageTag(key, new Uint8Array([1, 2]))).not.toEqual(messageTag(key, new Uint8Array([1, 2, 0])));
  });

  it('signFrame / verifyFrame: any flipped bit fails', () => {
    fc.assert(
      fc.property(KEY, fc.uint8Array({ minLength: 17, maxLength: 80 }), fc.nat(), (key, raw, bit) => {
        const frame = signFrame(key, raw.slice());
        expect(verifyFrame(key, frame)).toBe(true);
        const b = bit % (frame.length * 8);
        frame[b >> 3] ^= 1 << (b & 7);
        expect(verifyFrame(key, frame)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
