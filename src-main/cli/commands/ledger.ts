// `dske-station ledger …`: the `audit` namespace: the newest entries, and verification end to end.
import type { LedgerEntryView, LedgerVerification } from '../../../src-shared/api/audit';
import { single, UsageError } from '../args';
import { noArgs, type Command } from '../command';

const entries = (list: readonly LedgerEntryView[]): string => list.map((e) => `${String(e.seq).padStart(6)}  ${e.time}  ${e.type.padEnd(32)} ${JSON.stringify(e.data)}`).join('\n');

const verification = (v: LedgerVerification): string =>
  v.ok ? `Ledger verified: ${v.entries} entries, head ${v.head}.` : `LEDGER FAILED VERIFICATION after ${v.entries} good entries: ${v.problem}.`;

export const ledgerCommands: readonly Command[] = [
  {
    words: 'ledger show',
    usage: 'ledger show [--limit N]',
    summary: 'the newest ledger entries',
    call: 'audit.ledger',
    mode: 'read',
    args: (a) => {
      const limit = single(a, '--limit');
      if (limit !== undefined && !/^\d+$/.test(limit)) throw new UsageError('--limit takes a whole number.');
      return limit ? { limit: Number(limit) } : {};
    },
    show: entries,
  },
  { words: 'ledger verify', usage: 'ledger verify', summary: "check the ledger's hash chain end to end", call: 'audit.verify', mode: 'read', args: noArgs, show: verification, failed: (v: LedgerVerification) => !v.ok },
];
