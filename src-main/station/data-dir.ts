// The station's data directory: created 0700, and held by one station process at a time through a
// lock file, because two processes appending to one ledger could allocate the same bytes twice.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { StationFailure } from '../../src-shared/api/result';

export const LOCK_FILE = 'station.lock';

export interface DataDirLock {
  release(): void;
}

export function prepareDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  } catch (e) {
    throw new StationFailure('data-dir', `The data directory ${dir} cannot be created (${(e as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the data directory's lock; a lock left by a process that no longer runs is taken over. */
export function lockDataDir(dir: string): DataDirLock {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          try {
            if (readFileSync(path, 'utf8') === String(process.pid)) unlinkSync(path);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new StationFailure('data-dir', `The data directory ${dir} cannot be locked (${(e as NodeJS.ErrnoException).code ?? 'error'}).`);
      const holder = Number.parseInt(existsSync(path) ? readFileSync(path, 'utf8') : '', 10);
      if (Number.isSafeInteger(holder) && holder > 0 && alive(holder)) {
        throw new StationFailure('data-dir-locked', `Another station process (pid ${holder}) is using ${dir}; close it first.`);
      }
      try {
        unlinkSync(path);
      } catch {
        /* raced with its owner's release */
      }
    }
  }
  throw new StationFailure('data-dir-locked', `The data directory ${dir} could not be locked.`);
}
