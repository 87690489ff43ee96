// The word-at-a-time scan is an optimisation of the reference §4.4 tests, never a different test: on any
// input, any chunking and any alignment it reports the same first failure (sample and test) and
// carries the same state.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanBytes, scanBytesScalar, ScanState } from '../../src-main/station/entropy/scan';
import { keystream } from './helpers/bytes';

type Seg = { kind: 'random'; n: number; seed: number } | { kind: 'run'; n: number; v: number } | { kind: 'period'; n: number; p: number[] } | { kind: 'heavy'; n: number; v: number; every: number; seed: number };

const seg: fc.Arbitrary<Seg> = fc.oneof(
  fc.record({ kind: fc.constant('random' as const), n: fc.integer({ min: 1, max: 3000 }), seed: fc.nat() }),
  fc.record({ kind: fc.constant('run' as const), n: fc.integer({ min: 1, max: 12 }), v: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('period' as const), n: fc.integer({ min: 1, max: 600 }), p: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('heavy' as const), n: fc.integer({ min: 1, max: 1200 }), v: fc.integer({ min: 0, max: 255 }), every: fc.integer({ min: 2, max: 40 }), seed: fc.nat() }),
);

function render(segs: Seg[]): Uint8Array {
  const parts = segs.map((s) => {
    if (s.kind === 'random') return keystream(`seg${s.seed}`, s.n);
    if (s.kind === 'run') return new Uint8Array(s.n).fill(s.v);
    if (s.kind === 'period') return Uint8Array.from({ length: s.n }, (_, i) => s.p[i % s.p.length] as number);
    const r = keystream(`heavy${s.seed}`, s.n);
    for (let i = 0; i < s.n; i += s.every) r[i] = s.v;
    return r;
  });
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) (out.set(p, off), (off += p.length));
  return out;
}

/** A copy of `data` at byte offset `shift` inside a larger buffer, to vary word alignment. */
function at(data: Uint8Array, shift: number): Uint8Array {
  const b = new Uint8Array(data.length + 8);
  b.set(data, shift);
  return b.subarray(shift, shift + data.length);
}

function sameState(a: ScanState, b: ScanState): void {
  expect([a.rv, a.rc, a.ap]).toEqual([b.rv, b.rc, b.ap]);
  if (a.ap !== 0) expect([a.av, a.ac]).toEqual([b.av, b.ac]);
}

describe('scan', () => {
  it('the word path finds the same first failure as the reference on arbitrary streams and chunkings', () => {
    fc.assert(
      fc.property(
        fc.array(seg, { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom(5, 6, 8),
        fc.integer({ min: 3, max: 24 }),
        fc.constantFrom(64, 512),
        (segs, cuts, shift, rctC, aptC, w) => {
          const data = render(segs);
          const fast = new ScanState();
          const ref = new ScanState();
          let off = 0;
          let k = 0;
          while (off < data.length) {
            const len = Math.min(data.length - off, (cuts[k++ % cuts.length] as number) * (k % 2 === 0 ? 4 : 1));
            const chunk = data.subarray(off, off + len);
            const r1 = scanBytes(fast, at(chunk, shift), rctC, aptC, w);
            const r2 = scanBytesScalar(ref, chunk, 0, chunk.length, rctC, aptC, w);
            expect(r1).toBe(r2);
            if (r2 >= 0) {
              expect(fast.failTest).toBe(ref.failTest);
              return;
            }
            sameState(fast, ref);
            off += len;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a run of C−1 equal bytes passes and the C-th equal byte fails the RCT, on the word path too', () => {
    for (const start of [600, 601, 602, 603, 1021, 1022, 1023]) {
      const data = keystream('rct-edge', 4096);
      for (let i = 0; i < 4096; i++) if (data[i] === 0x77) data[i] = 0x78;
      const pass = data.slice();
      pass.fill(0x77, start, start + 4);
      expect(scanBytes(new ScanState(), pass, 5, 16, 512)).toBe(-1);
      const fail = data.slice();
      fail.fill(0x77, start, start + 5);
      const s = new ScanState();
      expect(scanBytes(s, fail, 5, 16, 512)).toBe(start + 4);
      expect(s.failTest).toBe(1);
    }
  });

  it('the APT fails at the sample where the window’s first value reaches the cutoff', () => {
    const data = keystream('apt-edge', 2048);
    for (let i = 0; i < 2048; i++) if (data[i] === 0x33) data[i] = 0x34;
    // Window 2 starts at 1024 with 0x33; 15 more occurrences, spaced so that no run forms.
    data[1024] = 0x33;
    for (let k = 1; k <= 15; k++) data[1024 + 7 * k] = 0x33;
    const s = new ScanState();
    expect(scanBytes(s, data, 5, 16, 512)).toBe(1024 + 7 * 15);
    expect(s.failTest).toBe(2);
    data[1024 + 7 * 15] = 0x35;
    expect(scanBytes(new ScanState(), data, 5, 16, 512)).toBe(-1);
  });

  it('a run that straddles two chunks is counted across them', () => {
    const a = keystream('straddle', 1024);
    a.fill(0x10, 1021, 1024);
    const b = keystream('straddle-b', 1024);
    b.fill(0x10, 0, 2);
    const s = new ScanState();
    expect(scanBytes(s, a, 5, 16, 512)).toBe(-1);
    expect(scanBytes(s, b, 5, 16, 512)).toBe(1);
    expect(s.failTest).toBe(1);
  });
});
