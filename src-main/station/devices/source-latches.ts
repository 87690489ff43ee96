// Which entropy sources are latched FAILED, as the ledger tells it (issue S3, part 2): a source that
// failed its health tests stays failed — across restarts — until an operator's acknowledgement is
// recorded. The ledger is the only record, so an auditor sees every failure and who re-enabled it.
import type { Ledger } from '../../../src-node/ledger/ledger';

export interface Latch {
  readonly source: string;
  readonly seq: number;
  readonly time: string;
  readonly test: string;
  readonly reason: string;
}

export function latchedSources(ledger: Ledger): Map<string, Latch> {
  const latched = new Map<string, Latch>();
  for (const e of ledger.entries()) {
    const source = String(e.data.source ?? '');
    if (e.type === 'entropy.source-failed') latched.set(source, { source, seq: e.seq, time: e.time, test: String(e.data.test), reason: String(e.data.reason) });
    else if (e.type === 'entropy.source-acknowledged') latched.delete(source);
  }
  return latched;
}
