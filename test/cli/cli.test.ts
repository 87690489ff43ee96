// The CLI over the same core (issue S1, part 7): subcommands, --data-dir, --json, exit codes, --help.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, runCli } from '../../src-main/cli/run';
import { parseArgs, UsageError } from '../../src-main/cli/args';
import { tempDir } from '../support/station';

let dir: string;
beforeEach(() => (dir = tempDir('dske-cli-')));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (l) => (out += l + '\n'), err: (l) => (err += l + '\n') });
  return { code, out, err };
}

describe('dske-station', () => {
  it('prints help with --help and exits 0', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(EXIT_OK);
    expect(r.out).toContain('pool generate --bytes SIZE');
  });

  it('exits 2 with usage for an unknown command or option', async () => {
    expect((await cli('--data-dir', dir, 'pool', 'explode')).code).toBe(EXIT_USAGE);
    expect((await cli('--frobnicate')).code).toBe(EXIT_USAGE);
    expect((await cli()).code).toBe(EXIT_USAGE);
  });

  it('reports an empty pool as JSON', async () => {
    const r = await cli('--data-dir', dir, '--json', 'pool', 'status');
    expect(r.code).toBe(EXIT_OK);
    expect(JSON.parse(r.out)).toMatchObject({ ok: true, value: { unallocatedBytes: 0, segmentCount: 0 } });
  });

  it('generates into the pool and shows it in status and the ledger', async () => {
    const g = await cli('--data-dir', dir, '--json', 'pool', 'generate', '--bytes', '1MiB', '--source', 'os');
    expect(g.code).toBe(EXIT_OK);
    expect(JSON.parse(g.out)).toMatchObject({ ok: true, value: { bytes: 1048576, label: 'computational' } });
    const s = await cli('--data-dir', dir, 'pool', 'status');
    expect(s.out).toContain('1.00 MiB (1048576 bytes)');
    const l = await cli('--data-dir', dir, '--json', 'ledger', 'show');
    expect(JSON.parse(l.out).value.map((e: { type: string }) => e.type)).toEqual(['pool.generation-started', 'pool.segment-added', 'pool.generation-finished']);
    expect((await cli('--data-dir', dir, 'ledger', 'verify')).out).toContain('Ledger verified: 3 entries');
  });

  it('refuses a malformed size with exit 2 and changes nothing', async () => {
    const r = await cli('--data-dir', dir, 'pool', 'generate', '--bytes', '4 elephants');
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.err).toContain('is not a size');
    expect(JSON.parse((await cli('--data-dir', dir, '--json', 'ledger', 'show')).out).value).toEqual([]);
  });

  it('exits 1 with the error code when the station refuses', async () => {
    const r = await cli('--data-dir', dir, '--json', 'pool', 'generate', '--bytes', '1024', '--source', 'usb:0000:0000');
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
    const r = await cli('--data-dir', dir, 'sources', 'test', 'os');
    expect(r.code).toBe(EXIT_OK);
    expect(r.out).toContain('PASSED');
  });

  it('exits 1 when the tested source fails, and latches it', async () => {
    const device = join(dir, 'stuck');
    writeFileSync(device, Buffer.alloc(1 << 16, 9));
    const r = await cli('--data-dir', dir, 'sources', 'test', `file:${device}`);
    expect(r.code).toBe(EXIT_FAILED);
    expect(r.out).toContain('FAILED');
    const listed = JSON.parse((await cli('--data-dir', dir, '--json', 'sources', 'list')).out);
    expect(listed.value.sources.find((s: { spec: string }) => s.spec === `file:${device}`)).toMatchObject({ state: 'failed' });
  });

  it('requires the operator’s name to acknowledge, and a latched source to acknowledge', async () => {
    expect((await cli('--data-dir', dir, 'sources', 'ack', 'os')).code).toBe(EXIT_USAGE);
    const r = await cli('--data-dir', dir, 'sources', 'ack', 'os', '--operator', 'A. Operator');
    expect(r.code).toBe(EXIT_FAILED);
    expect(r.err).toContain('not latched');
    expect((await cli('--data-dir', dir, 'sources', 'test')).code).toBe(EXIT_USAGE);
  });
});
