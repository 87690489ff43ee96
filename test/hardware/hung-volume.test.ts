// A stick whose file system hangs (failing mid-I/O; here its FUSE daemon stopped with SIGSTOP) must not
// hang the station: each statfs on it holds one of libuv's four pool threads until it returns, so a
// drive list asked for every few seconds (the desk's medium step) would, after four asks, leave every
// asynchronous file access of the station waiting. The listing waits at most a moment for the hung
// mountpoint, says its free space is not known, and never sends a second statfs after the first.
import { readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listDrives } from '../../hardware/carriers/drives';
import { MediaLab, noExfatReason } from '../support/media';

const lab = noExfatReason ? undefined : new MediaLab('dske-hung-');
let daemon: number | undefined;
afterAll(() => {
  if (daemon) process.kill(daemon, 'SIGCONT');
  lab?.cleanup();
});

describe.skipIf(noExfatReason)('a stick whose file system hangs', () => {
  it('is listed with its free space unknown, and the station keeps its file access', async () => {
    const v = lab!.makeVolume('exfat', 16);
    const before = (await listDrives()).find((d) => d.device === v.dev);
    expect(before?.freeBytes).toBeGreaterThan(0);
    const line = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
      .split('\n')
      .find((l) => l.includes('mount.exfat-fuse') && l.trim().endsWith(` ${v.mnt}`));
    daemon = Number(line!.trim().split(/\s+/)[0]);
    process.kill(daemon, 'SIGSTOP');
    // Six listings at once and two after, more than the pool has threads: each answers, the stick in it
    // with no free space known.
    const lists = [...(await Promise.all(Array.from({ length: 6 }, () => listDrives()))), await listDrives(), await listDrives()];
    for (const list of lists) {
      const hung = list.find((d) => d.device === v.dev);
      expect(hung, 'the hung stick is still listed').toBeDefined();
      expect(hung!.freeBytes).toBeUndefined();
    }
    // The pool still has threads for the station's own files.
    const probe = join(lab!.work, 'probe.txt');
    writeFileSync(probe, 'still reading');
    expect(await readFile(probe, 'utf8')).toBe('still reading');
    process.kill(daemon, 'SIGCONT');
    daemon = undefined;
  }, 30_000);
});
