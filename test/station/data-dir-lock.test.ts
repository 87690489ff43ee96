// One station process per data directory: two appending to one ledger could hand out the same bytes.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCK_FILE, lockDataDir } from '../../src-node/data-dir';
import { tempDir } from '../support/station';

let dir: string;
beforeEach(() => (dir = tempDir('dske-lock-')));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has certainly exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

describe('the data-directory lock', () => {
  it('is held with the owner’s pid and released', () => {
    const lock = lockDataDir(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(String(process.pid));
    expect(() => lockDataDir(dir)).toThrow(/Another station process/);
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    lockDataDir(dir).release();
  });

  it('takes over a lock left by a process that no longer runs, and leaves no stray files', () => {
    writeFileSync(join(dir, LOCK_FILE), String(deadPid()));
    const lock = lockDataDir(dir);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(String(process.pid));
    expect(readdirSync(dir)).toEqual([LOCK_FILE]);
    lock.release();
  });

  it('treats an empty or unreadable lock as held, and says how to clear it', () => {
    writeFileSync(join(dir, LOCK_FILE), '');
    expect(() => lockDataDir(dir)).toThrow(/lock file .* is unreadable; if no station process runs there, remove station.lock/);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
  });
});
