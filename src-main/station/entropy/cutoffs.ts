// Cutoffs of the SP 800-90B continuous health tests (§4.4.1 RCT, §4.4.2 APT), computed from the
// false-positive probability α and the claimed min-entropy H per sample. Nothing here is a table lookup:
// the APT cutoff is CRITBINOM over the exact binomial distribution, summed in log space.

/** The station's default α: one false alarm per 2^30 samples at most (90B recommends 2^-20..2^-40). */
export const DEFAULT_ALPHA = 2 ** -30;
/** §4.3: the start-up test runs the continuous tests over at least 1024 consecutive samples. */
export const MIN_STARTUP_SAMPLES = 1024;

function checkAlpha(alpha: number): void {
  if (!Number.isFinite(alpha) || alpha <= 0 || alpha >= 0.5) throw new RangeError(`α must be in (0, 0.5), got ${String(alpha)}`);
}

function checkH(h: number, max = 8): void {
  if (!Number.isFinite(h) || h <= 0 || h > max) throw new RangeError(`H must be in (0, ${max}] bits per sample, got ${String(h)}`);
}

/** §4.4.1: C = 1 + ⌈−log2(α) / H⌉. A run of C identical samples fails. */
export function rctCutoff(alpha: number, h: number): number {
  checkAlpha(alpha);
  checkH(h);
  return 1 + Math.ceil(-Math.log2(alpha) / h);
}

/** §4.4.2: W = 1024 for binary samples, 512 otherwise. */
export function aptWindow(sampleBits: 1 | 8): 512 | 1024 {
  if (sampleBits === 1) return 1024;
  if (sampleBits === 8) return 512;
  throw new RangeError(`sampleBits must be 1 or 8, got ${String(sampleBits)}`);
}

function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/**
 * CRITBINOM(n, p, 1−α): the smallest k with P(X ≤ k) ≥ 1−α for X ~ Binomial(n, p), i.e. with
 * P(X > k) ≤ α. The upper tail is summed from k = n downwards in log space, so α down to 2^-1000 and
 * n up to 2^16 stay exact to double precision (no 1−α cancellation).
 */
export function critBinom(n: number, p: number, alpha: number): number {
  if (!Number.isSafeInteger(n) || n < 1 || n > 1 << 16) throw new RangeError(`n must be an integer in 1..65536, got ${String(n)}`);
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1), got ${String(p)}`);
  checkAlpha(alpha);
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  // log C(n, j) built up from j = 0; the running sum of logs keeps 1e-13 relative accuracy at n = 65536.
  const logPmf = new Float64Array(n + 1);
  let logChoose = 0;
  for (let j = 0; j <= n; j++) {
    logPmf[j] = logChoose + j * lp + (n - j) * lq;
    if (j < n) logChoose += Math.log(n - j) - Math.log(j + 1);
  }
  // A relative slack of 1e-12 lets exact ties (P(X > k) = α, e.g. n = 4, p = 1/2, α = 1/16) resolve as
  // CRITBINOM defines them despite rounding in the sum; the exact-arithmetic test holds it to that.
  const logAlpha = Math.log(alpha) + 1e-12;
  let tail = -Infinity; // log P(X > k), starting at k = n
  for (let k = n; k >= 0; k--) {
    if (tail > logAlpha) return k + 1;
    tail = logAddExp(tail, logPmf[k] as number);
  }
  return 0;
}

/** §4.4.2: C = 1 + CRITBINOM(W, 2^−H, 1−α). The window fails when its first value occurs C times. */
export function aptCutoff(alpha: number, h: number, w: number): number {
  checkH(h);
  if (!Number.isSafeInteger(w) || w < 2) throw new RangeError(`W must be an integer ≥ 2, got ${String(w)}`);
  return 1 + critBinom(w, 2 ** -h, alpha);
}

export interface HealthParameters {
  readonly alpha: number;
  readonly sampleBits: 1 | 8;
  readonly claimedMinEntropyPerSample: number;
  readonly rctCutoff: number;
  readonly aptCutoff: number;
  readonly aptWindow: number;
  /** Start-up samples: at least 1024 and whole APT windows. They are tested and discarded. */
  readonly startupSamples: number;
}

export function healthParameters(sampleBits: 1 | 8, claimedMinEntropyPerSample: number, alpha = DEFAULT_ALPHA): HealthParameters {
  checkH(claimedMinEntropyPerSample, sampleBits);
  const w = aptWindow(sampleBits);
  return {
    alpha,
    sampleBits,
    claimedMinEntropyPerSample,
    rctCutoff: rctCutoff(alpha, claimedMinEntropyPerSample),
    aptCutoff: aptCutoff(alpha, claimedMinEntropyPerSample, w),
    aptWindow: w,
    startupSamples: Math.ceil(MIN_STARTUP_SAMPLES / w) * w,
  };
}
