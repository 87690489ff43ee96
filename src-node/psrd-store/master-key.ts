// The station master key wraps every segment's data keys (issue S3, part 4). Held in a key file with
// 0600 permissions here; a PKCS#11 token implementation of the same interface keeps it in hardware.
// Wrapping is AES-256-GCM with the key's place (segment id, chunk index) as associated data, so a
// wrapped key moved to another place does not unwrap.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync, fsyncSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';
import { StationFailure } from '../../src-shared/api/result';
import { Pkcs11AesKey, TokenKeyError, type TokenKeyConfig } from '../../hardware/hsm/pkcs11-aes-key';

export const WRAPPED_KEY_BYTES = 12 + 32 + 16;

export interface MasterKey {
  readonly description: string;
  wrap(dataKey: Uint8Array, aad: Uint8Array): Uint8Array;
  unwrap(wrapped: Uint8Array, aad: Uint8Array): Uint8Array;
  close(): void;
}

export class FileMasterKey implements MasterKey {
  readonly description: string;
  private constructor(private readonly key: Buffer, path: string) {
    this.description = `key file ${path}`;
  }

  /** Makes a new station's key file (0600); refuses to replace one. */
  static create(path: string): FileMasterKey {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, randomBytes(32));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(path, 0o600);
    return FileMasterKey.open(path);
  }

  /** Loads an existing station's key file; never makes a new one (that would orphan the pool). Refuses a file others can read. */
  static open(path: string): FileMasterKey {
    if (!existsSync(path)) throw new StationFailure('master-key', `The station's master key (${path}) is missing, so none of the pool can be read; restore it from your backup. The station will not make a new one over an existing pool.`);
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) throw new StationFailure('master-key', `The master key file ${path} is readable by others (mode ${mode.toString(8)}); set it to 0600.`);
    const key = readFileSync(path);
    if (key.length !== 32) throw new StationFailure('master-key', `The master key file ${path} is not a 32-byte key.`);
    return new FileMasterKey(key, path);
  }

  wrap(dataKey: Uint8Array, aad: Uint8Array): Uint8Array {
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, nonce);
    c.setAAD(aad);
    const body = Buffer.concat([c.update(dataKey), c.final()]);
    return Buffer.concat([nonce, body, c.getAuthTag()]);
  }

  unwrap(wrapped: Uint8Array, aad: Uint8Array): Uint8Array {
    if (wrapped.length !== WRAPPED_KEY_BYTES) throw new StationFailure('master-key', 'A wrapped data key has the wrong length.');
    const d = createDecipheriv('aes-256-gcm', this.key, wrapped.subarray(0, 12));
    d.setAAD(aad);
    d.setAuthTag(wrapped.subarray(44, 60));
    const key = d.update(wrapped.subarray(12, 44));
    try {
      d.final();
      return key;
    } catch {
      key.fill(0);
      throw new StationFailure('master-key', 'A data key did not unwrap under the station master key (wrong key or damaged key table).');
    }
  }

  close(): void {
    this.key.fill(0);
  }
}

/** The master key inside a PKCS#11 token: wrapping happens in the token, the key never leaves it. */
export class TokenMasterKey implements MasterKey {
  readonly description: string;
  private constructor(private readonly key: Pkcs11AesKey, config: TokenKeyConfig) {
    this.description = `PKCS#11 token "${config.tokenLabel}", key "${config.keyLabel}"`;
  }

  static open(config: TokenKeyConfig): TokenMasterKey {
    try {
      return new TokenMasterKey(Pkcs11AesKey.open(config), config);
    } catch (e) {
      throw new StationFailure('master-key', e instanceof TokenKeyError ? e.message : 'The PKCS#11 token could not be used.');
    }
  }

  wrap(dataKey: Uint8Array, aad: Uint8Array): Uint8Array {
    return this.key.seal(dataKey, aad);
  }

  unwrap(wrapped: Uint8Array, aad: Uint8Array): Uint8Array {
    if (wrapped.length !== WRAPPED_KEY_BYTES) throw new StationFailure('master-key', 'A wrapped data key has the wrong length.');
    try {
      return this.key.open(wrapped, aad);
    } catch {
      throw new StationFailure('master-key', 'A data key did not unwrap under the master key in the token (wrong key or damaged key table).');
    }
  }

  /** The ledger's audit key, in the same token (hardware/hsm: an HMAC-SHA-256 generic secret that never leaves it). */
  auditKey(label: string): { sign(data: Uint8Array): Buffer } {
    try {
      return this.key.hmacKey(label);
    } catch (e) {
      throw new StationFailure('master-key', e instanceof TokenKeyError ? e.message : 'The PKCS#11 token could not be used.');
    }
  }

  close(): void {
    this.key.close();
  }
}
