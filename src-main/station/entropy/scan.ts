// The inner loops of the SP 800-90B continuous tests (§4.4.1 Repetition Count, §4.4.2 Adaptive
// Proportion) over raw samples. No allocation per sample, no closures in the loops.
//
// Two implementations of the same tests:
// - scanBytesScalar / scanBits: the reference, one sample at a time, exactly as §4.4 states them.
// - scanBytes: for byte samples, a fast path over whole APT windows that passes the windows a cheap
//   filter proves clean, and hands every other window to the reference. Property tests hold it to the
//   reference: same failure, same sample, same test, same state carried.
//
// The fast path, in WebAssembly with 128-bit SIMD (wasm.ts) where the runtime has it, over a copy of
// the bytes in the module's memory; both filters are exact in what they pass:
// - RCT: a failure needs a run of ≥ C equal bytes, C ≥ 5, inside the scanned bytes; every such run has
//   a start p with buf[p] = … = buf[p+4], tested 16 positions at a time. A window holding such a p is
//   handed to the reference, with the run state the clean windows before it leave.
// - APT: the window's count of its first value, counted exactly 16 bytes at a time; a window whose
//   count reaches the cutoff goes to the reference.
// Without WebAssembly, the word-at-a-time JavaScript path below does the same in 32-bit words:
// - RCT: a run of ≥ 5 equal bytes always covers bytes 1 and 2 of some aligned 4-byte word (any five
//   consecutive positions contain a pair 4t+1, 4t+2). So only words whose two middle bytes are equal
//   (1 in 256 for good data) need a look; that look measures the whole run. Needs cutoff ≥ 5.
// - APT: the classic zero-byte test over (word XOR window-value·0x01010101) flags every true match and
//   can only over-flag, so its count bounds the window's count from above; a window whose bound
//   reaches the cutoff is recounted exactly.
import { assemble, compile, i32, op, v128, type WasmInstance } from './wasm';

/** Continuous-test state; one per source, carried from chunk to chunk. */
export class ScanState {
  /** RCT: the value of the current run (-1: none yet) and its length. */
  rv = -1;
  rc = 0;
  /** APT: the window's first value, its count, and the position in the window. */
  av = -1;
  ac = 0;
  ap = 0;
  /** Set when a scan returns a failure: 1 = RCT, 2 = APT. */
  failTest: 0 | 1 | 2 = 0;
}

/** The reference over byte samples [from, to). Returns the index of the failing sample, or -1. */
export function scanBytesScalar(s: ScanState, buf: Uint8Array, from: number, to: number, rctC: number, aptC: number, w: number): number {
  let rv = s.rv;
  let rc = s.rc;
  let av = s.av;
  let ac = s.ac;
  let ap = s.ap;
  let fail = -1;
  let i = from;
  for (; i < to; i++) {
    const v = buf[i] as number;
    if (v === rv) {
      if (++rc >= rctC) {
        s.failTest = 1;
        fail = i;
        break;
      }
    } else {
      rv = v;
      rc = 1;
    }
    if (ap === 0) {
      av = v;
      ac = 1;
    } else if (v === av && ++ac >= aptC) {
      s.failTest = 2;
      fail = i;
      break;
    }
    if (++ap === w) ap = 0;
  }
  s.rv = rv;
  s.rc = rc;
  s.av = av;
  s.ac = ac;
  s.ap = ap;
  return fail;
}

/** The reference over binary samples packed MSB first. Returns the failing sample's index (bits), or -1. */
export function scanBits(s: ScanState, buf: Uint8Array, rctC: number, aptC: number, w: number): number {
  let rv = s.rv;
  let rc = s.rc;
  let av = s.av;
  let ac = s.ac;
  let ap = s.ap;
  let fail = -1;
  const n = buf.length;
  outer: for (let i = 0; i < n; i++) {
    const byte = buf[i] as number;
    for (let k = 7; k >= 0; k--) {
      const v = (byte >>> k) & 1;
      if (v === rv) {
        if (++rc >= rctC) {
          s.failTest = 1;
          fail = i * 8 + (7 - k);
          break outer;
        }
      } else {
        rv = v;
        rc = 1;
      }
      if (ap === 0) {
        av = v;
        ac = 1;
      } else if (v === av && ++ac >= aptC) {
        s.failTest = 2;
        fail = i * 8 + (7 - k);
        break outer;
      }
      if (++ap === w) ap = 0;
    }
  }
  s.rv = rv;
  s.rc = rc;
  s.av = av;
  s.ac = ac;
  s.ap = ap;
  return fail;
}

/**
 * Byte samples, the whole chunk: the fast path where it applies, the reference elsewhere. `path` picks
 * the fast path (tests hold each to the reference); by default the SIMD one where the runtime has it.
 */
export function scanBytes(s: ScanState, buf: Uint8Array, rctC: number, aptC: number, w: number, path: 'auto' | 'js-words' = 'auto'): number {
  const n = buf.length;
  const sc = path === 'auto' && rctC >= 5 && (w & 15) === 0 && w <= MAX_SIMD_WINDOW ? (resident.get(buf.buffer) ?? simdScanner()) : undefined;
  if (!sc && (rctC < 5 || (w & 7) !== 0)) return scanBytesScalar(s, buf, 0, n, rctC, aptC, w);
  let i = 0;
  if (s.ap !== 0) {
    const end = Math.min(n, w - s.ap);
    const r = scanBytesScalar(s, buf, 0, end, rctC, aptC, w);
    if (r >= 0) return r;
    i = end;
  }
  // At a window boundary. Windows stay 4-aligned in this buffer iff this one is (w is a multiple of 8).
  const aligned = ((buf.byteOffset + i) & 3) === 0;
  while (n - i >= w) {
    // The fast paths need a fresh run at their start, so that every run inside starts inside.
    if (sc && buf[i] !== s.rv) {
      i = simdWindows(sc, s, buf, i, i + Math.floor((n - i) / w) * w, w, aptC);
      if (n - i < w) break;
      // A window the filters did not clear: the reference takes it, with the state set for it.
    } else if (!sc && aligned && buf[i] !== s.rv) {
      const b = i + Math.floor((n - i) / w) * w;
      const r = scanWindows(s, buf, i, b, rctC, aptC, w);
      if (r >= 0) return r;
      i = b;
      break;
    }
    const r = scanBytesScalar(s, buf, i, i + w, rctC, aptC, w);
    if (r >= 0) return r;
    i += w;
  }
  return i < n ? scanBytesScalar(s, buf, i, n, rctC, aptC, w) : -1;
}

/** Largest APT window for the SIMD path: its per-lane counts (≤ w/16) must fit in a byte. */
const MAX_SIMD_WINDOW = 4080;
/** Bytes the SIMD path scans per call; the module's memory holds them and the look-ahead after them. */
const SIMD_PIECE = 1 << 20;
const LOOK_AHEAD = 16;

interface SimdScanner {
  readonly mem: Uint8Array;
  /** First window start in [a, b) (offsets in mem) that the filters do not clear, or b. */
  readonly flag: (a: number, b: number, w: number, aptC: number) => number;
}

/**
 * Whole windows [a, b) of buf, a fresh run at a: returns b when every window passed (the run state
 * then carried to b), or the start of the first window the filters did not clear, with the run state
 * that the windows before it leave (which all passed). The caller's reference takes it from there.
 */
function simdWindows(sc: SimdScanner, s: ScanState, buf: Uint8Array, a: number, b: number, w: number, aptC: number): number {
  let stop = b;
  if (buf.buffer === sc.mem.buffer) {
    // Already in the module's memory (scanScratch): scanned where it lies.
    stop = sc.flag(buf.byteOffset + a, buf.byteOffset + b, w, aptC) - buf.byteOffset;
  } else {
    const piece = Math.floor(SIMD_PIECE / w) * w;
    for (let i = a; i < b; i += piece) {
      const end = Math.min(b, i + piece);
      sc.mem.set(buf.subarray(i, Math.min(buf.length, end + LOOK_AHEAD)), 0);
      const f = sc.flag(0, end - i, w, aptC);
      if (f < end - i) {
        stop = i + f;
        break;
      }
    }
  }
  if (stop > a) {
    // The run that ends at stop-1 began at a at the earliest (a started a fresh one).
    const last = buf[stop - 1] as number;
    let rc = 1;
    while (stop - 1 - rc >= a && buf[stop - 1 - rc] === last) rc++;
    s.rv = last;
    s.rc = rc;
    s.ap = 0;
    s.ac = 0;
  }
  return stop;
}

let simd: SimdScanner | null | undefined;
let scanModule: { instance(): WasmInstance } | null | undefined;
/** Memories handed out by scanScratch(), each with the scanner that owns it. */
const resident = new WeakMap<ArrayBufferLike, SimdScanner>();

/**
 * A buffer for up to `n` raw byte samples (n ≤ 1 MiB) inside a scanner's own memory, so that scanBytes
 * scans them where they lie instead of copying them in; one per source. Undefined without SIMD.
 */
export function scanScratch(n: number): Uint8Array | undefined {
  if (n > SIMD_PIECE || !simdScanner()) return undefined;
  const sc = newSimdScanner();
  if (!sc) return undefined;
  resident.set(sc.mem.buffer, sc);
  return sc.mem.subarray(0, n);
}

/** Which fast path scanBytes takes here: WebAssembly SIMD, or 32-bit words in JavaScript. */
export function fastScanPath(): 'wasm-simd' | 'js-words' {
  return simdScanner() ? 'wasm-simd' : 'js-words';
}

/** The SIMD filters, built on first use and checked against known windows; undefined without SIMD. */
function simdScanner(): SimdScanner | undefined {
  if (simd === undefined) simd = newSimdScanner() ?? null;
  return simd ?? undefined;
}

/** A fresh instance of the module (its own memory), self-tested. */
function newSimdScanner(): SimdScanner | undefined {
  if (scanModule === undefined) scanModule = compile(buildScanModule()) ?? null;
  if (!scanModule) return undefined;
  let instance: WasmInstance;
  try {
    instance = scanModule.instance();
  } catch {
    return undefined;
  }
  const sc: SimdScanner = {
    mem: instance.memory,
    flag: instance.exports.flag as (a: number, b: number, w: number, aptC: number) => number,
  };
  return selfTest(sc) ? sc : undefined;
}

function buildScanModule(): Uint8Array {
  const [a, b, w, aptC, ws, i, end, pat, acc, rct, v0, v1, v2, v3, v4] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
  const eq = (x: number, y: number): number[] => [...op.get(x), ...op.get(y), ...op.i8x16Eq()];
  const body = [
    ...op.get(a), ...op.set(ws),
    ...op.block(),
    ...op.loop(), // each window [ws, ws + w)
    ...op.get(ws), ...op.get(b), ...op.i32GeU(), ...op.brIf(1),
    ...op.get(ws), ...op.v128Load8Splat(), ...op.set(pat),
    ...op.v128Zero(), ...op.tee(acc), ...op.set(rct),
    ...op.get(ws), ...op.set(i),
    ...op.get(ws), ...op.get(w), ...op.i32Add(), ...op.set(end),
    ...op.loop(), // each 16 bytes [i, i + 16)
    ...op.get(i), ...op.v128Load(0), ...op.set(v0),
    ...op.get(i), ...op.v128Load(1), ...op.set(v1),
    ...op.get(i), ...op.v128Load(2), ...op.set(v2),
    ...op.get(i), ...op.v128Load(3), ...op.set(v3),
    ...op.get(i), ...op.v128Load(4), ...op.set(v4),
    // APT: each lane of acc counts the bytes equal to the window's first (eq gives -1 per match).
    ...op.get(acc), ...eq(v0, pat), ...op.i8x16Sub(), ...op.set(acc),
    // RCT: a lane of rct is set where buf[p] = buf[p+1] = … = buf[p+4].
    ...op.get(rct), ...eq(v0, v1), ...eq(v1, v2), ...op.v128And(), ...eq(v2, v3), ...op.v128And(), ...eq(v3, v4), ...op.v128And(), ...op.v128Or(), ...op.set(rct),
    ...op.get(i), ...op.i32Const(16), ...op.i32Add(), ...op.tee(i), ...op.get(end), ...op.i32LtU(), ...op.brIf(0),
    ...op.end(),
    ...op.get(rct), ...op.v128AnyTrue(), ...op.if(), ...op.get(ws), ...op.return(), ...op.end(),
    ...op.get(acc), ...op.i16x8ExtaddPairwiseI8x16U(), ...op.i32x4ExtaddPairwiseI16x8U(), ...op.set(acc),
    ...op.get(acc), ...op.i32x4ExtractLane(0), ...op.get(acc), ...op.i32x4ExtractLane(1), ...op.i32Add(),
    ...op.get(acc), ...op.i32x4ExtractLane(2), ...op.i32Add(), ...op.get(acc), ...op.i32x4ExtractLane(3), ...op.i32Add(),
    ...op.get(aptC), ...op.i32GeU(), ...op.if(), ...op.get(ws), ...op.return(), ...op.end(),
    ...op.get(ws), ...op.get(w), ...op.i32Add(), ...op.set(ws),
    ...op.br(0),
    ...op.end(),
    ...op.end(),
    ...op.get(b),
  ];
  const pages = Math.ceil((SIMD_PIECE + LOOK_AHEAD + 64) / 65536);
  return assemble(pages, [{ name: 'flag', params: [i32, i32, i32, i32], results: [i32], locals: [i32, i32, i32, v128, v128, v128, v128, v128, v128, v128, v128], body }]);
}

/** Known windows: clean ones pass; a run of five, and a count at the cutoff, are each flagged. */
function selfTest(sc: SimdScanner): boolean {
  const w = 64;
  // Every window holds 64 distinct values: each value's count is 1, and no two neighbours are equal.
  const clean = Uint8Array.from({ length: 3 * w }, (_, k) => k & 0xff);
  const flag = (aptC: number): number => sc.flag(0, 3 * w, w, aptC);
  sc.mem.fill(0, 0, 4 * w);
  sc.mem.set(clean, 0);
  const passes = flag(2) === 3 * w;
  sc.mem.fill(0x5a, w + 17, w + 21);
  const fourPass = flag(2) === 3 * w;
  sc.mem[w + 21] = 0x5a;
  const fiveFlagged = flag(2) === w;
  sc.mem.set(clean, 0);
  sc.mem[2 * w + 9] = clean[2 * w] as number;
  const belowCutoff = flag(3) === 3 * w;
  sc.mem[2 * w + 40] = clean[2 * w] as number;
  const atCutoff = flag(3) === 2 * w && flag(4) === 3 * w;
  sc.mem.fill(0, 0, 4 * w);
  return passes && fourPass && fiveFlagged && belowCutoff && atCutoff;
}

/** Whole windows [a, b), a 4-aligned, buf[a] not continuing the run before it. */
function scanWindows(s: ScanState, buf: Uint8Array, a: number, b: number, rctC: number, aptC: number, w: number): number {
  const words = new Uint32Array(buf.buffer, buf.byteOffset + a, (b - a) >>> 2);
  const ww = w >>> 2;
  const nw = words.length;
  for (let ws = 0; ws < nw; ws += ww) {
    const base = a + (ws << 2);
    const pat = Math.imul(buf[base] as number, 0x01010101);
    let acc = 0;
    const end = ws + ww;
    for (let j = ws; j < end; j += 2) {
      const x = words[j] as number;
      const y = words[j + 1] as number;
      if (((x ^ (x >>> 8)) & 0xff00) === 0 || ((y ^ (y >>> 8)) & 0xff00) === 0) {
        let r = ((x ^ (x >>> 8)) & 0xff00) === 0 ? rctRun(buf, a, b, a + (j << 2) + 1, rctC) : -1;
        if (r < 0 && ((y ^ (y >>> 8)) & 0xff00) === 0) r = rctRun(buf, a, b, a + (j << 2) + 5, rctC);
        if (r >= 0) return firstFailure(s, buf, base, r, aptC, w);
      }
      const p = x ^ pat;
      const q = y ^ pat;
      acc += (((p - 0x01010101) & ~p & 0x80808080) >>> 7) + (((q - 0x01010101) & ~q & 0x80808080) >>> 7);
    }
    // Each byte lane of acc counts at most w/4 ≤ 255 flags: no carries between lanes.
    const bound = (acc & 0xff) + ((acc >>> 8) & 0xff) + ((acc >>> 16) & 0xff) + (acc >>> 24);
    if (bound >= aptC) {
      const p = aptExact(buf, base, w, aptC);
      if (p >= 0) {
        s.failTest = 2;
        return p;
      }
    }
  }
  // Carry the RCT run that ends at b-1 (shorter than the cutoff, or it would have failed above).
  const last = buf[b - 1] as number;
  let rc = 1;
  while (b - 1 - rc >= a && buf[b - 1 - rc] === last) rc++;
  s.rv = last;
  s.rc = rc;
  s.ap = 0;
  s.ac = 0;
  return -1;
}

/** The run through buf[t] == buf[t+1], within [a, b): the index where it reaches the cutoff, or -1. */
function rctRun(buf: Uint8Array, a: number, b: number, t: number, rctC: number): number {
  const v = buf[t] as number;
  if (buf[t + 1] !== v) return -1;
  let start = t;
  while (start > a && buf[start - 1] === v) start--;
  const hit = start + rctC - 1;
  let e = t + 1;
  while (e < hit && e + 1 < b && buf[e + 1] === v) e++;
  return e >= hit ? hit : -1;
}

/** The first failing sample given an RCT failure at r: an APT failure earlier in its window(s) wins. */
function firstFailure(s: ScanState, buf: Uint8Array, base: number, r: number, aptC: number, w: number): number {
  for (let ws = base; ws <= r; ws += w) {
    const p = aptExact(buf, ws, Math.min(w, r - ws + 1), aptC);
    if (p >= 0 && p < r) {
      s.failTest = 2;
      return p;
    }
  }
  s.failTest = 1;
  return r;
}

/** §4.4.2 over one window (or its first `len` samples): where the first value's count reaches the cutoff. */
function aptExact(buf: Uint8Array, base: number, len: number, aptC: number): number {
  const av = buf[base];
  let c = 0;
  const end = base + len;
  for (let i = base; i < end; i++) {
    if (buf[i] === av && ++c >= aptC) return i;
  }
  return -1;
}
