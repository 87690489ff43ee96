// Where a path really is: resolved against links through the longest part of it that exists, so that
// `a/./b`, `a//b` and a symbolic link to `a` are all seen as `a/b`. The delivery rules compare paths
// this way (never as strings): the PSRD's target against the station's data directory and against the
// folder its client's initial keys went to.
import { realpathSync } from 'node:fs';
import { dirname, join, relative, resolve, isAbsolute, basename } from 'node:path';

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

/** Whether `path` is `folder` or anywhere below it, both resolved. */
export function isInside(path: string, folder: string): boolean {
  const rel = relative(resolvedPath(folder), resolvedPath(path));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** System trees no package belongs in (virtual file systems: writing there fails oddly or lands in memory). */
export const SYSTEM_TREES = ['/proc', '/sys', '/dev', '/run/udev'] as const;
