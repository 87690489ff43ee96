// The `audit` namespace: the ledger as auditors read it, and its verification.
import type { auditCalls, LedgerEntryView, LedgerQueryResult } from '../../../src-shared/api/audit';
import type { HandlerArgs } from '../../../src-shared/api/contract';
import type { Handlers } from '../../../src-shared/api/dispatch';
import type { IndexKey } from './ledger-index';
import { rows } from './rows';
import { SeriesFold } from './series';
import { exportEntries, saveCheckpoint } from './export';
import type { Ledger } from '../../../src-node/ledger/ledger';
import type { LedgerEntry } from '../../../src-node/ledger/entry';
import { actorOf, type Core } from '../core';
import type { Operator } from '../operators/gate';

export function ledgerView(e: LedgerEntry): LedgerEntryView {
  return { seq: e.seq, time: e.time, type: e.type, data: e.data, hash: e.hash };
}

/** Entries about a client, operator, type or segment (from the index), within a time span (entries are in time order; `until` is exclusive). */
function query(core: Core, q: HandlerArgs<typeof auditCalls.query>): LedgerQueryResult {
  const limit = q.limit ?? 100;
  const after = q.afterSeq ?? -1;
  const keys: IndexKey[] = [];
  if (q.client) keys.push(`client:${q.client}`);
  if (q.operator) keys.push(`operator:${q.operator.normalize('NFC').toLowerCase()}`);
  if (q.type) keys.push(`type:${q.type}`);
  if (q.segment) keys.push(`segment:${q.segment}`);
  const out: LedgerEntryView[] = [];
  let more = false;
  /** Takes an entry in the span; false once the span or the page is over. */
  const take = (e: LedgerEntry): boolean => {
    if (q.until && e.time >= q.until) return false;
    if (q.since && e.time < q.since) return true;
    if (keys.length > 1) {
      const has = core.index.keysOf(e);
      if (!keys.every((k) => has.includes(k))) return true;
    }
    if (out.length === limit) {
      more = true;
      return false;
    }
    out.push(ledgerView(e));
    return true;
  };
  if (keys.length > 0) {
    const lead = [...keys].sort((a, b) => core.index.count(a) - core.index.count(b))[0];
    for (const { seq, offset } of core.index.find(lead, after)) {
      const e = core.ledger.readAt(offset, seq);
      if (e && !take(e)) break;
    }
  } else {
    const start = Math.max(q.since ? core.ledger.offsetOfTime(q.since) : 0, after >= 0 ? core.ledger.offsetOf(after + 1) : 0);
    core.ledger.scanFrom(start, (e) => e.seq <= after || take(e));
  }
  return { entries: out, more };
}

/** The series fold of each open ledger: restored with the handlers, at open, so that the next snapshot holds it. */
const seriesOf = new WeakMap<Ledger, SeriesFold>();
function seriesFold(ledger: Ledger): SeriesFold {
  let fold = seriesOf.get(ledger);
  if (!fold) {
    fold = new SeriesFold();
    ledger.restore(fold);
    seriesOf.set(ledger, fold);
  }
  return fold;
}

export function auditHandlers(core: Core): Handlers<{ audit: typeof auditCalls }, Operator>['audit'] {
  const series = seriesFold(core.ledger);
  return {
    ledger: async ({ afterSeq, limit }) => {
      const from = afterSeq === undefined ? Math.max(0, core.ledger.length - (limit ?? 100)) : afterSeq + 1;
      return core.ledger.page(from, limit ?? 100).map(ledgerView);
    },
    // A job with progress: a ledger of millions of entries takes seconds, and the window shows it.
    verify: (_args, ctx) =>
      core.jobs.run(
        { kind: 'ledger-verify', title: 'Verifying the ledger', resources: ['ledger:verify'], total: core.ledger.length, unit: 'items', actor: actorOf(ctx), signal: ctx.signal },
        (job) => core.ledger.verify((entries) => job.progress(entries, 'checking entries'), () => job.signal.aborted),
      ),
    query: async (q) => query(core, q),
    rows: async ({ from, limit, ...filter }) => rows(core, filter, from, limit ?? 100, ledgerView),
    series: async ({ top }) => ({ ...series.series(top ?? 12), entries: core.ledger.length }),
    exportEntries: async (args) => exportEntries(core, args),
    saveCheckpoint: async ({ to }) => saveCheckpoint(core, to),
    checkpoint: async () => core.ledger.checkpoint(core.now),
    verifyAgainst: async ({ checkpoint }) => core.ledger.verifyAgainst(checkpoint),
  };
}
