// The CLI over the same core (issue S1, part 7): subcommands, --data-dir, --json, exit codes, --help.
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, runCli } from '../../src-main/cli/run';
import { parseArgs, UsageError } from '../../src-main/cli/args';
import { openStation } from '../../src-main/station/station';
import { enrolPeople, passphraseFiles, PEOPLE, tempDir } from '../support/station';

// One station with its accounts, made once and copied for each test (scrypt makes enrolment slow).
let template: string;
let files: Record<string, string>;
beforeAll(async () => {
  template = tempDir('dske-cli-template-');
  files = passphraseFiles(tempDir('dske-cli-pass-'));
  const station = openStation({ dataDir: join(template, 'station'), host: 'test', mode: 'create' });
  await enrolPeople(station);
  await station.close();
});
afterAll(() => rmSync(template, { recursive: true, force: true }));

let dir: string;
beforeEach(() => {
  const root = tempDir('dske-cli-');
  dir = join(root, 'station');
  cpSync(join(template, 'station'), dir, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Global options that sign in as one of PEOPLE. */
const as = (name: string): string[] => ['--operator', name, '--passphrase-file', files[name]];
const op = (): string[] => as(PEOPLE.operator.name);

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { io: { out: (l) => (out += l + '\n'), err: (l) => (err += l + '\n') } });
  return { code, out, err };
}

describe('dske-station', () => {
  it('prints help with --help and exits 0', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(EXIT_OK);
    expect(r.out).toContain('pool generate --bytes SIZE');
  });

  it('exits 2 with usage for an unknown command or option', async () => {
    expect((await cli('--data-dir', dir, ...op(), 'pool', 'explode')).code).toBe(EXIT_USAGE);
    expect((await cli('--frobnicate')).code).toBe(EXIT_USAGE);
    expect((await cli()).code).toBe(EXIT_USAGE);
  });

  it('reports an empty pool as JSON', async () => {
    const r = await cli('--data-dir', dir, ...op(), '--json', 'pool', 'status');
    expect(r.code).toBe(EXIT_OK);
    expect(JSON.parse(r.out)).toMatchObject({ ok: true, value: { unallocatedBytes: 0, segmentCount: 0 } });
  });

  it('generates into the pool and shows it in status and the ledger', async () => {
    const g = await cli('--data-dir', dir, ...op(), '--json', 'pool', 'generate', '--bytes', '1MiB', '--source', 'os');
    expect(g.code).toBe(EXIT_OK);
    expect(JSON.parse(g.out)).toMatchObject({ ok: true, value: { bytes: 1048576, label: 'computational' } });
    const s = await cli('--data-dir', dir, ...op(), 'pool', 'status');
    expect(s.out).toContain('1.00 MiB (1048576 bytes)');
    const l = await cli('--data-dir', dir, ...op(), '--json', 'ledger', 'show');
    const types = JSON.parse(l.out).value.map((e: { type: string }) => e.type);
    expect(types.filter((t: string) => t.startsWith('pool.'))).toEqual(['pool.generation-started', 'pool.segment-added', 'pool.generation-finished']);
    expect(types.slice(-5)).toEqual(['job.started', 'pool.generation-started', 'pool.segment-added', 'pool.generation-finished', 'job.ended']);
    expect((await cli('--data-dir', dir, ...op(), 'ledger', 'verify')).out).toMatch(/Ledger verified: \d+ entries/);
  });

  it('refuses a malformed size with exit 2 and changes nothing', async () => {
    const ledger = async (): Promise<unknown> => JSON.parse((await cli('--data-dir', dir, ...op(), '--json', 'ledger', 'show', '--limit', '1000')).out).value;
    const before = await ledger();
    const r = await cli('--data-dir', dir, ...op(), 'pool', 'generate', '--bytes', '4 elephants');
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.err).toContain('is not a size');
    expect(await ledger()).toEqual(before);
  });

  it('exits 1 with the error code when the station refuses', async () => {
    const r = await cli('--data-dir', dir, ...op(), '--json', 'pool', 'generate', '--bytes', '1024', '--source', 'usb:0000:0000');
    expect(r.code).toBe(EXIT_FAILED);
    expect(JSON.parse(r.out).ok).toBe(false);
  });

  it('parses repeated and inline options', () => {
    const a = parseArgs(['pool', 'generate', '--bytes=4GiB', '--source', 'os', '--source', 'hwrng', '--json']);
    expect(a.command).toEqual(['pool', 'generate']);
    expect(a.options['--source']).toEqual(['os', 'hwrng']);
    expect(a.flags.has('--json')).toBe(true);
    expect(() => parseArgs(['--bytes'])).toThrow(UsageError);
  });
});

describe('dske-station sources', () => {
  it('tests a source and exits 0 when it passes', async () => {
    const r = await cli('--data-dir', dir, ...op(), 'sources', 'test', 'os');
    expect(r.code).toBe(EXIT_OK);
    expect(r.out).toContain('PASSED');
  });

  it('exits 1 when the tested source fails, and latches it', async () => {
    const device = join(dir, 'stuck');
    writeFileSync(device, Buffer.alloc(1 << 16, 9));
    const r = await cli('--data-dir', dir, ...op(), 'sources', 'test', `file:${device}`);
    expect(r.code).toBe(EXIT_FAILED);
    expect(r.out).toContain('FAILED');
    const listed = JSON.parse((await cli('--data-dir', dir, ...op(), '--json', 'sources', 'list')).out);
    expect(listed.value.sources.find((s: { spec: string }) => s.spec === `file:${device}`)).toMatchObject({ state: 'failed' });
  });

  it('requires a second operator to acknowledge, and a latched source to acknowledge', async () => {
    expect((await cli('--data-dir', dir, ...op(), 'sources', 'ack', 'os')).code).toBe(EXIT_USAGE);
    const r = await cli('--data-dir', dir, ...op(), 'sources', 'ack', 'os', '--approver', PEOPLE.second.name, '--approver-passphrase-file', files[PEOPLE.second.name]);
    expect(r.code).toBe(EXIT_FAILED);
    expect(r.err).toContain('not latched');
    expect((await cli('--data-dir', dir, ...op(), 'sources', 'test')).code).toBe(EXIT_USAGE);
  });
});
