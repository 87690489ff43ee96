// Both fast paths of scanBytes are optimisations of the reference §4.4 tests, never different tests
// (scan.test.ts holds the default one to the reference): here the JavaScript word path, kept for
// runtimes without WebAssembly SIMD, gets the same property; the SIMD path meets failures placed at
// the edges of its 1 MiB pieces and of its look-ahead, where a copy into its memory could miss them;
// and bytes that already lie in a scanner's memory (scanScratch) are scanned there, stale bytes after
// them notwithstanding.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastScanPath, scanBytes, scanBytesScalar, scanScratch, ScanState } from '../../src-main/station/entropy/scan';
import { keystream } from './helpers/bytes';

type Seg = { kind: 'random'; n: number; seed: number } | { kind: 'run'; n: number; v: number } | { kind: 'heavy'; n: number; v: number; every: number; seed: number };

const seg: fc.Arbitrary<Seg> = fc.oneof(
  fc.record({ kind: fc.constant('random' as const), n: fc.integer({ min: 1, max: 3000 }), seed: fc.nat() }),
  fc.record({ kind: fc.constant('run' as const), n: fc.integer({ min: 1, max: 12 }), v: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('heavy' as const), n: fc.integer({ min: 1, max: 1200 }), v: fc.integer({ min: 0, max: 255 }), every: fc.integer({ min: 2, max: 40 }), seed: fc.nat() }),
);

function render(segs: Seg[]): Uint8Array {
  const parts = segs.map((s) => {
    if (s.kind === 'random') return keystream(`seg${s.seed}`, s.n);
    if (s.kind === 'run') return new Uint8Array(s.n).fill(s.v);
    const r = keystream(`heavy${s.seed}`, s.n);
    for (let i = 0; i < s.n; i += s.every) r[i] = s.v;
    return r;
  });
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) (out.set(p, off), (off += p.length));
  return out;
}

/** Scans data in the given chunk lengths with `path` and with the reference; both must agree throughout. */
function agree(data: Uint8Array, cuts: readonly number[], shift: number, rctC: number, aptC: number, w: number, path: 'auto' | 'js-words'): void {
  const fast = new ScanState();
  const ref = new ScanState();
  let off = 0;
  let k = 0;
  while (off < data.length) {
    const len = Math.min(data.length - off, cuts[k++ % cuts.length] as number);
    const chunk = data.subarray(off, off + len);
    const shifted = new Uint8Array(len + 8);
    shifted.set(chunk, shift);
    const r1 = scanBytes(fast, shifted.subarray(shift, shift + len), rctC, aptC, w, path);
    const r2 = scanBytesScalar(ref, chunk, 0, chunk.length, rctC, aptC, w);
    expect(r1).toBe(r2);
    if (r2 >= 0) {
      expect(fast.failTest).toBe(ref.failTest);
      return;
    }
    expect([fast.rv, fast.rc, fast.ap]).toEqual([ref.rv, ref.rc, ref.ap]);
    if (fast.ap !== 0) expect([fast.av, fast.ac]).toEqual([ref.av, ref.ac]);
    off += len;
  }
}

describe('scan fast paths', () => {
  it('takes the WebAssembly SIMD path on this runtime', () => {
    expect(fastScanPath()).toBe('wasm-simd');
  });

  it('the JavaScript word path finds the same first failure as the reference', () => {
    fc.assert(
      fc.property(
        fc.array(seg, { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 20000 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom(5, 6, 8),
        fc.integer({ min: 3, max: 24 }),
        fc.constantFrom(64, 512),
        (segs, cuts, shift, rctC, aptC, w) => agree(render(segs), cuts, shift, rctC, aptC, w, 'js-words'),
      ),
      { numRuns: 300 },
    );
  });

  it('bytes in a scanner\'s own memory are scanned in place, as the reference scans them', () => {
    const scratch = scanScratch(1 << 20)!;
    expect(scratch).toBeDefined();
    fc.assert(
      fc.property(
        fc.array(seg, { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 20000 }), { minLength: 1, maxLength: 6 }),
        fc.constantFrom(5, 6),
        fc.integer({ min: 3, max: 24 }),
        fc.constantFrom(64, 512),
        fc.integer({ min: 0, max: 255 }),
        (segs, cuts, rctC, aptC, w, stale) => {
          const data = render(segs);
          const fast = new ScanState();
          const ref = new ScanState();
          let off = 0;
          let k = 0;
          while (off < data.length) {
            const len = Math.min(data.length - off, cuts[k++ % cuts.length] as number);
            const chunk = data.subarray(off, off + len);
            // What lies after the chunk is left from before: a run that only it would complete.
            scratch.fill(stale, 0, Math.min(scratch.length, len + 64));
            scratch.set(chunk, 0);
            const r1 = scanBytes(fast, scratch.subarray(0, len), rctC, aptC, w);
            const r2 = scanBytesScalar(ref, chunk, 0, len, rctC, aptC, w);
            expect(r1).toBe(r2);
            if (r2 >= 0) {
              expect(fast.failTest).toBe(ref.failTest);
              return;
            }
            expect([fast.rv, fast.rc, fast.ap]).toEqual([ref.rv, ref.rc, ref.ap]);
            off += len;
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the SIMD path agrees with the reference on failures at its 1 MiB piece edges and in its look-ahead', () => {
    const MiB = 1 << 20;
    const base = keystream('simd-edges', 3 * MiB + 4096);
    // Placements around the piece boundary (1 MiB from the start of the first whole window) and the chunk end.
    for (const at of [MiB - 7, MiB - 5, MiB - 4, MiB - 1, MiB, MiB + 3, 2 * MiB - 3, 3 * MiB - 2]) {
      for (const rctC of [5, 6]) {
        const run = base.slice();
        run.fill(0xc3, at, at + rctC);
        for (const cut of [3 * MiB + 4096, MiB + 100, 2 * MiB - 1]) agree(run, [cut], 0, rctC, 64, 512, 'auto');
        // One short of the cutoff passes, across the edge too.
        const short = base.slice();
        short.fill(0xc3, at, at + rctC - 1);
        agree(short, [3 * MiB + 4096], 0, rctC, 64, 512, 'auto');
      }
      const apt = base.slice();
      const ws = Math.floor(at / 512) * 512;
      for (let k = 0; k < 20; k++) apt[ws + 1 + 25 * k] = apt[ws] as number;
      agree(apt, [3 * MiB + 4096], 1, 6, 16, 512, 'auto');
    }
  });
});
