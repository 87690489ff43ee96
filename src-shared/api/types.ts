// Result and event payload types of the station API. Plain data only: these cross IPC and HTTP.
// None of them can carry PSRD: sizes, identifiers, provenance and ledger facts, never pool bytes.

export interface SessionInfo {
  readonly version: string;
  readonly dataDir: string;
  readonly startedAt: string;
  readonly host: 'electron' | 'browser' | 'cli' | 'test';
}

/** Protection the pool's PSRD has, by the weakest source that produced it (REFERENCES.md, Entropy). */
export type EntropyLabel = 'information-theoretic' | 'computational';

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

export interface SourceView {
  readonly spec: string;
  readonly label: string;
  readonly kind: string;
  readonly vendorId?: string;
  readonly productId?: string;
  readonly serial?: string;
  readonly state: 'ok' | 'failed' | 'absent';
  readonly reason?: string;
  /** Named in the station's settings (the window and the browser host may use only these). */
  readonly configured: boolean;
}

export interface SourceTestReport {
  readonly spec: string;
  readonly label: string;
  readonly passed: boolean;
  readonly samplesTested: number;
  readonly bytesRead: number;
  readonly code?: string;
  readonly reason?: string;
}

export interface SourceReport {
  readonly sources: readonly SourceView[];
  readonly warnings: readonly string[];
}

export interface LedgerEntryView {
  readonly seq: number;
  readonly time: string;
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly hash: string;
}

export interface LedgerVerification {
  readonly ok: boolean;
  readonly entries: number;
  readonly head: string;
  readonly problem?: string;
}

export interface PoolProgress {
  readonly phase: 'start-up test' | 'generating' | 'done' | 'failed';
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly bytesPerSecond: number;
  readonly etaSeconds: number | null;
  readonly sources: readonly { readonly label: string; readonly state: string; readonly samplesTested: number }[];
}

/** Typed subscriptions: the events the core pushes to whoever holds the API. */
export interface StationEvents {
  'pool.progress': PoolProgress;
  'ledger.appended': LedgerEntryView;
  'devices.changed': SourceReport;
}
export type EventName = keyof StationEvents;
export const eventNames: readonly EventName[] = ['pool.progress', 'ledger.appended', 'devices.changed'];
