// A snapshot of what the ledger's folds know (<data-dir>/ledger.snapshot), so that opening a ledger of
// a million entries reads the snapshot and the entries after it, not the whole file. It names the
// entry it was taken at (count, that entry's hash and where its line ends) and carries a MAC under the
// audit key; a snapshot that does not match the ledger exactly is ignored, and the folds are rebuilt
// from the first entry. `ledger verify` always reads the whole file.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFile } from '../atomic-file';
import type { AuditKey } from './audit-key';

export const SNAPSHOT_FILE = 'ledger.snapshot';

export interface Snapshot {
  readonly version: 1;
  /** Entries the folds have seen: 0 … count-1. */
  readonly count: number;
  /** The chain hash of entry count-1, and of count-2. */
  readonly hash: string;
  readonly prev: string;
  /** Where entry count-1's line ends in the file. */
  readonly end: number;
  /**
   * SHA-256 of the file's bytes [0, end): opening hashes them again (at disk speed, without parsing), so
   * that a change anywhere before the snapshot still stops the station, not only `ledger verify`.
   */
  readonly digest: string;
  /** Each fold's saved state, by the fold's name. */
  readonly folds: Readonly<Record<string, unknown>>;
}

export function readSnapshot(dir: string, key: AuditKey): Snapshot | undefined {
  const path = join(dir, SNAPSHOT_FILE);
  if (!existsSync(path)) return undefined;
  try {
    // The MAC's line first, then the snapshot's JSON exactly as written: the MAC covers those bytes.
    const file = readFileSync(path);
    const nl = file.indexOf(0x0a);
    const mac = file.toString('latin1', 0, nl);
    const text = file.subarray(nl + 1);
    if (nl !== 64 || !key.check(text, mac)) return undefined;
    const body = JSON.parse(text.toString('utf8')) as Snapshot;
    if (body.version !== 1) return undefined;
    if (!Number.isSafeInteger(body.count) || !Number.isSafeInteger(body.end) || typeof body.hash !== 'string' || typeof body.digest !== 'string' || typeof body.folds !== 'object') return undefined;
    return body;
  } catch {
    return undefined;
  }
}

export function writeSnapshot(dir: string, key: AuditKey, snapshot: Snapshot): void {
  const text = Buffer.from(JSON.stringify(snapshot));
  replaceFile(join(dir, SNAPSHOT_FILE), Buffer.concat([Buffer.from(`${key.mac(text)}\n`, 'latin1'), text]), 0o600);
}
