// The `audit` namespace: the ledger as auditors read it, and its verification.
import type { auditCalls, LedgerEntryView } from '../../../src-shared/api/audit';
import type { Handlers } from '../../../src-shared/api/dispatch';
import type { LedgerEntry } from '../../../src-node/ledger/entry';
import type { Core } from '../core';
import type { Operator } from '../operators/gate';

export function ledgerView(e: LedgerEntry): LedgerEntryView {
  return { seq: e.seq, time: e.time, type: e.type, data: e.data, hash: e.hash };
}

export function auditHandlers(core: Core): Handlers<{ audit: typeof auditCalls }, Operator>['audit'] {
  return {
    ledger: async ({ afterSeq, limit }) => {
      const from = afterSeq === undefined ? Math.max(0, core.ledger.length - (limit ?? 100)) : afterSeq + 1;
      return core.ledger.page(from, limit ?? 100).map(ledgerView);
    },
    verify: async () => core.ledger.verify(),
    checkpoint: async () => core.ledger.checkpoint(core.now),
    verifyAgainst: async ({ checkpoint }) => core.ledger.verifyAgainst(checkpoint),
  };
}
