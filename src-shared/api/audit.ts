// The `audit` namespace: the ledger as auditors read it, and its verification end to end.
import { call, returns } from './contract';
import { integer, object, optional, text } from './validate';
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
  /** A checkpoint of the ledger now (size, Merkle root, MAC), for an auditor to keep. */
  checkpoint: call({ args: object({}), result: returns<Checkpoint>(), access: readers }),
  /** Whether today's ledger extends a checkpoint taken earlier (an RFC 9162 consistency proof). */
  verifyAgainst: call({ args: object({ checkpoint: checkpointShape }), result: returns<CheckpointVerification>(), access: readers }),
} as const;

export const auditErrors = {
  'ledger-corrupt': 'The ledger failed verification; the station stopped to avoid making things worse.',
  'ledger-write': 'The ledger could not be written; nothing was changed.',
} as const;

export interface AuditEvents {
  'ledger.appended': LedgerEntryView;
}
export const auditEventNames = ['ledger.appended'] as const;
