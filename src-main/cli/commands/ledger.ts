// `dske-station ledger …`: the `audit` namespace: the newest entries, and verification end to end.
import type { LedgerEntryView, LedgerQueryResult, LedgerVerification } from '../../../src-shared/api/audit';
import { single, UsageError, type ParsedArgs } from '../args';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Checkpoint, CheckpointVerification } from '../../../src-shared/ledger/checkpoint';
import { noArgs, type Command } from '../command';

const entries = (list: readonly LedgerEntryView[]): string => list.map((e) => `${String(e.seq).padStart(6)}  ${e.time}  ${e.type.padEnd(32)} ${JSON.stringify(e.data)}`).join('\n');

const verification = (v: LedgerVerification): string =>
  v.ok ? `Ledger verified: ${v.entries} entries, head ${v.head}.` : `LEDGER FAILED VERIFICATION after ${v.entries} good entries: ${v.problem}.`;

/** `ledger verify --against FILE` is its own call, chosen when --against is given. */
const verifyAgainst: Command = {
  when: (a) => a.options['--against'] !== undefined,
  words: 'ledger verify',
  usage: 'ledger verify --against CHECKPOINT',
  summary: 'check that the ledger extends a checkpoint kept earlier',
  call: 'audit.verifyAgainst',
  mode: 'read',
  args: (a) => {
    const file = single(a, '--against')!;
    let checkpoint: unknown;
    try {
      checkpoint = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      throw new UsageError(`The checkpoint file ${file} cannot be read as a checkpoint.`);
    }
    return { checkpoint };
  },
  show: (v: CheckpointVerification) =>
    v.ok ? `The ledger (${v.entries} entries) extends the checkpoint of ${v.treeSize} entries.` : `LEDGER DOES NOT EXTEND THE CHECKPOINT: ${v.problem}.`,
  failed: (v: CheckpointVerification) => !v.ok,
};

/** `--limit N`, when given: a whole number. */
function limitOf(a: ParsedArgs): { limit?: number } {
  const limit = single(a, '--limit');
  if (limit !== undefined && !/^\d+$/.test(limit)) throw new UsageError('--limit takes a whole number.');
  return limit ? { limit: Number(limit) } : {};
}

const FILTERS = ['--client', '--who', '--type', '--segment', '--since', '--until'] as const;

/** `ledger show` with a filter asks the index (audit.query) instead of listing the newest entries. */
const query: Command = {
  when: (a) => FILTERS.some((f) => a.options[f] !== undefined),
  words: 'ledger show',
  usage: 'ledger show [--client ID] [--who NAME] [--type T] [--segment S] [--since T] [--until T] [--limit N]',
  summary: 'entries about a client, an operator, a type or a segment, in a time span (until is exclusive)',
  call: 'audit.query',
  mode: 'read',
  args: (a) => {
    const pick = (flag: string, key: string): Record<string, string> => (single(a, flag) !== undefined ? { [key]: single(a, flag)! } : {});
    return { ...pick('--client', 'client'), ...pick('--who', 'operator'), ...pick('--type', 'type'), ...pick('--segment', 'segment'), ...pick('--since', 'since'), ...pick('--until', 'until'), ...limitOf(a) };
  },
  show: (r: LedgerQueryResult) => `${entries(r.entries)}${r.more ? '\n… more: ask again with a larger --limit' : ''}`,
};

export const ledgerCommands: readonly Command[] = [
  verifyAgainst,
  query,
  {
    words: 'ledger show',
    usage: 'ledger show [--limit N]',
    summary: 'the newest ledger entries',
    call: 'audit.ledger',
    mode: 'read',
    args: (a) => {
      return limitOf(a);
    },
    show: entries,
  },
  {
    words: 'ledger verify',
    usage: 'ledger verify [--against CHECKPOINT]',
    summary: "check the ledger end to end; with --against, that it extends a checkpoint kept earlier",
    call: 'audit.verify',
    mode: 'read',
    args: noArgs,
    show: verification,
    failed: (v: LedgerVerification) => !v.ok,
  },
  {
    words: 'ledger checkpoint',
    usage: 'ledger checkpoint --out FILE',
    summary: 'write a checkpoint of the ledger (size, Merkle root, MAC) to a new file, for an auditor to keep',
    call: 'audit.saveCheckpoint',
    mode: 'read',
    args: (a) => {
      const out = single(a, '--out');
      if (!out) throw new UsageError('ledger checkpoint needs --out FILE: where to write the checkpoint.');
      return { to: resolve(out) };
    },
    show: (r: { path: string; checkpoint: Checkpoint }) => `Checkpoint of ${r.checkpoint.treeSize} entries, root ${r.checkpoint.rootHash}, written to ${r.path}.`,
  },
];

