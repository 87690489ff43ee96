// The entropy pipeline: each source → SP 800-90B health monitor → conditioner; the sources' outputs are
// XORed (they are independent and separately tested, so the XOR has at least the min-entropy of the
// best one). read(n) yields exactly n conditioned bytes or throws EntropyFailure; a failing source is
// latched FAILED, everything it produced since its last released window is dropped, and an event goes
// to onEvent (the caller turns it into a ledger entry). The operator's acknowledge() re-arms it.
// A source that cannot be opened at all (absent, busy, not a device) produced nothing to contain: it is
// not latched and no event is sent; the read rejects with SourceUnavailable (issue S4).
// PSRD never becomes a string here: events, errors and stats carry counts and provenance, never bytes.
import { createSource, EntropySourceError, type CreateSourceOptions, type EntropySource, type EntropySourceErrorCode, type SourceProvenance } from '../../../hardware/entropy';
import { conditionerFor, type Conditioner, type ConditionerDescription } from './conditioner';
import { DEFAULT_ALPHA, type HealthParameters } from './cutoffs';
import { HealthMonitor, type HealthFailure, type HealthState } from './health';

export interface PipelineSource {
  /** Defaults to the source's spec string. */
  readonly id?: string;
  readonly source: EntropySource;
  /** Overrides the pipeline's α for this source. */
  readonly alpha?: number;
}

export interface EntropyFailureInfo extends HealthFailure {
  readonly sourceId: string;
  readonly source: SourceProvenance;
  /** ISO time of detection. */
  readonly at: string;
}

export type EntropyEvent =
  | { readonly type: 'source-opened'; readonly sourceId: string; readonly source: SourceProvenance; readonly warnings: readonly string[] }
  | { readonly type: 'startup-passed'; readonly sourceId: string; readonly samples: number }
  | { readonly type: 'warning'; readonly sourceId: string; readonly message: string }
  | { readonly type: 'source-failed'; readonly failure: EntropyFailureInfo }
  | { readonly type: 'acknowledged'; readonly sourceId: string; readonly operator: string; readonly failure: EntropyFailureInfo }
  | { readonly type: 'stats'; readonly stats: readonly SourceStats[] };

export class EntropyFailure extends Error {
  override readonly name = 'EntropyFailure';
  constructor(
    readonly info: EntropyFailureInfo,
    /** True when the source had already failed before this read (it awaits acknowledgement). */
    readonly latched: boolean,
  ) {
    super(`Entropy source ${info.sourceId} ${latched ? 'is latched FAILED' : 'failed'}: ${info.reason}`);
  }
  get sourceId(): string {
    return this.info.sourceId;
  }
  get test(): HealthFailure['test'] {
    return this.info.test;
  }
  get code(): string {
    return this.info.code;
  }
}

/**
 * A source could not be opened (not connected, busy, refused, not a device). Nothing was read from it,
 * so nothing is latched and no failure event is sent: once the cause is fixed, the next open just works.
 * `code` is the driver's EntropySourceError code; `reason` is the driver's technical text, for logs only.
 */
export class SourceUnavailable extends Error {
  override readonly name = 'SourceUnavailable';
  constructor(
    readonly sourceId: string,
    readonly source: SourceProvenance,
    readonly code: EntropySourceErrorCode,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Entropy source ${sourceId} cannot be opened: ${reason}`, options);
  }
}

export interface SourceStats {
  readonly id: string;
  readonly label: string;
  readonly kind: SourceProvenance['kind'];
  readonly state: HealthState;
  readonly samplesTested: number;
  readonly bytesRead: number;
  /** Raw bytes from passing windows handed to the conditioner. */
  readonly bytesReleased: number;
  readonly bytesDiscardedAtStartup: number;
  readonly bytesDropped: number;
  /** Conditioned bytes that went into read() results. */
  readonly bytesOutput: number;
  readonly opens: number;
  readonly failures: number;
  readonly failure?: EntropyFailureInfo;
}

export interface SourceRecord extends SourceProvenance {
  readonly id: string;
  readonly computational: boolean;
  readonly sampleBits: 1 | 8;
  readonly claimedMinEntropyPerSample: number;
  readonly health: HealthParameters;
  readonly conditioner: ConditionerDescription;
}

/** What a pool segment records about its entropy. */
export interface EntropyProvenance {
  /** 'computational' when every source is a DRBG; XOR with one full-entropy source lifts it. */
  readonly label: 'computational' | 'information-theoretic';
  readonly combiner: 'single' | 'xor';
  readonly healthTests: string;
  readonly sources: readonly SourceRecord[];
}

export interface EntropyPipelineOptions {
  /** SP 800-90B false-positive probability per test; default 2^-30. */
  readonly alpha?: number;
  /** Awaited before read() goes on; if it throws, read() rejects with that error. */
  readonly onEvent?: (event: EntropyEvent) => void | Promise<void>;
  /** Largest raw read per source call; default 1 MiB. */
  readonly maxChunkBytes?: number;
  /** Watchdog over any source call (open, read); default 10 s. Drivers have their own shorter timeouts. */
  readonly watchdogMs?: number;
  readonly now?: () => Date;
}

const HEALTH_TESTS = 'SP 800-90B §4.4.1 Repetition Count and §4.4.2 Adaptive Proportion tests on raw samples; start-up test over ≥1024 samples on every open';
const MAX_READ = 1 << 30;

class Aborted extends Error {}

interface Lane {
  readonly id: string;
  readonly source: EntropySource;
  readonly monitor: HealthMonitor;
  readonly conditioner: Conditioner;
  /** Raw bytes per output byte, for sizing reads. */
  readonly expansion: number;
  open: boolean;
  /** A reused raw buffer for sources with readInto (the raw chunk is consumed before the next read). */
  scratch: Uint8Array | undefined;
  /** The next read, issued while the last chunk is tested and conditioned (sources that return fresh buffers). */
  ahead: Promise<Uint8Array> | undefined;
  surplus: Uint8Array[];
  bytesRead: number;
  bytesOutput: number;
  failure: EntropyFailureInfo | undefined;
}

export class EntropyPipeline {
  private readonly lanes: Lane[];
  private readonly onEvent: EntropyPipelineOptions['onEvent'];
  private readonly maxChunk: number;
  private readonly watchdogMs: number;
  private readonly now: () => Date;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(sources: readonly (EntropySource | PipelineSource)[], options: EntropyPipelineOptions = {}) {
    if (sources.length === 0) throw new RangeError('An entropy pipeline needs at least one source.');
    this.onEvent = options.onEvent;
    this.maxChunk = options.maxChunkBytes ?? 1 << 20;
    this.watchdogMs = options.watchdogMs ?? 10_000;
    this.now = options.now ?? (() => new Date());
    if (!Number.isSafeInteger(this.maxChunk) || this.maxChunk < 4096) throw new RangeError('maxChunkBytes must be an integer ≥ 4096.');
    const ids = new Set<string>();
    const specs = new Set<string>();
    this.lanes = sources.map((s) => {
      const entry: PipelineSource = 'source' in s ? s : { source: s };
      const source = entry.source;
      const id = entry.id ?? source.provenance.spec;
      if (ids.has(id)) throw new RangeError(`Two sources share the id ${id}.`);
      // The XOR bound needs independent sources: the same device twice is not two sources.
      if (specs.has(source.provenance.spec)) throw new RangeError(`The source ${source.provenance.spec} is configured twice.`);
      ids.add(id);
      specs.add(source.provenance.spec);
      const monitor = new HealthMonitor(source.sampleBits, source.claimedMinEntropyPerSample, entry.alpha ?? options.alpha ?? DEFAULT_ALPHA);
      const conditioner = conditionerFor(source);
      const d = conditioner.description;
      return { id, source, monitor, conditioner, expansion: d.inputBytesPerBlock / d.outputBytesPerBlock, open: false, scratch: undefined, ahead: undefined, surplus: [], bytesRead: 0, bytesOutput: 0, failure: undefined };
    });
  }

  /**
   * Builds the sources from spec strings (hardware/entropy/spec.ts); malformed specs throw
   * EntropySourceError('bad-spec'). `alphaFor` sets α per source, e.g. 2^-40 for a GB/s OS source, whose
   * false-alarm rate at 2^-30 (one per ~4 GiB of good data at H = 8) would stop long generations.
   */
  static fromSpecs(
    specs: readonly string[],
    options: EntropyPipelineOptions & {
      readonly source?: CreateSourceOptions | ((spec: string) => CreateSourceOptions);
      readonly alphaFor?: (spec: string) => number | undefined;
    } = {},
  ): EntropyPipeline {
    const sources = specs.map((spec): PipelineSource => {
      const source = createSource(spec, typeof options.source === 'function' ? options.source(spec) : options.source);
      const alpha = options.alphaFor?.(source.provenance.spec);
      return alpha === undefined ? { source } : { source, alpha };
    });
    return new EntropyPipeline(sources, options);
  }

  /** Exactly n conditioned bytes, or EntropyFailure. Calls are serialized. */
  async read(n: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(n) || n < 1 || n > MAX_READ) throw new RangeError(`read size must be an integer in 1..${MAX_READ}`);
    const out = new Uint8Array(n);
    await this.readInto(out);
    return out;
  }

  /**
   * Fills `target` with conditioned bytes, or throws EntropyFailure (target is then zeroed). Reusing one
   * target spares the page faults of a fresh large allocation per call: at GB/s they cost more than the tests.
   */
  readInto(target: Uint8Array): Promise<void> {
    if (!(target instanceof Uint8Array) || target.length < 1 || target.length > MAX_READ) return Promise.reject(new RangeError(`target must be a Uint8Array of 1..${MAX_READ} bytes`));
    return this.serialized(() => this.readNow(target));
  }

  /**
   * Opens every source not open yet, without reading, so that a caller learns before it starts that a
   * source is missing. A latched source rejects with EntropyFailure; one that cannot be opened with
   * SourceUnavailable (not latched). Reads open lazily too, so this is optional.
   */
  open(): Promise<void> {
    return this.serialized(async () => {
      for (const lane of this.lanes) if (lane.failure) throw new EntropyFailure(lane.failure, true);
      const results = await Promise.allSettled(this.lanes.map((lane) => this.ensureOpen(lane)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    });
  }

  /** The operator re-enables a FAILED source; its next use opens it afresh and repeats the start-up test. */
  acknowledge(sourceId: string, operator: string): Promise<boolean> {
    return this.serialized(async () => {
      const lane = this.lanes.find((l) => l.id === sourceId);
      if (!lane) throw new RangeError(`No source ${sourceId} in this pipeline.`);
      const failure = lane.failure;
      if (lane.monitor.state !== 'failed' || !failure) return false;
      lane.monitor.acknowledge();
      lane.failure = undefined;
      await this.emit({ type: 'acknowledged', sourceId, operator, failure });
      return true;
    });
  }

  /** What a segment records. Call it after the segment's reads: a serial source's USB identity is resolved at open. */
  provenance(): EntropyProvenance {
    const allComputational = this.lanes.every((l) => l.source.computational);
    return {
      label: allComputational ? 'computational' : 'information-theoretic',
      combiner: this.lanes.length > 1 ? 'xor' : 'single',
      healthTests: HEALTH_TESTS,
      sources: this.lanes.map((l) => ({
        ...l.source.provenance,
        id: l.id,
        computational: l.source.computational,
        sampleBits: l.source.sampleBits,
        claimedMinEntropyPerSample: l.source.claimedMinEntropyPerSample,
        health: l.monitor.params,
        conditioner: l.conditioner.description,
      })),
    };
  }

  stats(): readonly SourceStats[] {
    return this.lanes.map((l) => {
      const h = l.monitor.stats();
      const p = l.source.provenance;
      return {
        id: l.id,
        label: p.label,
        kind: p.kind,
        state: h.state,
        samplesTested: h.samplesTested,
        bytesRead: l.bytesRead,
        bytesReleased: h.bytesReleased,
        bytesDiscardedAtStartup: h.bytesDiscardedAtStartup,
        bytesDropped: h.bytesDropped,
        bytesOutput: l.bytesOutput,
        opens: h.opens,
        failures: h.failures,
        ...(l.failure ? { failure: l.failure } : {}),
      };
    });
  }

  close(): Promise<void> {
    return this.serialized(async () => {
      for (const lane of this.lanes) {
        this.dropSurplus(lane);
        this.dropAhead(lane);
        lane.conditioner.reset();
        if (lane.open) {
          lane.open = false;
          await lane.source.close().catch(() => undefined);
        }
      }
    });
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async readNow(out: Uint8Array): Promise<void> {
    for (const lane of this.lanes) if (lane.failure) throw new EntropyFailure(lane.failure, true);
    const n = out.length;
    const abort = { stop: false };
    const targets = this.lanes.map((_, i) => (i === 0 ? out : new Uint8Array(n)));
    const results = await Promise.allSettled(this.lanes.map((lane, i) => this.fill(lane, targets[i] as Uint8Array, abort)));
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
    if (rejected.length > 0) {
      // Sources that completed keep their output for the next read; the failed one's is dropped.
      results.forEach((r, i) => {
        if (r.status === 'fulfilled') this.lanes[i]?.surplus.unshift((targets[i] as Uint8Array).slice());
      });
      for (const t of targets) t.fill(0);
      // A latched failure (recorded by onEvent) is the more serious news than a source that did not open.
      throw rejected.find((e) => e instanceof EntropyFailure) ?? rejected.find((e) => !(e instanceof Aborted));
    }
    for (let i = 1; i < targets.length; i++) {
      xorInto(out, targets[i] as Uint8Array);
      (targets[i] as Uint8Array).fill(0);
    }
    for (const lane of this.lanes) lane.bytesOutput += n;
    await this.emit({ type: 'stats', stats: this.stats() });
  }

  private async fill(lane: Lane, target: Uint8Array, abort: { stop: boolean }): Promise<void> {
    const n = target.length;
    let off = this.takeSurplus(lane, target, 0);
    if (off === n) return;
    try {
      await this.ensureOpen(lane);
      while (off < n && !abort.stop) {
        let raw: Uint8Array;
        try {
          const reading = lane.ahead ?? this.readRaw(lane, this.chunkFor(lane, n - off));
          lane.ahead = undefined;
          raw = await this.watchdog(reading, `${lane.id} read`);
        } catch (e) {
          throw await this.failLane(lane, e);
        }
        if (raw.length === 0) throw await this.failLane(lane, new EntropySourceError('stalled', 'The source returned no bytes.', lane.source.provenance.spec));
        lane.bytesRead += raw.length;
        // Fed even when another source has failed meanwhile, so this one's samples stay consecutive.
        const res = lane.monitor.feed(raw);
        if (res.failure) throw await this.failLane(lane, res.failure);
        this.readAhead(lane, res.released, n - off);
        if (res.startupPassed) await this.emit({ type: 'startup-passed', sourceId: lane.id, samples: lane.monitor.params.startupSamples });
        for (const view of res.released) off = this.place(lane, lane.conditioner.push(view), target, off);
      }
    } catch (e) {
      if (e instanceof EntropyFailure || e instanceof SourceUnavailable) abort.stop = true;
      throw e;
    }
    if (off < n) {
      // Another source failed: keep this one's good output for the next read.
      lane.surplus.unshift(target.slice(0, off));
      throw new Aborted();
    }
  }

  /**
   * For a source that returns a fresh buffer per read (a device: serial, USB, a device file), issues the
   * next read once the chunk just read has passed the health tests and before it is conditioned, so that
   * the device is read while this thread conditions; but only when that read is certain to be needed:
   * even if all that was released and all the monitor holds back came out, the target would not be full.
   * The reads, their order and what the health tests see are the same as without it; only their timing
   * moves.
   */
  private readAhead(lane: Lane, released: readonly Uint8Array[], remainingOut: number): void {
    if (lane.source.readInto) return;
    // At most this much output can come of it (one more block for what the conditioner holds).
    const raw = released.reduce((a, v) => a + v.length, lane.monitor.pendingBytes);
    const most = Math.ceil(raw / lane.expansion) + lane.conditioner.description.outputBytesPerBlock;
    if (most >= remainingOut) return;
    const ahead = this.readRaw(lane, this.chunkFor(lane, remainingOut - most));
    ahead.catch(() => undefined); // awaited by the next turn of fill(), or dropped
    lane.ahead = ahead;
  }

  /** Drops a read issued ahead (the lane failed or closes): its bytes, if they come, are wiped unseen. */
  private dropAhead(lane: Lane): void {
    const ahead = lane.ahead;
    lane.ahead = undefined;
    if (ahead) void ahead.then((b) => b.fill(0), () => undefined);
  }

  private async readRaw(lane: Lane, want: number): Promise<Uint8Array> {
    const source = lane.source;
    if (!source.readInto) return source.read(want);
    // Into the health monitor's own buffer where it has one (scanned there, without a copy).
    let view = lane.monitor.rawBuffer(want);
    if (!view) {
      if (!lane.scratch || lane.scratch.length < want) lane.scratch = new Uint8Array(Math.max(want, this.maxChunk));
      view = lane.scratch.subarray(0, want);
    }
    const n = await source.readInto(view);
    return view.subarray(0, Math.min(n, want));
  }

  private async ensureOpen(lane: Lane): Promise<void> {
    if (lane.open) return;
    let warnings: readonly string[];
    const opening = lane.source.open();
    try {
      warnings = (await this.watchdog(opening, `${lane.id} open`)).warnings;
    } catch (e) {
      throw await this.unavailable(lane, opening, e);
    }
    lane.open = true;
    lane.monitor.start();
    await this.emit({ type: 'source-opened', sourceId: lane.id, source: lane.source.provenance, warnings });
    for (const message of warnings) await this.emit({ type: 'warning', sourceId: lane.id, message });
  }

  /** Raw bytes to ask for: what the remaining output needs, whole 4 KiB, at most maxChunk. */
  private chunkFor(lane: Lane, remainingOut: number): number {
    const need = Math.ceil(remainingOut * lane.expansion) + 2 * lane.monitor.params.aptWindow;
    return Math.min(this.maxChunk, Math.max(4096, Math.ceil(need / 4096) * 4096));
  }

  private place(lane: Lane, out: Uint8Array, target: Uint8Array, off: number): number {
    const k = Math.min(out.length, target.length - off);
    target.set(k === out.length ? out : out.subarray(0, k), off);
    if (k < out.length) lane.surplus.push(out.slice(k));
    return off + k;
  }

  private takeSurplus(lane: Lane, target: Uint8Array, off: number): number {
    while (lane.surplus.length > 0 && off < target.length) {
      const head = lane.surplus[0] as Uint8Array;
      const k = Math.min(head.length, target.length - off);
      target.set(head.subarray(0, k), off);
      head.fill(0, 0, k);
      off += k;
      if (k === head.length) lane.surplus.shift();
      else lane.surplus[0] = head.subarray(k);
    }
    return off;
  }

  private dropSurplus(lane: Lane): void {
    for (const s of lane.surplus) s.fill(0);
    lane.surplus = [];
  }

  /**
   * An open that failed: no sample was read, so there is nothing to drop and nothing to latch. The source
   * is closed (also if an open the watchdog gave up on settles later), so the next open starts afresh.
   */
  private async unavailable(lane: Lane, opening: Promise<unknown>, cause: unknown): Promise<SourceUnavailable> {
    void opening.then(
      () => (lane.open ? undefined : lane.source.close().catch(() => undefined)),
      () => undefined,
    );
    await lane.source.close().catch(() => undefined);
    const code = cause instanceof EntropySourceError ? cause.code : 'io';
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new SourceUnavailable(lane.id, lane.source.provenance, code, reason, { cause });
  }

  /** Latches the lane FAILED, drops what it has not delivered, closes the source, tells onEvent. */
  private async failLane(lane: Lane, cause: unknown): Promise<EntropyFailure> {
    if (cause instanceof Aborted || cause instanceof EntropyFailure) return cause as EntropyFailure;
    let health: HealthFailure;
    if (isHealthFailure(cause)) health = cause;
    else {
      const code = cause instanceof EntropySourceError ? cause.code : 'io';
      const message = cause instanceof Error ? cause.message : String(cause);
      health = lane.monitor.fail(code, message);
    }
    lane.conditioner.reset();
    this.dropSurplus(lane);
    this.dropAhead(lane);
    const info: EntropyFailureInfo = { ...health, sourceId: lane.id, source: lane.source.provenance, at: this.now().toISOString() };
    lane.failure = info;
    if (lane.open) {
      lane.open = false;
      await lane.source.close().catch(() => undefined);
    }
    await this.emit({ type: 'source-failed', failure: info });
    return new EntropyFailure(info, false);
  }

  private watchdog<T>(p: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new EntropySourceError('stalled', `${what} did not settle within ${this.watchdogMs} ms.`)), this.watchdogMs);
    });
    return Promise.race([p, limit]).finally(() => clearTimeout(timer));
  }

  private async emit(event: EntropyEvent): Promise<void> {
    if (this.onEvent) await this.onEvent(event);
  }
}

/** out ^= t, a word at a time where both are 4-aligned. */
function xorInto(out: Uint8Array, t: Uint8Array): void {
  let k = 0;
  if ((out.byteOffset & 3) === 0 && (t.byteOffset & 3) === 0) {
    const words = out.length >>> 2;
    const a = new Int32Array(out.buffer, out.byteOffset, words);
    const b = new Int32Array(t.buffer, t.byteOffset, words);
    for (let j = 0; j < words; j++) a[j] = (a[j] as number) ^ (b[j] as number);
    k = words << 2;
  }
  for (; k < out.length; k++) out[k] = (out[k] as number) ^ (t[k] as number);
}

function isHealthFailure(x: unknown): x is HealthFailure {
  return typeof x === 'object' && x !== null && 'test' in x && 'droppedBytes' in x && !(x instanceof Error);
}
