// Writes a document handed out (a receipt, a report batch) to a new file: never over an existing one, fsynced.
// A file that holds keys (a registration file) is written readable by its owner only.
import { closeSync, constants, fsyncSync, openSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import { StationFailure } from '../src-shared/api/result';
import { fsyncDir, writeAllSync } from './atomic-file';
import { ioReason } from './io-reason';

export function writeNewFile(path: string, body: Uint8Array, mode = 0o644): void {
  if (!isAbsolute(path)) throw new StationFailure('bad-request', `The file must be an absolute path (it was "${path}").`);
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new StationFailure('bad-request', `${path} already exists; the station never writes over a file. Choose another name.`);
    throw new StationFailure('io', `${path} cannot be created (${ioReason(e)}).`);
  }
  try {
    writeAllSync(fd, body);
    fsyncSync(fd);
  } catch (e) {
    throw new StationFailure((e as NodeJS.ErrnoException).code === 'ENOSPC' ? 'disk-full' : 'io', `${path} could not be written (${ioReason(e)}).`);
  } finally {
    closeSync(fd);
  }
  fsyncDir(dirname(path));
}
