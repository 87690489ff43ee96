// <data-dir>/operators.json: each account's passphrase verifier and its failed-attempt count. Who the
// accounts are, their roles and whether they are disabled come from the ledger (accounts.ts), never
// from this file, so editing it cannot create an account or grant a role; and the file carries a MAC
// under the ledger's audit key, so that a verifier cannot be swapped for one whose passphrase the
// editor knows. Written whole and atomically, mode 0600.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StationFailure } from '../../../src-shared/api/result';
import { ioReason } from '../../../src-node/io-reason';
import { replaceFile } from '../../../src-node/atomic-file';
import type { AuditKey } from '../../../src-node/ledger/audit-key';
import { canonicalJson } from '../../../src-node/ledger/entry';
import type { Verifier } from './passphrase';

export const VERIFIER_FILE = 'operators.json';

export interface Credential {
  readonly verifier: Verifier;
  readonly failures: number;
  readonly lockedUntil?: string;
}

export type Credentials = Readonly<Record<string, Credential>>;

const DAMAGED = (path: string): StationFailure =>
  new StationFailure('data-dir', `The station's list of operator passphrases (${path}) was changed outside the station or is damaged, so nobody can sign in; restore it from your backup.`);

/** The verifiers; `undefined` when the file does not exist (a new station). */
export function readCredentials(dataDir: string, key: AuditKey): Credentials | undefined {
  const path = join(dataDir, VERIFIER_FILE);
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code) throw new StationFailure('data-dir', `The station cannot read its list of operator passphrases (${path}): ${ioReason(e)}.`);
    throw DAMAGED(path);
  }
  const p = parsed as { version?: unknown; credentials?: unknown; mac?: unknown };
  if (p?.version !== 1 || typeof p.credentials !== 'object' || p.credentials === null || typeof p.mac !== 'string') throw DAMAGED(path);
  if (!key.check(canonicalJson({ version: 1, credentials: p.credentials }), p.mac)) throw DAMAGED(path);
  return p.credentials as Credentials;
}

export function writeCredentials(dataDir: string, credentials: Credentials, key: AuditKey): void {
  const mac = key.mac(canonicalJson({ version: 1, credentials }));
  replaceFile(join(dataDir, VERIFIER_FILE), Buffer.from(JSON.stringify({ version: 1, credentials, mac }, null, 1)), 0o600);
}
