// The audit key: an HMAC-SHA-256 key that authenticates the ledger's head and its checkpoints, so that
// whoever can write the ledger file cannot cut, empty or rewrite it unnoticed without this key too.
// Kept in the PKCS#11 token where the station's master key is, or else in a file apart from the ledger
// (mode 0600; `audit.keyFile` in station.json may put it outside the data directory). Never logged;
// only MACs leave this module.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { dirname } from 'node:path';
import { StationFailure } from '../../src-shared/api/result';

export interface AuditKey {
  mac(data: string | Uint8Array): string;
  check(data: string | Uint8Array, mac: string): boolean;
}

const KEY_BYTES = 32;

export class FileAuditKey implements AuditKey {
  private constructor(private readonly key: Buffer) {}

  static exists(path: string): boolean {
    return existsSync(path);
  }

  /** Makes a new key; refuses to replace one that exists. */
  static create(path: string): FileAuditKey {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const key = randomBytes(KEY_BYTES);
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, key);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return new FileAuditKey(key);
  }

  static open(path: string): FileAuditKey {
    if (!existsSync(path)) throw new StationFailure('ledger-corrupt', `The ledger's audit key (${path}) is missing, so the ledger cannot be checked; restore it from your backup.`);
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) throw new StationFailure('ledger-corrupt', `The ledger's audit key (${path}) is readable by others (mode ${mode.toString(8)}); set it to 0600.`);
    const key = readFileSync(path);
    if (key.length !== KEY_BYTES) throw new StationFailure('ledger-corrupt', `The ledger's audit key (${path}) is damaged.`);
    return new FileAuditKey(key);
  }

  mac(data: string | Uint8Array): string {
    return createHmac('sha256', this.key).update(data).digest('hex');
  }

  check(data: string | Uint8Array, mac: string): boolean {
    const expected = Buffer.from(this.mac(data), 'hex');
    const got = Buffer.from(/^[0-9a-f]{64}$/.test(mac) ? mac : '', 'hex');
    return got.length === expected.length && timingSafeEqual(got, expected);
  }
}

/** The audit key inside a PKCS#11 token (where the station's master key is): HMAC computed in the token. */
export class TokenAuditKey implements AuditKey {
  constructor(private readonly key: { sign(data: Uint8Array): Buffer }) {}

  mac(data: string | Uint8Array): string {
    return this.key.sign(typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString('hex');
  }

  check(data: string | Uint8Array, mac: string): boolean {
    const expected = Buffer.from(this.mac(data), 'hex');
    const got = Buffer.from(/^[0-9a-f]{64}$/.test(mac) ? mac : '', 'hex');
    return got.length === expected.length && timingSafeEqual(got, expected);
  }
}
