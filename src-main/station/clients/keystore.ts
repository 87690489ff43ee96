// The station's keystore (issue S6, part 1; spec §11.1): each client's initial keys, wrapped by the
// station master key (two AES-GCM-wrapped halves bound to the client ID), in <data-dir>/keystore/<id>.ik.
// The keys come from the pool (an allocation like any other, so every byte is accounted for and the
// Security Server learns them from its own copy through the range report) and are handed over on a
// channel apart from the PSRD.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import { StationFailure } from '../../../src-shared/api/result';
import { INITIAL_KEY_BYTES } from '../../../src-shared/psrd/package-format';
import { fsyncDir } from '../../../src-node/atomic-file';
import { ioReason } from '../../../src-node/io-reason';
import { WRAPPED_KEY_BYTES, type MasterKey } from '../../../src-node/psrd-store/master-key';
import { overwriteAndUnlink } from '../../../src-node/psrd-store/segment-file';

const MAGIC = Buffer.from('DSKEIK01', 'ascii');
const HALF = INITIAL_KEY_BYTES / 2;
export const KEYSTORE_FILE_BYTES = MAGIC.length + 2 * WRAPPED_KEY_BYTES;

/** A short, public fingerprint of a client's initial keys: shown on the sheet, checked at the desk. */
export function checkValue(keys: Uint8Array): string {
  return createHmac('sha256', keys).update('dske-station initial keys check value').digest('hex').slice(0, 8);
}

export class Keystore {
  constructor(
    private readonly dir: string,
    private readonly master: MasterKey | undefined,
  ) {}

  path(client: string): string {
    return join(this.dir, `${client}.ik`);
  }

  has(client: string): boolean {
    return existsSync(this.path(client));
  }

  /** Writes the keys durably (temporary file, fsync, rename, directory fsync); refuses to replace a client's keys. */
  write(client: string, keys: Uint8Array): void {
    if (keys.length !== INITIAL_KEY_BYTES) throw new RangeError('initial keys of the wrong size');
    const master = this.need();
    const path = this.path(client);
    if (existsSync(path)) throw new StationFailure('keystore', `The keystore already holds a file for ${client} (${path}) that the ledger does not record; nothing was written. Move that file out of the keystore folder.`);
    const body = Buffer.concat([MAGIC, master.wrap(keys.subarray(0, HALF), aad(client, 0)), master.wrap(keys.subarray(HALF), aad(client, 1))]);
    // Not replaceFile: its temporary name is random, and a voided creation's leftover (wrapped pool bytes)
    // must be findable by name for recovery to remove it.
    const tmp = `${path}.partial`;
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, body);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
      fsyncDir(this.dir);
    } catch (e) {
      throw new StationFailure((e as NodeJS.ErrnoException).code === 'ENOSPC' ? 'disk-full' : 'io', `The keystore could not be written (${ioReason(e)}).`);
    }
  }

  /** The client's initial keys; the caller wipes them. */
  read(client: string): Buffer {
    const master = this.need();
    let body: Buffer;
    try {
      body = readFileSync(this.path(client));
    } catch (e) {
      throw new StationFailure('keystore', `The keystore holds no initial keys for ${client} (${ioReason(e)}); nothing can be delivered to it until the data directory is restored.`);
    }
    if (body.length !== KEYSTORE_FILE_BYTES || !body.subarray(0, MAGIC.length).equals(MAGIC)) throw new StationFailure('keystore', `The keystore file of ${client} is damaged; nothing can be delivered to it until the data directory is restored.`);
    let a: Uint8Array;
    let b: Uint8Array;
    try {
      a = master.unwrap(body.subarray(MAGIC.length, MAGIC.length + WRAPPED_KEY_BYTES), aad(client, 0));
      b = master.unwrap(body.subarray(MAGIC.length + WRAPPED_KEY_BYTES), aad(client, 1));
    } catch {
      throw new StationFailure('keystore', `The keystore file of ${client} does not unwrap (altered, or from another station); nothing can be delivered to it until the data directory is restored.`);
    }
    const keys = Buffer.concat([a, b]);
    a.fill(0);
    b.fill(0);
    return keys;
  }

  /** Overwrites and removes a client's keys (a voided creation); also any partial file. */
  remove(client: string): void {
    overwriteAndUnlink(`${this.path(client)}.partial`);
    overwriteAndUnlink(this.path(client));
  }

  private need(): MasterKey {
    if (!this.master) throw new StationFailure('read-only', 'The station was opened to read only; the keystore cannot be used.');
    return this.master;
  }
}

function aad(client: string, half: number): Buffer {
  return Buffer.from(`dske-station initial keys|${client}|${half}`, 'utf8');
}
