// Where a path really is: resolved against links through the longest part of it that exists, so that
// `a/./b`, `a//b` and a symbolic link to `a` are all seen as `a/b`. The delivery rules compare paths
// this way (never as strings): the PSRD's target against the station's data directory and against the
// folder its client's initial keys went to.
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

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
