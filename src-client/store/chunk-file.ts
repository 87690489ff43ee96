// One chunk of a hub's PSRD at rest at the client (issue S10, part 2; spec §11.1): the file
// hubs/<hub>/chunks/<id>.psrd holds nonce (12) | ciphertext | GCM tag (16), AES-256-GCM under the
// chunk's own random data key, with the hub, the chunk ID and its length as associated data. The data
// key is kept only wrapped by the client master key, in the hub's state file; dropping it there is what
// destroys the chunk (crypto-erase), and the file is then overwritten and unlinked as a best effort.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MasterKey } from '../../src-node/psrd-store/master-key';
import { writeAllSync } from '../../src-node/atomic-file';
import { overwriteAndUnlink } from '../../src-node/psrd-store/segment-file';

const NONCE = 12;
const TAG = 16;
export const CHUNK_ID = /^k-[0-9a-f]{24}$/;

export const newChunkId = (): string => `k-${randomBytes(12).toString('hex')}`;
export const chunkPath = (chunksDir: string, id: string): string => join(chunksDir, `${id}.psrd`);

const dataAad = (hub: string, id: string, bytes: number): Buffer => Buffer.from(`dske-client psrd chunk v1|${hub}|${id}|${bytes}`, 'utf8');
const keyAad = (hub: string, id: string): Buffer => Buffer.from(`dske-client chunk key v1|${hub}|${id}`, 'utf8');

/** Seals `plain` under a fresh key, writes the file (new, fsynced) and returns the key wrapped by the master key. */
export function writeChunk(chunksDir: string, hub: string, id: string, plain: Uint8Array, master: MasterKey): Uint8Array {
  const key = randomBytes(32);
  const nonce = randomBytes(NONCE);
  try {
    const c = createCipheriv('aes-256-gcm', key, nonce);
    c.setAAD(dataAad(hub, id, plain.length));
    const body = Buffer.concat([nonce, c.update(plain), c.final(), c.getAuthTag()]);
    const fd = openSync(chunkPath(chunksDir, id), 'wx', 0o600);
    try {
      writeAllSync(fd, body);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return master.wrap(key, keyAad(hub, id));
  } finally {
    key.fill(0);
  }
}

/** The chunk's PSRD, or a sentence saying why it cannot be read (the caller owns and wipes the bytes). */
export function readChunk(chunksDir: string, hub: string, id: string, bytes: number, wrappedKey: Uint8Array, master: MasterKey): Uint8Array | string {
  let file: Buffer;
  try {
    file = readFileSync(chunkPath(chunksDir, id));
  } catch {
    return `its file ${id}.psrd is missing or unreadable`;
  }
  if (file.length !== NONCE + bytes + TAG) return `its file ${id}.psrd has the wrong length`;
  let key: Uint8Array;
  try {
    key = master.unwrap(wrappedKey, keyAad(hub, id));
  } catch {
    return `the key of ${id} does not unwrap under the client master key`;
  }
  try {
    const d = createDecipheriv('aes-256-gcm', key, file.subarray(0, NONCE));
    d.setAAD(dataAad(hub, id, bytes));
    d.setAuthTag(file.subarray(NONCE + bytes));
    const plain = d.update(file.subarray(NONCE, NONCE + bytes));
    try {
      d.final();
    } catch {
      plain.fill(0);
      return `${id}.psrd does not authenticate (damaged or altered)`;
    }
    return plain;
  } finally {
    key.fill(0);
  }
}

/** Overwrites and removes a chunk file whose key is gone; never throws (a leftover is removed at the next open). */
export function eraseChunkFile(chunksDir: string, id: string): void {
  try {
    overwriteAndUnlink(chunkPath(chunksDir, id));
  } catch {
    // See above.
  }
}
