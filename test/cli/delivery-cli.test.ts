// The desk's path through the CLI alone (issue S6, part 6): a client created, its initial keys exported,
// PSRD delivered to a file, the record reconciled, exported as CSV, and what waits for the Security
// Server; each refusal with its code and exit status, and the roles each command needs.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, runCli } from '../../src-main/cli/run';
import { openStation } from '../../src-main/station/station';
import { openPackage } from '../../src-shared/psrd/package-reader';
import { nobleCipher } from '../../src-shared/psrd/package-cipher';
import { enrolPeople, OP, passphraseFiles, PEOPLE, tempDir } from '../support/station';

let dir: string;
let out: string;
let files: Record<string, string>;
beforeAll(async () => {
  dir = join(tempDir('dske-cli-deliver-'), 'station');
  out = tempDir('dske-cli-deliver-out-');
  files = passphraseFiles(tempDir('dske-cli-deliver-pass-'));
  const station = openStation({ dataDir: dir, host: 'test', mode: 'create', policy: { segmentBytes: 1 << 20, chunkBytes: 64 * 1024 } });
  await enrolPeople(station);
  await station.handlers.pool.generate({ bytes: 4 << 20, sources: ['os'] }, OP);
  await station.close();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
});

const as = (name: string): string[] => ['--data-dir', dir, '--operator', name, '--passphrase-file', files[name]];

async function cli(who: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let o = '';
  let e = '';
  const code = await runCli([...as(who), ...argv], { io: { out: (l) => (o += l + '\n'), err: (l) => (e += l + '\n') } });
  return { code, out: o, err: e };
}

describe('clients and delivery from the command line', () => {
  it('creates, exports, delivers, reconciles, exports CSV and shows what waits', async () => {
    const desk = PEOPLE.desk.name;
    const created = await cli(desk, '--json', 'clients', 'create', '--name', 'Katherine Johnson');
    expect(created.code).toBe(EXIT_OK);
    const client = JSON.parse(created.out).value.client as string;
    expect(client).toBe('c-000001');
    expect((await cli(desk, 'clients', 'export-keys', client, '--to', `file:${join(out, 'k.keys')}`)).code).toBe(EXIT_OK);
    const d = await cli(desk, '--json', 'deliver', '--client', client, '--bytes', '200KiB', '--to', `file:${join(out, 'k.pkg')}`);
    expect(d.code).toBe(EXIT_OK);
    const result = JSON.parse(d.out).value;
    const ik = readFileSync(join(out, 'k.keys'));
    const opened = openPackage(readFileSync(join(out, 'k.pkg')), ik.subarray(ik.length - 96, ik.length - 32), nobleCipher);
    expect(opened.psrd.length).toBe(200 * 1024);
    expect(opened.header.package).toBe(result.package);

    const auditor = PEOPLE.auditor.name;
    const rec = await cli(auditor, 'ledger', 'reconcile');
    expect(rec.code).toBe(EXIT_OK);
    expect(rec.out).toMatch(/Reconciled/);
    expect((await cli(auditor, 'ledger', 'export', '--csv', join(out, 'a.csv'))).code).toBe(EXIT_OK);
    const csv = readFileSync(join(out, 'a.csv'), 'utf8').trim().split('\r\n');
    expect(csv[0]).toMatch(/^reserved_at,settled_at,allocation,client/);
    expect(csv.slice(1).map((l) => l.split(',')[4])).toEqual(['initial-keys', 'psrd']);
    expect(csv.join('\n')).not.toMatch(/Katherine/);
    const sync = await cli(desk, 'sync', 'status');
    expect(sync.out).toMatch(/2 range report\(s\)/);
    const shown = await cli(desk, 'clients', 'show', client);
    expect(shown.out).toMatch(/Katherine Johnson/);
    expect(shown.out).toMatch(new RegExp(result.package));
  });

  it('refuses with the right code and exit status, and enforces roles', async () => {
    const desk = PEOPLE.desk.name;
    expect((await cli(desk, 'deliver', '--client', 'c-000001', '--bytes', 'lots', '--to', 'file:/tmp/x')).code).toBe(EXIT_USAGE);
    expect((await cli(desk, 'deliver', '--client', 'c-000001', '--to', 'file:/tmp/x')).code).toBe(EXIT_USAGE);
    const unknown = await cli(desk, '--json', 'deliver', '--client', 'c-000099', '--bytes', '1KiB', '--to', `file:${join(out, 'u.pkg')}`);
    expect(unknown.code).toBe(EXIT_FAILED);
    expect(JSON.parse(unknown.out).error.code).toBe('unknown-client');
    const medium = await cli(desk, '--json', 'deliver', '--client', 'c-000001', '--bytes', '1KiB', '--to', 'tape:/dev/st0');
    expect(JSON.parse(medium.out).error.code).toBe('bad-request');
    // An auditor reads; a desk clerk does not resume a client or reconcile.
    expect(JSON.parse((await cli(PEOPLE.auditor.name, '--json', 'clients', 'create')).out).error.code).toBe('not-permitted');
    expect(JSON.parse((await cli(desk, '--json', 'ledger', 'reconcile')).out).error.code).toBe('not-permitted');
    expect((await cli(desk, 'clients', 'suspend', 'c-000001', '--reason', 'left the company')).code).toBe(EXIT_OK);
    expect(JSON.parse((await cli(desk, '--json', 'clients', 'resume', 'c-000001')).out).error.code).toBe('not-permitted');
    const suspended = await cli(desk, '--json', 'deliver', '--client', 'c-000001', '--bytes', '1KiB', '--to', `file:${join(out, 's.pkg')}`);
    expect(JSON.parse(suspended.out).error.code).toBe('client-suspended');
  });
});
