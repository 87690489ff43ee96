// The `audit` namespace: the ledger as auditors read it, and its verification end to end.
import { call, returns } from './contract';
import { integer, object, oneOf, optional, text } from './validate';
import { checkpointShape, type Checkpoint, type CheckpointVerification } from '../ledger/checkpoint';

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

const readers = ['auditor', 'operator', 'admin'] as const;

const isoTime = text({ maxLength: 40, pattern: /^\d{4}-\d\d-\d\d(T[\d:.]+Z?)?$/ });

export interface LedgerQueryResult {
  /** Entries that match, oldest first, after `afterSeq`, at most `limit`. */
  readonly entries: readonly LedgerEntryView[];
  /** Whether more match after the last one returned (ask again with its seq as afterSeq). */
  readonly more: boolean;
}

/** What the auditor narrows the ledger to: one client, operator, entry type or segment, within a time span (`until` exclusive). */
const filterFields = {
  client: optional(text({ maxLength: 64, pattern: /^[\x21-\x7e]{1,64}$/ })),
  operator: optional(text({ maxLength: 64 })),
  type: optional(text({ maxLength: 64, pattern: /^[a-z][a-z0-9.-]{0,63}$/ })),
  segment: optional(text({ maxLength: 40, pattern: /^seg-[0-9a-f]{24}$/ })),
  since: optional(isoTime),
  until: optional(isoTime),
};

export interface LedgerFilter {
  readonly client?: string;
  readonly operator?: string;
  readonly type?: string;
  readonly segment?: string;
  readonly since?: string;
  readonly until?: string;
}

export interface LedgerRows {
  /** How many entries match the filter (every entry when there is none), oldest first. */
  readonly total: number;
  /** The position of the first entry returned among the matches (0 is the oldest match). */
  readonly from: number;
  readonly entries: readonly LedgerEntryView[];
  /** How many entries the ledger held when this was answered. */
  readonly ledgerLength: number;
}

/** One day (UTC) of the ledger, for the pictures: the pool at the day's end and what was delivered that day. */
export interface LedgerDay {
  /** YYYY-MM-DD, in UTC. */
  readonly day: string;
  /** Bytes in the pool at the end of the day. */
  readonly poolBytes: number;
  readonly deliveries: number;
  readonly bytesDelivered: number;
}

export interface ClientTotal {
  readonly client: string;
  readonly bytes: number;
  readonly deliveries: number;
}

export interface LedgerSeries {
  /** Every day on which the ledger recorded something, oldest first. */
  readonly days: readonly LedgerDay[];
  /** The clients that received the most PSRD, most first (at most `top`). */
  readonly clients: readonly ClientTotal[];
  /** All the other clients together. */
  readonly others: { readonly clients: number; readonly bytes: number; readonly deliveries: number };
  /** Entries taken into account (the ledger's length when this was answered). */
  readonly entries: number;
}

/** An absolute path on the station's machine, for a file the station writes (never over an existing one). */
const outFile = text({ maxLength: 4096, pattern: /^\/[^\x00-\x1f]*$/ });

/** At most this many entries in a PDF export (a longer one is a CSV's job: narrow the filter, or export CSV). */
export const MAX_PDF_ROWS = 10_000;

export const auditCalls = {
  ledger: call({
    args: object({ afterSeq: optional(integer({ min: -1, max: Number.MAX_SAFE_INTEGER })), limit: optional(integer({ min: 1, max: 1000 })) }),
    result: returns<LedgerEntryView[]>(),
    access: readers,
  }),
  verify: call({ args: object({}), result: returns<LedgerVerification>(), access: readers }),
  /** Entries about one client, operator, entry type or segment, within a time span: answered from the index. */
  query: call({
    args: object({
      client: optional(text({ maxLength: 64, pattern: /^[\x21-\x7e]{1,64}$/ })),
      operator: optional(text({ maxLength: 64 })),
      type: optional(text({ maxLength: 64, pattern: /^[a-z][a-z0-9.-]{0,63}$/ })),
      segment: optional(text({ maxLength: 40, pattern: /^seg-[0-9a-f]{24}$/ })),
      since: optional(isoTime),
      until: optional(isoTime),
      afterSeq: optional(integer({ min: -1, max: Number.MAX_SAFE_INTEGER })),
      limit: optional(integer({ min: 1, max: 1000 })),
    }),
    result: returns<LedgerQueryResult>(),
    access: readers,
  }),
  /**
   * A window onto the entries matching a filter, by position among them (0 is the oldest): what a
   * scrolled list asks for. Answered from the index; jumping to the end costs what jumping to the start does.
   */
  rows: call({
    args: object({ ...filterFields, from: integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), limit: optional(integer({ min: 1, max: 1000 })) }),
    result: returns<LedgerRows>(),
    access: readers,
  }),
  /** The ledger's figures per day and per client (pool level, deliveries, bytes), kept as the ledger is appended. */
  series: call({ args: object({ top: optional(integer({ min: 1, max: 100 })) }), result: returns<LedgerSeries>(), access: readers }),
  /** The entries matching a filter, each in plain words with its facts, written to a new file as CSV or PDF. */
  exportEntries: call({
    args: object({ ...filterFields, format: oneOf(['csv', 'pdf'] as const), to: outFile }),
    result: returns<{ readonly path: string; readonly rows: number; readonly format: 'csv' | 'pdf' }>(),
    access: readers,
  }),
  /** A checkpoint of the ledger now, written to a new file for the auditor to keep (as `ledger checkpoint --out`). */
  saveCheckpoint: call({ args: object({ to: outFile }), result: returns<{ readonly path: string; readonly checkpoint: Checkpoint }>(), access: readers }),
  /** A checkpoint of the ledger now (size, Merkle root, MAC), for an auditor to keep. */
  checkpoint: call({ args: object({}), result: returns<Checkpoint>(), access: readers }),
  /** Whether today's ledger extends a checkpoint taken earlier (an RFC 9162 consistency proof). */
  verifyAgainst: call({ args: object({ checkpoint: checkpointShape }), result: returns<CheckpointVerification>(), access: readers }),
} as const;

export const auditErrors = {
  'ledger-corrupt': 'The ledger failed verification; the station stopped to avoid making things worse.',
  'ledger-write': 'The ledger could not be written; nothing was changed.',
  'export-too-large': 'Too many entries for a PDF; narrow the filter, or export CSV.',
} as const;

export interface AuditEvents {
  'ledger.appended': LedgerEntryView;
}
export const auditEventNames = ['ledger.appended'] as const;
