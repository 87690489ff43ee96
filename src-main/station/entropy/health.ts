// The per-source SP 800-90B health monitor over raw samples, before conditioning (§4.3, §4.4).
//
// - Start-up: on every open, the first ≥ 1024 samples (whole APT windows) run through both tests and
//   are then discarded, never output.
// - Continuous: RCT and APT over every sample after that.
// - Release: bytes leave the monitor only in whole APT windows that passed, and only once C_RCT − 1
//   further samples have passed too. So no byte that belongs to a failing window, or to a run that later
//   reaches the RCT cutoff, is ever released: a failure drops the window in flight, the windows not yet
//   released, and the rest of the chunk.
// - A failure latches FAILED (with the test, sample index and cutoff) until acknowledge().
import { healthParameters, type HealthParameters } from './cutoffs';
import { scanBits, scanBytes, scanScratch, ScanState } from './scan';

export type HealthState = 'idle' | 'start-up' | 'running' | 'failed';
export type HealthTest = 'rct' | 'apt' | 'source';

export interface HealthFailure {
  readonly test: HealthTest;
  /** 'rct', 'apt', or the source's error code ('unplugged', 'stalled', …). */
  readonly code: string;
  readonly reason: string;
  readonly phase: 'start-up' | 'continuous';
  /** Samples since the last open at which the test fired (for a source error: samples tested so far). */
  readonly sampleIndex: number;
  /** First sample of the APT window the failure fell in. */
  readonly windowStartSample: number;
  readonly cutoff?: number;
  /** Bytes tested since the last release and dropped with this failure. */
  readonly droppedBytes: number;
  /** Bytes released since the last open: all of them from windows that passed. */
  readonly releasedBytes: number;
}

export interface FeedResult {
  /** Views of raw bytes from passing windows, in order. They alias the chunk fed in. */
  readonly released: readonly Uint8Array[];
  readonly failure?: HealthFailure;
  /** True on the feed that completed the start-up test. */
  readonly startupPassed?: boolean;
}

export interface HealthStats {
  readonly state: HealthState;
  readonly samplesTested: number;
  readonly bytesReleased: number;
  readonly bytesDiscardedAtStartup: number;
  readonly bytesDropped: number;
  readonly opens: number;
  readonly failures: number;
}

const EMPTY: readonly Uint8Array[] = [];
/** Size of the in-place raw buffer: the pipeline's default largest read. */
const RAW_BUFFER = 1 << 20;

export class HealthMonitor {
  readonly params: HealthParameters;
  private readonly scan = new ScanState();
  private st: HealthState = 'idle';
  private latched: HealthFailure | undefined;
  /** Samples tested since the last open. */
  private tested = 0;
  /** Tested, unreleased bytes, and the stream offset (bytes since open) of pending[0]. */
  private pending: Uint8Array = new Uint8Array(0);
  private pendingStart = 0;
  private releasedSinceOpen = 0;
  /** Where a source's raw bytes can land to be scanned in place (scanScratch); null where there is none. */
  private scratch: Uint8Array | null | undefined;
  private totals = { samplesTested: 0, bytesReleased: 0, bytesDiscardedAtStartup: 0, bytesDropped: 0, opens: 0, failures: 0 };

  constructor(sampleBits: 1 | 8, claimedMinEntropyPerSample: number, alpha?: number) {
    this.params = healthParameters(sampleBits, claimedMinEntropyPerSample, alpha);
    if (this.params.aptCutoff < 2 || this.params.rctCutoff < 2) throw new RangeError('cutoffs below 2 cannot pass any data');
  }

  get state(): HealthState {
    return this.st;
  }

  get failure(): HealthFailure | undefined {
    return this.latched;
  }

  /** Bytes tested and held back (the window in flight and the RCT look-ahead), released by later feeds. */
  get pendingBytes(): number {
    return this.pending.length;
  }

  /** Called on every open of the source: a fresh start-up test before any output. */
  start(): void {
    if (this.st === 'failed') throw new Error('The source is latched FAILED: acknowledge() first.');
    Object.assign(this.scan, new ScanState());
    this.tested = 0;
    this.wipePending();
    this.pendingStart = 0;
    this.releasedSinceOpen = 0;
    this.st = 'start-up';
    this.totals.opens++;
  }

  /**
   * A buffer for the next `n` raw bytes to feed(), which the tests then scan where they lie (no copy);
   * undefined where that is not possible (binary samples, n above 1 MiB, no WebAssembly SIMD). Each
   * call returns the same memory: what feed() released from it must be used before the next read.
   */
  rawBuffer(n: number): Uint8Array | undefined {
    if (this.params.sampleBits !== 8) return undefined;
    if (this.scratch === undefined) this.scratch = scanScratch(RAW_BUFFER) ?? null;
    return this.scratch && n <= this.scratch.length ? this.scratch.subarray(0, n) : undefined;
  }

  /** Tests a chunk of raw bytes. The monitor owns the chunk from here on (it zeroes what it drops). */
  feed(chunk: Uint8Array): FeedResult {
    if (this.st === 'failed') {
      chunk.fill(0);
      return { released: EMPTY, failure: this.latched as HealthFailure };
    }
    if (this.st === 'idle') throw new Error('HealthMonitor.feed before start()');
    const { sampleBits, rctCutoff, aptCutoff, aptWindow, startupSamples } = this.params;
    const r = sampleBits === 8 ? scanBytes(this.scan, chunk, rctCutoff, aptCutoff, aptWindow) : scanBits(this.scan, chunk, rctCutoff, aptCutoff, aptWindow);
    if (r >= 0) {
      const sampleIndex = this.tested + r;
      const rct = this.scan.failTest === 1;
      this.totals.samplesTested += r + 1;
      const dropped = this.pending.length + chunk.length;
      chunk.fill(0);
      return {
        released: EMPTY,
        failure: this.latch({
          test: rct ? 'rct' : 'apt',
          code: rct ? 'rct' : 'apt',
          reason: rct
            ? `Repetition Count Test: ${rctCutoff} identical samples in a row (cutoff ${rctCutoff}).`
            : `Adaptive Proportion Test: a value occurred ${aptCutoff} times in a window of ${aptWindow} (cutoff ${aptCutoff}).`,
          phase: sampleIndex < startupSamples ? 'start-up' : 'continuous',
          sampleIndex,
          windowStartSample: Math.floor(sampleIndex / aptWindow) * aptWindow,
          cutoff: rct ? rctCutoff : aptCutoff,
          droppedBytes: dropped,
          releasedBytes: this.releasedSinceOpen,
        }),
      };
    }
    const samples = chunk.length * (8 / sampleBits);
    this.tested += samples;
    this.totals.samplesTested += samples;
    let startupPassed = false;
    if (this.st === 'start-up' && this.tested >= startupSamples) {
      this.st = 'running';
      startupPassed = true;
    }
    const bytesPerWindow = (aptWindow * sampleBits) / 8;
    const frontier = Math.floor(Math.max(0, this.tested - (rctCutoff - 1)) / aptWindow) * bytesPerWindow;
    const testedBytes = this.pendingStart + this.pending.length + chunk.length;
    if (frontier <= this.pendingStart) {
      this.pending = concat(this.pending, chunk, 0);
      return startupPassed ? { released: EMPTY, startupPassed } : { released: EMPTY };
    }
    const startupBytes = (startupSamples * sampleBits) / 8;
    const releaseFrom = Math.max(this.pendingStart, Math.min(startupBytes, frontier));
    // Start-up samples: tested, then discarded.
    if (releaseFrom > this.pendingStart) {
      for (const v of this.range(chunk, this.pendingStart, releaseFrom)) v.fill(0);
      this.totals.bytesDiscardedAtStartup += releaseFrom - this.pendingStart;
    }
    const released = this.range(chunk, releaseFrom, frontier);
    this.releasedSinceOpen += frontier - releaseFrom;
    this.totals.bytesReleased += frontier - releaseFrom;
    const chunkStart = testedBytes - chunk.length;
    // What stays pending is [frontier, testedBytes): a tail of pending (rare) and of the chunk.
    const keepPending = frontier < chunkStart ? this.pending.subarray(frontier - this.pendingStart) : new Uint8Array(0);
    this.pending = concat(keepPending, chunk, Math.max(0, frontier - chunkStart));
    this.pendingStart = frontier;
    return startupPassed ? { released, startupPassed } : { released };
  }

  /** A source error (unplugged, stalled, …): latch FAILED and drop everything not yet released. */
  fail(code: string, reason: string): HealthFailure {
    if (this.latched) return this.latched;
    const { aptWindow, startupSamples } = this.params;
    return this.latch({
      test: 'source',
      code,
      reason,
      phase: this.tested < startupSamples ? 'start-up' : 'continuous',
      sampleIndex: this.tested,
      windowStartSample: Math.floor(this.tested / aptWindow) * aptWindow,
      droppedBytes: this.pending.length,
      releasedBytes: this.releasedSinceOpen,
    });
  }

  /** The operator's acknowledgement: clears the latch; the next start() runs a fresh start-up test. */
  acknowledge(): void {
    if (this.st !== 'failed') return;
    this.latched = undefined;
    this.st = 'idle';
  }

  stats(): HealthStats {
    return { state: this.st, ...this.totals };
  }

  private latch(f: HealthFailure): HealthFailure {
    this.totals.bytesDropped += f.droppedBytes;
    this.totals.failures++;
    this.wipePending();
    this.latched = f;
    this.st = 'failed';
    return f;
  }

  private wipePending(): void {
    this.pending.fill(0);
    this.pending = new Uint8Array(0);
  }

  /** Views of stream bytes [from, to) across pending and the current chunk. */
  private range(chunk: Uint8Array, from: number, to: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (to <= from) return out;
    const pendEnd = this.pendingStart + this.pending.length;
    if (from < pendEnd) out.push(this.pending.subarray(from - this.pendingStart, Math.min(to, pendEnd) - this.pendingStart));
    if (to > pendEnd) out.push(chunk.subarray(Math.max(from, pendEnd) - pendEnd, to - pendEnd));
    return out;
  }
}

/** A fresh array holding a and b[bFrom..]. */
function concat(a: Uint8Array, b: Uint8Array, bFrom: number): Uint8Array {
  const out = new Uint8Array(a.length + b.length - bFrom);
  out.set(a, 0);
  out.set(b.subarray(bFrom), a.length);
  return out;
}
