// <data-dir>/operators.json: each account's passphrase verifier and its failed-attempt count. Who the
// accounts are, their roles and whether they are disabled come from the ledger (accounts.ts), never
// from this file, so editing it cannot create an account or grant a role. Written whole and atomically
// (temporary file, fsync, rename, fsync of the directory), mode 0600.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StationFailure } from '../../../src-shared/api/result';
import { replaceFile } from '../../../src-node/atomic-file';
import type { Verifier } from './passphrase';

export const VERIFIER_FILE = 'operators.json';

export interface Credential {
  readonly verifier: Verifier;
  readonly failures: number;
  readonly lockedUntil?: string;
}

export type Credentials = Readonly<Record<string, Credential>>;

export function readCredentials(dataDir: string): Credentials {
  const path = join(dataDir, VERIFIER_FILE);
  if (!existsSync(path)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new StationFailure('data-dir', code ? `The station cannot read its list of operator passphrases (${path}): permission denied or unreadable.` : `The station's list of operator passphrases (${path}) is damaged.`);
  }
  const p = parsed as { version?: unknown; credentials?: unknown };
  if (p?.version !== 1 || typeof p.credentials !== 'object' || p.credentials === null) throw new StationFailure('data-dir', `The station's list of operator passphrases (${path}) is damaged.`);
  return p.credentials as Credentials;
}

export function writeCredentials(dataDir: string, credentials: Credentials): void {
  replaceFile(join(dataDir, VERIFIER_FILE), Buffer.from(JSON.stringify({ version: 1, credentials }, null, 1)), 0o600);
}
