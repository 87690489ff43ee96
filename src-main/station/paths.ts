// Where a path really is: resolved against links through the longest part of it that exists, so that
// `a/./b`, `a//b` and a symbolic link to `a` are all seen as `a/b`. The station compares paths this way
// (never as strings): the PSRD's target against its data directory and against the folder its client's
// initial keys went to, and every file it writes for someone outside it against its data directory.
import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { StationFailure } from '../../src-shared/api/result';
import { ioReason } from '../../src-node/io-reason';

export function resolvedPath(path: string): string {
  let head = resolve(path);
  const tail: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(head), ...tail.reverse());
    } catch {
      const parent = dirname(head);
      if (parent === head) return resolve(path);
      tail.push(basename(head));
      head = parent;
    }
  }
}

/** Whether `path` is `folder` or anywhere below it, compared as written (made absolute) and with links followed. */
export function isInside(path: string, folder: string): boolean {
  const within = (p: string, f: string): boolean => {
    const r = relative(f, p);
    return r === '' || (r !== '..' && !r.startsWith(`..${sep}`) && !isAbsolute(r));
  };
  return within(resolve(path), resolve(folder)) || within(resolvedPath(path), resolvedPath(folder));
}

/** System trees no package belongs in (virtual file systems: writing there fails oddly or lands in memory). */
export const SYSTEM_TREES = ['/proc', '/sys', '/dev', '/run/udev'] as const;

/**
 * A new file the station writes for someone outside it (an export, a checkpoint, a registration, a
 * report file, a shipment): an absolute path, in a folder that exists, not over a file already there,
 * and outside the data directory — a file there could be taken for one of the station's own (a
 * `ledger-000002.jsonl` would stop the next start). Refused before anything is written; the path made
 * absolute is returned.
 */
export function checkOutPath(dataDir: string, path: string, what = 'file'): string {
  if (!isAbsolute(path)) throw new StationFailure('bad-request', `The ${what} must be named by its full path (it was "${path}").`);
  const target = resolve(path);
  if (isInside(target, dataDir)) throw new StationFailure('bad-request', `${path} is inside the station's data directory; choose a place outside it.`);
  if (existsSync(target)) throw new StationFailure('bad-request', `${path} already exists; the ${what} is never written over a file. Choose another name.`);
  let folder: ReturnType<typeof statSync>;
  try {
    folder = statSync(dirname(target));
  } catch (e) {
    throw new StationFailure('io', `The folder ${dirname(target)} cannot be used (${ioReason(e)}); nothing was written.`);
  }
  if (!folder.isDirectory()) throw new StationFailure('io', `${dirname(target)} is not a folder; nothing was written.`);
  return target;
}
