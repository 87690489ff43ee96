// Plain failures (issue S4): read-only commands create nothing; a path that cannot be a data directory
// is refused at once; an unreadable settings file is called unreadable; usage errors exit 2 and are
// JSON under --json.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/cli/run';
import { openStation } from '../../src-main/station/station';
import { tempDir } from '../support/station';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { io: { out: (l) => (out += l + '\n'), err: (l) => (err += l + '\n') } });
  return { code, out, err };
}
const passFile = (): string => {
  const f = join(tempDir('dske-plain-pass-'), 'p');
  writeFileSync(f, 'a plain passphrase\n');
  return f;
};

describe('plain failures', () => {
  it('pool status on a missing directory says so and leaves nothing behind', async () => {
    const missing = join(tempDir('dske-plain-'), 'mistyped', 'path');
    const r = await cli('--data-dir', missing, '--json', '--operator', 'Ada Admin', '--passphrase-file', passFile(), 'pool', 'status');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error.code).toBe('no-data-dir');
    expect(existsSync(join(missing, '..'))).toBe(false);
  });

  it('read-only commands change nothing in an existing station', async () => {
    const dir = join(tempDir('dske-plain-'), 'station');
    const pass = passFile();
    expect((await cli('--data-dir', dir, 'init', '--admin', 'Ada Admin', '--passphrase-file', pass)).code).toBe(0);
    const snapshot = (): string => readdirSync(dir).sort().map((f) => `${f}:${statSync(join(dir, f)).size}:${statSync(join(dir, f)).mtimeMs}`).join('\n');
    const before = snapshot();
    for (const cmd of [['pool', 'status'], ['ledger', 'show'], ['ledger', 'verify'], ['sources', 'list'], ['operators', 'list']]) {
      expect((await cli('--data-dir', dir, '--operator', 'Ada Admin', '--passphrase-file', pass, ...cmd)).code, cmd.join(' ')).not.toBe(2);
    }
    expect(snapshot()).toBe(before);
  });

  it('refuses /proc/x within a second, creating nothing', async () => {
    const started = Date.now();
    const r = await cli('--data-dir', '/proc/x', '--json', 'init', '--admin', 'Ada Admin', '--passphrase-file', passFile());
    expect(Date.now() - started).toBeLessThan(1000);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error).toMatchObject({ code: 'data-dir', message: expect.stringContaining('system folder') });
    expect(() => openStation({ dataDir: '/sys/kernel/x', host: 'test' })).toThrow(/system folder/);
  });

  it('calls a settings file that cannot be read unreadable, not "not valid JSON"', () => {
    const dir = tempDir('dske-plain-');
    mkdirSync(join(dir, 'station.json'));
    expect(() => openStation({ dataDir: dir, host: 'test' })).toThrow(/cannot be read \(it is a folder\)/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a file where a folder should be', () => {
    const dir = tempDir('dske-plain-');
    writeFileSync(join(dir, 'file'), 'x');
    expect(() => openStation({ dataDir: join(dir, 'file', 'station'), host: 'test' })).toThrow(/is a file, not a folder/);
  });

  it('answers usage errors with exit 2, as JSON under --json', async () => {
    for (const argv of [['--json', 'pool', 'explode'], ['--json', '--frobnicate'], ['--json'], ['--json', 'pool', 'status']]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(JSON.parse(r.out)).toMatchObject({ ok: false, error: { code: 'usage' } });
    }
  });
});
