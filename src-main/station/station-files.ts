// What a station stands on, opened in an order that never makes something new over something old: a
// new station (no ledger, no head, no keys, no pool) gets an audit key, a master key, an empty ledger
// and a first entry recording a check value of the master key; an existing one must have all of them,
// and the master key must be the one the ledger recorded. Anything else — a pool or keys without a
// ledger, a missing or replaced master key — refuses to start with one sentence, destroying nothing.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { StationFailure } from '../../src-shared/api/result';
import { FileAuditKey, TokenAuditKey, type AuditKey } from '../../src-node/ledger/audit-key';
import { LedgerHead } from '../../src-node/ledger/head';
import { Ledger } from '../../src-node/ledger/ledger';
import { LedgerFiles } from '../../src-node/ledger/files';
import { FileMasterKey, TokenMasterKey, type MasterKey } from '../../src-node/psrd-store/master-key';
import type { ResolvedSettings } from './config';

export interface StationFiles {
  readonly ledger: Ledger;
  /** Absent when the station is opened to read only. */
  readonly master: MasterKey | undefined;
}

const CHECK_AAD = new TextEncoder().encode('dske-station master key check v1');

export const auditKeyPath = (dataDir: string, settings: ResolvedSettings): string => settings.auditKeyFile ?? join(dataDir, 'keys', 'audit.key');
const masterKeyPath = (dataDir: string): string => join(dataDir, 'keys', 'master.key');

/** Whether anything of a station is in dir (its ledger, head, keys or pool). */
export function stationPresent(dataDir: string): boolean {
  return LedgerFiles.exists(dataDir) || LedgerHead.exists(dataDir) || existsSync(masterKeyPath(dataDir)) || poolHasFiles(dataDir);
}

function poolHasFiles(dataDir: string): boolean {
  try {
    return readdirSync(join(dataDir, 'pool')).some((f) => f.startsWith('seg-'));
  } catch {
    return false;
  }
}

export function openStationFiles(dataDir: string, settings: ResolvedSettings, opts: { readOnly: boolean; create: boolean; now: () => Date }): StationFiles {
  const ledgerThere = LedgerFiles.exists(dataDir) || LedgerHead.exists(dataDir);
  if (!ledgerThere) {
    if (existsSync(masterKeyPath(dataDir)) || poolHasFiles(dataDir)) {
      throw new StationFailure('ledger-corrupt', `${dataDir} holds a pool or a master key but no ledger, so nothing in it can be accounted for; the station will not start and destroys nothing. Restore the ledger from a backup.`);
    }
    if (!opts.create || opts.readOnly) throw new StationFailure('no-data-dir', `There is no station in ${dataDir}.`);
    return createStation(dataDir, settings, opts.now);
  }
  // With a token, the master key and the audit key are both in it: the token is opened first.
  const tokenMaster = settings.masterKey.pkcs11 ? openMasterKey(dataDir, settings, false) : undefined;
  let ledger: Ledger;
  try {
    ledger = Ledger.open(dataDir, opts.now, { auditKey: auditKeyFor(dataDir, settings, tokenMaster, false), readOnly: opts.readOnly, rollBytes: settings.ledgerRollBytes });
  } catch (e) {
    tokenMaster?.close();
    throw e;
  }
  let master: MasterKey | undefined = tokenMaster;
  try {
    // Read-only too: the key is checked (a deleted or replaced key fails verification), then put away.
    master ??= openMasterKey(dataDir, settings, false);
    checkMasterKey(ledger, master);
    if (!opts.readOnly) return { ledger, master };
    master.close();
    return { ledger, master: undefined };
  } catch (e) {
    master?.close();
    ledger.close();
    throw e;
  }
}

function createStation(dataDir: string, settings: ResolvedSettings, now: () => Date): StationFiles {
  const master = openMasterKey(dataDir, settings, true);
  const ledger = Ledger.open(dataDir, now, { auditKey: auditKeyFor(dataDir, settings, master, true), create: true, rollBytes: settings.ledgerRollBytes });
  // A check value of the master key, so that a replaced key is refused rather than written under.
  const canary = randomBytes(32);
  const wrapped = master.wrap(canary, CHECK_AAD);
  ledger.append('station.created', { masterKey: { description: master.description, check: Buffer.from(wrapped).toString('base64'), digest: createHash('sha256').update(canary).digest('hex') } }, now);
  canary.fill(0);
  return { ledger, master };
}

/** The token's HMAC key where the master key is in a token; else the key file (made for a new station). */
function auditKeyFor(dataDir: string, settings: ResolvedSettings, master: MasterKey | undefined, create: boolean): AuditKey {
  if (master instanceof TokenMasterKey) return new TokenAuditKey(master.auditKey(settings.masterKey.pkcs11?.auditKeyLabel ?? 'dske-station-audit'));
  const path = auditKeyPath(dataDir, settings);
  return create && !FileAuditKey.exists(path) ? FileAuditKey.create(path) : FileAuditKey.open(path);
}

function openMasterKey(dataDir: string, settings: ResolvedSettings, create: boolean): MasterKey {
  const token = settings.masterKey.pkcs11;
  if (!token) return create ? FileMasterKey.create(masterKeyPath(dataDir)) : FileMasterKey.open(masterKeyPath(dataDir));
  const pin = process.env.DSKE_TOKEN_PIN;
  if (!pin) throw new StationFailure('master-key', 'The master key is in a PKCS#11 token: set DSKE_TOKEN_PIN to its user PIN.');
  return TokenMasterKey.open({ ...token, keyLabel: token.keyLabel ?? 'dske-station-master', pin });
}

function checkMasterKey(ledger: Ledger, master: MasterKey): void {
  const [created] = ledger.page(0, 1);
  const record = (created?.type === 'station.created' ? created.data.masterKey : undefined) as { check?: unknown; digest?: unknown } | undefined;
  if (typeof record?.check !== 'string' || typeof record.digest !== 'string') {
    throw new StationFailure('ledger-corrupt', 'The ledger does not record which master key this station uses, so the station will not start.');
  }
  let canary: Uint8Array;
  try {
    canary = master.unwrap(Buffer.from(record.check, 'base64'), CHECK_AAD);
  } catch {
    throw new StationFailure('master-key', `The master key (${master.description}) is not the one this station's pool was written under; the station will not start and destroys nothing. Put the right key back.`);
  }
  const digest = createHash('sha256').update(canary).digest('hex');
  canary.fill(0);
  if (digest !== record.digest) throw new StationFailure('master-key', `The master key (${master.description}) is not the one this station's pool was written under; the station will not start and destroys nothing.`);
}
