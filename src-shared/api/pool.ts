// The `pool` namespace: the unallocated pool of PSRD (spec §10): its level, its segments, generation
// from entropy sources, and destruction of what is past its refresh age. Results carry sizes, ids and
// provenance, never pool bytes.
import { call, returns } from './contract';
import { integer, list, object, optional, text } from './validate';

/** Protection the pool's PSRD has, by the weakest source that produced it (docs/references.md, Entropy). */
export type EntropyLabel = 'information-theoretic' | 'computational';

/**
 * A source spec as the CLI and UI name it: os | hwrng | file:/path | serial:/dev/ttyACM0[:MODEL[:MODE]] |
 * serial:VID:PID[:SERIAL|*[:MODEL[:MODE]]] | usb:VID:PID[:SERIAL]. Only its shape is checked here; the
 * station parses it exactly (hardware/entropy/spec.ts) and refuses what it cannot open, by name.
 */
export const sourceSpec = text({ maxLength: 200, pattern: /^(os|hwrng|(file|serial|usb):[\x21-\x7e]{1,195})$/ });

const MAX_GENERATE_BYTES = 2 ** 44; // 16 TiB: a hub's pool is measured in GB to TB (issue S3).

export interface SegmentView {
  readonly id: string;
  readonly bytes: number;
  readonly createdAt: string;
  readonly state: 'unallocated' | 'destroyed' | 'lost';
  readonly label: EntropyLabel;
  readonly sources: readonly string[];
  /** Bytes still in the pool: the size less any ranges destroyed inside the segment. */
  readonly liveBytes: number;
}

export interface PoolStatus {
  readonly unallocatedBytes: number;
  readonly segmentCount: number;
  readonly segmentSize: number;
  readonly lowWaterBytes: number;
  readonly belowLowWater: boolean;
  readonly expiredSegments: number;
  readonly computationalBytes: number;
}

/** One page of the unallocated segments, oldest first (a pool of terabytes has tens of thousands). */
export interface SegmentPage {
  readonly total: number;
  readonly offset: number;
  readonly segments: readonly SegmentView[];
}

export interface GenerateResult {
  readonly job: string;
  readonly bytes: number;
  readonly segmentIds: readonly string[];
  readonly label: EntropyLabel;
}

export interface DestroyResult {
  readonly destroyedSegments: number;
  readonly destroyedBytes: number;
}

export interface RefreshResult extends DestroyResult {
  readonly generatedBytes: number;
}

/** A chunk a scrub found damaged. */
export interface DamagedChunk {
  readonly segment: string;
  /** The chunk's index in its segment; null for a file's header, which concerns the whole segment. */
  readonly chunk: number | null;
  /** Where the chunk's bytes start in the segment (as ranges are counted for destruction); null for a header. */
  readonly offset: number | null;
  /** In plain words, e.g. "its authentication tag does not match (the ciphertext or its key was changed)". */
  readonly reason: string;
}

/** What `pool scrub` checked and found; the same is recorded in the ledger as `pool.scrubbed`. */
export interface ScrubResult {
  readonly segments: number;
  readonly chunks: number;
  /** PSRD bytes whose chunks were checked (chunks destroyed whole are skipped). */
  readonly bytes: number;
  /** The damaged chunks, the first 1000 of them. */
  readonly damaged: readonly DamagedChunk[];
  /** How many were found in all (more than `damaged` lists only past 1000). */
  readonly damagedCount: number;
}

export interface PoolProgress {
  readonly job: string;
  readonly phase: 'start-up test' | 'generating' | 'done' | 'failed' | 'cancelled';
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly bytesPerSecond: number;
  readonly etaSeconds: number | null;
  readonly sources: readonly { readonly label: string; readonly state: string; readonly samplesTested: number }[];
}

export const poolCalls = {
  status: call({ args: object({}), result: returns<PoolStatus>(), access: 'signed-in' }),
  segments: call({
    args: object({ offset: optional(integer({ min: 0, max: Number.MAX_SAFE_INTEGER })), limit: optional(integer({ min: 1, max: 500 })) }),
    result: returns<SegmentPage>(),
    access: 'signed-in',
  }),
  generate: call({
    args: object({
      bytes: integer({ min: 1, max: MAX_GENERATE_BYTES }),
      sources: optional(list(sourceSpec, { minItems: 1, maxItems: 8 })),
      /** The interrupted generation job this one finishes (`pool generate --resume`). */
      resumes: optional(text({ maxLength: 40, pattern: /^job-[0-9a-f]{16}$/ })),
    }),
    result: returns<GenerateResult>(),
    access: ['operator'],
  }),
  destroyExpired: call({ args: object({}), result: returns<DestroyResult>(), access: ['operator'] }),
  /** §10: destroy unallocated segments past their refresh age and generate as much again. */
  refresh: call({ args: object({}), result: returns<RefreshResult>(), access: ['operator'] }),
  /** Checks every chunk's authentication tag, as a job; read-only on the pool, the result recorded in the ledger. */
  scrub: call({ args: object({}), result: returns<ScrubResult>(), access: ['operator', 'auditor'] }),
} as const;

export const poolErrors = {
  'pool-insufficient': 'The pool does not hold enough unallocated PSRD for this.',
  'disk-full': 'The disk filled up; the message says exactly what was added to the pool before it did.',
  'master-key': 'The station master key is unavailable.',
} as const;

export interface PoolEvents {
  'pool.progress': PoolProgress;
}
export const poolEventNames = ['pool.progress'] as const;
