// The initial keys exported for a client (issue S6, part 1; spec §11.1), on their own channel, apart
// from any PSRD: a small file (docs/formats.md, "Initial keys file") that a client imports, or that is
// printed for a sealed envelope. Written once, never over an existing file, and fsynced.
import { closeSync, constants, fsyncSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import { createHash } from 'node:crypto';
import { StationFailure } from '../../../src-shared/api/result';
import { fsyncDir } from '../../../src-node/atomic-file';
import { ioReason } from '../../../src-node/io-reason';

const MAGIC = Buffer.from('DSKEIKF1', 'ascii');

/** "DSKEIKF1" | u32 BE header length | header JSON {hub, client, checkValue} | 64 key bytes | SHA-256 of all before. */
export function encodeInitialKeysFile(hub: string, client: string, checkValue: string, keys: Uint8Array): Buffer {
  const header = Buffer.from(JSON.stringify({ format: 1, hub, client, checkValue }), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(header.length);
  const body = Buffer.concat([MAGIC, len, header, keys]);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

export function writeInitialKeysFile(path: string, body: Buffer): void {
  if (!isAbsolute(path)) throw new StationFailure('bad-request', `The file for the initial keys must be an absolute path (it was "${path}").`);
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new StationFailure('medium-not-allowed', `${path} already exists; the station never writes over a file. Choose another name.`);
    if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') throw new StationFailure('medium-read-only', `${path} cannot be written (${ioReason(e)}).`);
    throw new StationFailure('io', `${path} cannot be created (${ioReason(e)}).`);
  }
  try {
    writeSync(fd, body);
    fsyncSync(fd);
    closeSync(fd);
    fsyncDir(dirname(path));
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    try {
      unlinkSync(path);
    } catch {
      // best effort
    }
    const code = (e as NodeJS.ErrnoException).code;
    throw new StationFailure(code === 'ENOSPC' ? 'medium-full' : 'io', `The initial keys could not be written to ${path} (${ioReason(e)}); nothing was kept there.`);
  } finally {
    body.fill(0);
  }
}
