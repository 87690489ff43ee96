// Replacing a small file whole, so that a crash leaves either the old content or the new, never a mix:
// a temporary file beside it, written and fsynced; then renamed over it and the folder fsynced.
// In two steps, so that a caller can record the change (in the ledger) between them.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

export interface PreparedReplacement {
  /** Puts the new file in place (rename, then fsync of the folder). */
  commit(): void;
  /** Removes the temporary file; the file is as it was. */
  abandon(): void;
}

/** Writes all of `body` at the file's position: one write(2) may take fewer bytes than it is given. */
export function writeAllSync(fd: number, body: Uint8Array): void {
  let off = 0;
  while (off < body.length) off += writeSync(fd, body, off);
}

/** Writes `body` into a synced temporary file beside `path`; `commit` puts it in place. Throws the system error. */
export function prepareReplacement(path: string, body: Uint8Array, mode = 0o600): PreparedReplacement {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const remove = (): void => {
    try {
      unlinkSync(tmp);
    } catch {
      // Already gone.
    }
  };
  try {
    const fd = openSync(tmp, 'wx', mode);
    try {
      writeAllSync(fd, body);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    remove();
    throw e;
  }
  let done = false;
  return {
    commit() {
      if (done) return;
      done = true;
      try {
        renameSync(tmp, path);
      } catch (e) {
        remove();
        throw e;
      }
      fsyncDir(dirname(path));
    },
    abandon() {
      if (done) return;
      done = true;
      remove();
    },
  };
}

export function replaceFile(path: string, body: Uint8Array, mode = 0o600): void {
  prepareReplacement(path, body, mode).commit();
}

/** Makes a rename or a new file in dir durable. Some file systems refuse fsync on a folder: the change itself has happened. */
export function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // See above.
  }
}
