// The station's data directory: created 0700, and held by one station process at a time through a
// lock file, because two processes appending to one ledger could allocate the same bytes twice.
import { accessSync, chmodSync, constants, linkSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve, sep } from 'node:path';
import { StationFailure } from '../src-shared/api/result';
import { ioReason } from './io-reason';

export const LOCK_FILE = 'station.lock';

export interface DataDirLock {
  release(): void;
}

/** Kernel pseudo-filesystems: nothing can be kept there, and Node 20's recursive mkdir under /proc never returns. */
const PSEUDO_ROOTS = ['/proc', '/sys', '/dev'];

const under = (path: string, root: string): boolean => path === root || path.startsWith(root + sep);

/** The deepest part of a path that exists, with symbolic links resolved. */
function existingAncestor(path: string): string {
  let at = resolve(path);
  for (;;) {
    try {
      return realpathSync(at);
    } catch {
      const up = dirname(at);
      if (up === at) return at;
      at = up;
    }
  }
}

/**
 * Checks, before anything is created or opened, that `dir` can be a data directory: not inside a
 * kernel pseudo-filesystem, not a file, and (when it does not exist yet) under a directory this user
 * can write. Refuses at once with one plain sentence.
 */
export function checkDataDirPath(dir: string): void {
  const near = existingAncestor(dir);
  const inPseudo = (p: string): boolean => PSEUDO_ROOTS.some((r) => under(p, r)) && !under(p, '/dev/shm'); // /dev/shm is an ordinary tmpfs
  if (inPseudo(resolve(dir)) || inPseudo(near)) {
    throw new StationFailure('data-dir', `${dir} is inside a system folder (${PSEUDO_ROOTS.join(', ')}) and cannot hold a station; choose a folder on a disk.`);
  }
  let stat;
  try {
    stat = statSync(near);
  } catch {
    throw new StationFailure('data-dir', `${dir} cannot be used as a station folder.`);
  }
  if (!stat.isDirectory()) throw new StationFailure('data-dir', `${near === resolve(dir) ? dir : near} is a file, not a folder; choose a folder for the station.`);
}

export function prepareDataDir(dir: string): void {
  checkDataDirPath(dir);
  const near = existingAncestor(dir);
  try {
    if (near !== resolve(dir)) accessSync(near, constants.W_OK);
  } catch {
    throw new StationFailure('data-dir', `The station folder ${dir} cannot be created: you may not write in ${near}.`);
  }
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  } catch (e) {
    throw new StationFailure('data-dir', `The station folder ${dir} cannot be created (${ioReason(e)}).`);
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

function readHolder(path: string): number | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    return /^[1-9][0-9]{0,9}$/.test(text) ? Number(text) : Number.NaN;
  } catch {
    return undefined; // gone
  }
}

const held = (dir: string, holder: number): StationFailure =>
  Number.isNaN(holder)
    ? new StationFailure('data-dir-locked', `The lock file in ${dir} is unreadable; if no station process runs there, remove ${LOCK_FILE}.`)
    : new StationFailure('data-dir-locked', `Another station process (pid ${holder}) is using ${dir}; close it first.`);

/**
 * Takes the data directory's lock. The lock file appears with its content in one step (a finished
 * temporary file hard-linked into place), so no process ever reads an empty lock. A lock whose process
 * no longer runs is moved aside under a unique name and checked before it is removed, so two processes
 * taking over the same stale lock cannot both win.
 */
export function lockDataDir(dir: string): DataDirLock {
  const path = join(dir, LOCK_FILE);
  const mine = String(process.pid);
  for (let attempt = 0; attempt < 3; attempt++) {
    const tmp = join(dir, `.${LOCK_FILE}.${mine}.${randomBytes(6).toString('hex')}`);
    try {
      writeFileSync(tmp, mine, { mode: 0o600, flag: 'wx' });
      linkSync(tmp, path);
      unlinkSync(tmp);
      return ownLock(path, mine);
    } catch (e) {
      rmSync(tmp, { force: true });
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new StationFailure('data-dir', `The station folder ${dir} cannot be locked (${ioReason(e)}).`);
    }
    const holder = readHolder(path);
    if (holder === undefined) continue; // released meanwhile
    if (Number.isNaN(holder) || alive(holder)) throw held(dir, holder);
    const aside = join(dir, `.${LOCK_FILE}.stale.${randomBytes(6).toString('hex')}`);
    try {
      renameSync(path, aside);
    } catch {
      continue; // someone else moved it first
    }
    if (readHolder(aside) !== holder) {
      // Between our look and the move, another process took the lock over: give it back.
      try {
        linkSync(aside, path);
      } catch {
        /* a third process holds it now */
      }
      rmSync(aside, { force: true });
      continue;
    }
    rmSync(aside, { force: true });
  }
  throw new StationFailure('data-dir-locked', `The data directory ${dir} could not be locked.`);
}

function ownLock(path: string, mine: string): DataDirLock {
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      if (readHolder(path) === Number(mine)) rmSync(path, { force: true });
    },
  };
}
