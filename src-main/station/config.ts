// What the station is composed from. Settings come from <data-dir>/station.json when present (validated
// like any other input: a malformed file is refused with the reason, never half-applied).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StationFailure } from '../../src-shared/api/result';
import { boolean, integer, list, number, object, optional, record, text } from '../../src-shared/api/validate';
import { HUB_ID } from '../../src-shared/psrd/package-format';
import { defaultEntropySettings, type EntropySettings } from './devices/sources';
import type { SessionInfo } from '../../src-shared/api/session';
import { defaultPolicy, type PoolPolicy } from './pool/pool';
import { defaultOperatorSettings, type OperatorSettings } from './operators/accounts';
import { ioReason } from '../../src-node/io-reason';

export interface StationConfig {
  readonly dataDir: string;
  /**
   * 'create': make the data directory and its ledger if they are missing (`init`, the window's first
   * run). 'open': the station must exist. 'read': it must exist, and nothing in it is created or
   * changed (status, show, verify): no lock, no repair, no recovery, no master key.
   */
  readonly mode?: 'create' | 'open' | 'read';
  readonly host: SessionInfo['host'];
  /** Overrides of the pool policy (tests use small segments). */
  readonly policy?: Partial<PoolPolicy>;
  /** Sources used when a generate call names none. */
  readonly defaultSources?: readonly string[];
  /** Long-lived hosts (the window, the browser host) watch for source changes this often; off when absent. */
  readonly watchDevicesMs?: number;
  /** Overrides of the entropy settings (tests: short timeouts and the like). */
  readonly entropy?: Partial<EntropySettings>;
  readonly now?: () => Date;
}

export const SETTINGS_FILE = 'station.json';

const settingsShape = object({
  pool: optional(object({
    segmentBytes: optional(integer({ min: 1024, max: 2 ** 34 })),
    chunkBytes: optional(integer({ min: 256, max: 64 << 20 })),
    refreshAfterDays: optional(integer({ min: 1, max: 3650 })),
    lowWaterBytes: optional(integer({ min: 0, max: 2 ** 50 })),
  })),
  sources: optional(list(text({ maxLength: 200 }), { minItems: 1, maxItems: 8 })),
  entropy: optional(object({
    alphaExponent: optional(integer({ min: 20, max: 40 })),
    computationalAlphaExponent: optional(integer({ min: 20, max: 40 })),
    /** Each unit's SP 800-90B min-entropy estimate per raw sample, by source spec. */
    claimedMinEntropy: optional(record(/^[\x21-\x7e]{1,200}$/, number({ min: 0.01, max: 8 }), { maxKeys: 16 })),
  })),
  audit: optional(object({ keyFile: text({ maxLength: 400, pattern: /^\// }) })),
  /** The active ledger file is sealed and a new one begun once it holds this many bytes (default 256 MiB). */
  ledger: optional(object({ rollBytes: integer({ min: 4096, max: 2 ** 40 }) })),
  operators: optional(object({
    idleMinutes: optional(integer({ min: 1, max: 24 * 60 })),
    lockoutAttempts: optional(integer({ min: 3, max: 20 })),
    lockoutMinutes: optional(integer({ min: 1, max: 24 * 60 })),
  })),
  /** The Security Hub this station distributes for; its ID goes into every client package (§11.1). */
  hub: optional(object({ id: text({ maxLength: 63, pattern: HUB_ID }) })),
  delivery: optional(object({
    /** Test-only: let loop devices and other fixed drives stand in for USB sticks. */
    allowFixedDrives: optional(boolean()),
    /** The PKCS#11 module for clients' HSM tokens. */
    pkcs11Module: optional(text({ maxLength: 400, pattern: /^\// })),
    /** Largest package printed as a QR sheet. */
    qrMaxBytes: optional(integer({ min: 64, max: 1 << 20 })),
    /** Deliveries larger than this need a second person's approval (never the clerk who checked identity). */
    twoPersonAboveBytes: optional(integer({ min: 0, max: 2 ** 40 })),
  })),
  /** The Security Server this station reports to online (`sync push`); absent: files only (air gap). */
  sync: optional(object({ serverUrl: optional(text({ maxLength: 2048, pattern: /^https?:\/\/[^\s]+$/ })) })),
  /** Keep the master key in a PKCS#11 token; its PIN comes from the environment (DSKE_TOKEN_PIN), never from this file. */
  masterKey: optional(object({
    pkcs11: object({ module: text({ maxLength: 400, pattern: /^\// }), tokenLabel: text({ maxLength: 32 }), keyLabel: optional(text({ maxLength: 64 })), auditKeyLabel: optional(text({ maxLength: 64 })) }),
  })),
});

export interface MasterKeySettings {
  readonly pkcs11?: { readonly module: string; readonly tokenLabel: string; readonly keyLabel?: string; readonly auditKeyLabel?: string };
}

export interface DeliverySettings {
  readonly allowFixedDrives: boolean;
  readonly pkcs11Module: string;
  readonly qrMaxBytes: number;
  readonly twoPersonAboveBytes: number;
}

export const defaultDeliverySettings: DeliverySettings = { allowFixedDrives: false, pkcs11Module: '/usr/lib/softhsm/libsofthsm2.so', qrMaxBytes: 32 << 10, twoPersonAboveBytes: 64 << 20 };
export const DEFAULT_HUB_ID = 'hub';

export interface ResolvedSettings {
  readonly hubId: string;
  readonly delivery: DeliverySettings;
  readonly policy: PoolPolicy;
  readonly sources: readonly string[];
  readonly masterKey: MasterKeySettings;
  readonly entropy: EntropySettings;
  readonly operators: OperatorSettings;
  /** Where the ledger's audit key lives, when not in <data-dir>/keys (put it outside the data directory to keep it from whoever can write there). */
  readonly auditKeyFile?: string;
  readonly ledgerRollBytes?: number;
  /** station.json sync.serverUrl: the Security Server for `sync push`. */
  readonly serverUrl?: string;
}

export function resolveSettings(config: StationConfig): ResolvedSettings {
  const path = join(config.dataDir, SETTINGS_FILE);
  let file: { pool?: Partial<PoolPolicy>; sources?: string[]; masterKey?: MasterKeySettings; entropy?: Partial<EntropySettings>; operators?: Partial<OperatorSettings>; audit?: { keyFile: string }; ledger?: { rollBytes: number }; hub?: { id: string }; delivery?: Partial<DeliverySettings>; sync?: { serverUrl?: string } } = {};
  if (existsSync(path)) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new StationFailure('data-dir', `The station's settings file ${path} cannot be read (${ioReason(e)}).`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new StationFailure('data-dir', `The station's settings file ${path} is not valid JSON.`);
    }
    const r = settingsShape(raw);
    if (!r.ok) throw new StationFailure('data-dir', `${path}: ${r.reason}.`);
    file = r.value;
  }
  const policy: PoolPolicy = { ...defaultPolicy, ...file.pool, ...config.policy };
  if (policy.segmentBytes < policy.chunkBytes) throw new StationFailure('data-dir', 'A segment must hold at least one chunk (pool.segmentBytes ≥ pool.chunkBytes).');
  const entropy: EntropySettings = { ...defaultEntropySettings, ...file.entropy, ...config.entropy };
  const operators: OperatorSettings = { ...defaultOperatorSettings, ...file.operators };
  const delivery: DeliverySettings = { ...defaultDeliverySettings, ...file.delivery };
  return { hubId: file.hub?.id ?? DEFAULT_HUB_ID, delivery, policy, sources: config.defaultSources ?? file.sources ?? ['os'], masterKey: file.masterKey ?? {}, entropy, operators, ...(file.audit ? { auditKeyFile: file.audit.keyFile } : {}), ...(file.ledger ? { ledgerRollBytes: file.ledger.rollBytes } : {}), ...(file.sync?.serverUrl ? { serverUrl: file.sync.serverUrl } : {}) };
}
