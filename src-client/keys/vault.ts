// Small files the client keeps secret at rest (issue S10): instructions fetched from hubs, keys
// established or recovered, the replay record. Each is JSON sealed with AES-256-GCM under its own
// random data key, which is kept only wrapped by the client master key; the file's name is the
// associated data of both, so that a sealed file moved to another name does not open. Replaced whole and
// atomically (src-node/atomic-file.ts): a crash leaves the old content or the new.
//   file: {"format":1,"key":base64(wrapped data key, 60),"nonce":base64(12),"body":base64(ciphertext ‖ tag)}
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { replaceFile } from '../../src-node/atomic-file';
import { ioReason } from '../../src-node/io-reason';
import type { MasterKey } from '../../src-node/psrd-store/master-key';
import { ClientFailure } from '../errors';

const keyAad = (name: string): Buffer => Buffer.from(`dske-client sealed file key v1|${name}`, 'utf8');
const bodyAad = (name: string): Buffer => Buffer.from(`dske-client sealed file v1|${name}`, 'utf8');

export class Vault {
  constructor(
    private readonly dir: string,
    private readonly master: MasterKey,
  ) {}

  /** `name` is a relative path inside the data directory (for example `keys/received.sealed`). */
  write(name: string, value: unknown): void {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const plain = Buffer.from(JSON.stringify(value), 'utf8');
    try {
      const c = createCipheriv('aes-256-gcm', key, nonce);
      c.setAAD(bodyAad(name));
      const body = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
      const file = JSON.stringify({ format: 1, key: Buffer.from(this.master.wrap(key, keyAad(name))).toString('base64'), nonce: nonce.toString('base64'), body: body.toString('base64') });
      const path = join(this.dir, name);
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      replaceFile(path, Buffer.from(file), 0o600);
    } catch (e) {
      if (e instanceof ClientFailure) throw e;
      throw new ClientFailure('io', `${name} could not be written (${ioReason(e)}); nothing was changed.`);
    } finally {
      key.fill(0);
      plain.fill(0);
    }
  }

  /** The value, or undefined when the file does not exist; a file that does not open is store-damaged. */
  read(name: string): unknown {
    const path = join(this.dir, name);
    if (!existsSync(path)) return undefined;
    const damaged = (why: string): never => {
      throw new ClientFailure('store-damaged', `${name} in the client folder is damaged (${why}).`);
    };
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch {
      return damaged('it is not JSON');
    }
    if (typeof o !== 'object' || o === null || o.format !== 1 || typeof o.key !== 'string' || typeof o.nonce !== 'string' || typeof o.body !== 'string') damaged('it is not a sealed file of format 1');
    const body = Buffer.from(o.body as string, 'base64');
    const nonce = Buffer.from(o.nonce as string, 'base64');
    if (nonce.length !== 12 || body.length < 16) damaged('its lengths are wrong');
    let key: Uint8Array;
    try {
      key = this.master.unwrap(Buffer.from(o.key as string, 'base64'), keyAad(name));
    } catch {
      return damaged('its key does not unwrap under the client master key');
    }
    let plain: Buffer;
    try {
      const d = createDecipheriv('aes-256-gcm', key, nonce);
      d.setAAD(bodyAad(name));
      d.setAuthTag(body.subarray(body.length - 16));
      plain = Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]);
    } catch {
      return damaged('it does not authenticate');
    } finally {
      key.fill(0);
    }
    try {
      return JSON.parse(plain.toString('utf8')) as unknown;
    } catch {
      return damaged('its content is not JSON');
    } finally {
      plain.fill(0);
    }
  }
}
