// The inner loops of the SP 800-90B continuous tests (§4.4.1 Repetition Count, §4.4.2 Adaptive
// Proportion) over raw samples. No allocation per sample, no closures in the loops.
//
// Two implementations of the same tests:
// - scanBytesScalar / scanBits: the reference, one sample at a time, exactly as §4.4 states them.
// - scanBytes: for byte samples, a word-at-a-time path over whole APT windows that the OS source runs
//   at several GB/s, falling back to the reference wherever a cheap filter sees a possible failure.
//   A property test holds it to the reference: same failure, same sample, same test.
//
// Word-path filters, both exact in what they pass:
// - RCT: a run of ≥ 5 equal bytes always covers bytes 1 and 2 of some aligned 4-byte word (any five
//   consecutive positions contain a pair 4t+1, 4t+2). So only words whose two middle bytes are equal
//   (1 in 256 for good data) need a look; that look measures the whole run. Needs cutoff ≥ 5.
// - APT: the classic zero-byte test over (word XOR window-value·0x01010101) flags every true match and
//   can only over-flag, so its count bounds the window's count from above; a window whose bound
//   reaches the cutoff is recounted exactly.

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

/** Byte samples, the whole chunk: the word path where it applies, the reference elsewhere. */
export function scanBytes(s: ScanState, buf: Uint8Array, rctC: number, aptC: number, w: number): number {
  const n = buf.length;
  if (rctC < 5 || (w & 7) !== 0) return scanBytesScalar(s, buf, 0, n, rctC, aptC, w);
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
    // The word path needs a fresh run at its start, so that every run inside it starts inside it.
    if (aligned && buf[i] !== s.rv) {
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
