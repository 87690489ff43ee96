// The desk's path through the CLI alone (issues S6 and S7): an application, the identity check, the
// client registered, its initial keys handed over, PSRD delivered to a file, "I'm here", the hand
// receipt verified (and an altered copy refused), the record reconciled, exported as CSV, and what waits
// for the Security Server; each refusal with its code and exit status, and the roles each command needs.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { presenceCode } from '../../src-shared/enrolment/presence-code';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, runCli } from '../../src-main/cli/run';
import { openStation } from '../../src-main/station/station';
import { openPackage } from '../../src-shared/psrd/package-reader';
import { nobleCipher } from '../../src-shared/psrd/package-cipher';
import { enrolPeople, OP, passphraseFiles, PEOPLE, tempDir } from '../support/station';
import { shipWholePool } from '../support/server';

let dir: string;
let out: string;
let files: Record<string, string>;
beforeAll(async () => {
  dir = join(tempDir('dske-cli-deliver-'), 'station');
  out = tempDir('dske-cli-deliver-out-');
  files = passphraseFiles(tempDir('dske-cli-deliver-pass-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'station.json'), JSON.stringify({ delivery: { twoPersonAboveBytes: 100_000 } }));
  const station = openStation({ dataDir: dir, host: 'test', mode: 'create', policy: { segmentBytes: 1 << 20, chunkBytes: 64 * 1024 } });
  await enrolPeople(station);
  await station.handlers.pool.generate({ bytes: 4 << 20, sources: ['os'] }, OP);
  await shipWholePool(station);
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
    const applied = await cli(desk, '--json', 'enrol', 'apply', '--name', 'Katherine Johnson', '--medium', 'file');
    expect(applied.code).toBe(EXIT_OK);
    const app = JSON.parse(applied.out).value.application as string;
    const numberFile = join(out, 'number');
    writeFileSync(numberFile, 'P1234567\n');
    const checks = ['photo-matches', 'not-expired', 'mrz-consistent', 'name-matches'].flatMap((c) => ['--check', c]);
    expect((await cli(desk, 'enrol', 'check-identity', app, '--document', 'passport', ...checks, '--outcome', 'accepted', '--number-file', numberFile)).code).toBe(EXIT_OK);
    const registered = await cli(desk, '--json', 'enrol', 'register', app);
    const client = JSON.parse(registered.out).value.client as string;
    expect(client).toBe('c-000001');
    // Before the keys are handed over, no PSRD leaves.
    expect(JSON.parse((await cli(desk, '--json', 'deliver', '--client', client, '--bytes', '1KiB', '--to', `file:${join(out, 'early.pkg')}`)).out).error.code).toBe('wrong-step');
    mkdirSync(join(out, 'envelope'));
    expect((await cli(desk, 'enrol', 'hand-over-keys', app, '--to', `file:${join(out, 'envelope', 'k.keys')}`)).code).toBe(EXIT_OK);
    const d = await cli(desk, '--json', 'deliver', '--client', client, '--bytes', '50KiB', '--to', `file:${join(out, 'k.pkg')}`);
    expect(d.code).toBe(EXIT_OK);
    const result = JSON.parse(d.out).value;
    const ik = readFileSync(join(out, 'envelope', 'k.keys'));
    const opened = openPackage(readFileSync(join(out, 'k.pkg')), ik.subarray(ik.length - 96, ik.length - 32), nobleCipher);
    expect(opened.psrd.length).toBe(50 * 1024);
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
    // "I'm here": a wrong code is refused and changes nothing; the client's own code is accepted.
    expect(JSON.parse((await cli(desk, '--json', 'enrol', 'present', app, '--code', '00000000')).out).error.code).toBe('presence-mismatch');
    const code = presenceCode(ik.subarray(ik.length - 96, ik.length - 32), 'hub', client);
    expect((await cli(desk, 'enrol', 'present', app, '--code', code)).code).toBe(EXIT_OK);
    const receipt = join(out, 'receipt.pdf');
    expect((await cli(desk, 'enrol', 'receipt', app, '--package', result.package, '--to', `file:${receipt}`)).code).toBe(EXIT_OK);
    // A package ID used again: one receipt per delivery, and a loss reported once.
    const twice = await cli(desk, '--json', 'enrol', 'receipt', app, '--package', result.package, '--to', `file:${join(out, 'receipt2.pdf')}`);
    expect(JSON.parse(twice.out).error.message).toMatch(/already has its receipt/);
    const verified = await cli(auditor, 'receipts', 'verify', receipt);
    expect(verified.code).toBe(EXIT_OK);
    const altered = readFileSync(receipt);
    altered[Math.floor(altered.length / 2)] ^= 1;
    writeFileSync(join(out, 'altered.pdf'), altered);
    expect((await cli(auditor, 'receipts', 'verify', join(out, 'altered.pdf'))).code).toBe(EXIT_FAILED);
    expect((await cli(desk, 'enrol', 'show', app)).out).toMatch(/receipted/);
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
    // A client created without an identity check gets no PSRD.
    const bare = JSON.parse((await cli(desk, '--json', 'clients', 'create')).out).value.client as string;
    expect(JSON.parse((await cli(desk, '--json', 'deliver', '--client', bare, '--bytes', '1KiB', '--to', `file:${join(out, 'bare.pkg')}`)).out).error.code).toBe('identity-not-checked');
    // A client ID is never reused: a registration that fails (the keystore broken under the station) burns its ID.
    const app = JSON.parse((await cli(desk, '--json', 'enrol', 'apply', '--name', 'Evelyn Boyd', '--medium', 'file')).out).value.application as string;
    const numberFile = join(out, 'number3');
    writeFileSync(numberFile, 'P7777777\n');
    const checks = ['photo-matches', 'not-expired', 'mrz-consistent', 'name-matches'].flatMap((c) => ['--check', c]);
    expect((await cli(desk, 'enrol', 'check-identity', app, '--document', 'passport', ...checks, '--outcome', 'accepted', '--number-file', numberFile)).code).toBe(EXIT_OK);
    const keystore = join(dir, 'keystore');
    renameSync(keystore, `${keystore}.away`);
    writeFileSync(keystore, 'not a folder');
    expect((await cli(desk, 'enrol', 'register', app)).code).toBe(EXIT_FAILED);
    rmSync(keystore);
    renameSync(`${keystore}.away`, keystore);
    const next = JSON.parse((await cli(desk, '--json', 'enrol', 'register', app)).out).value.client as string;
    expect(Number(next.slice(2))).toBe(Number(bare.slice(2)) + 2);
    expect(JSON.parse((await cli(desk, '--json', 'ledger', 'reconcile')).out).error.code).toBe('not-permitted');
    expect((await cli(desk, 'clients', 'suspend', 'c-000001', '--reason', 'left the company')).code).toBe(EXIT_OK);
    expect(JSON.parse((await cli(desk, '--json', 'clients', 'resume', 'c-000001')).out).error.code).toBe('not-permitted');
    const suspended = await cli(desk, '--json', 'deliver', '--client', 'c-000001', '--bytes', '1KiB', '--to', `file:${join(out, 's.pkg')}`);
    expect(JSON.parse(suspended.out).error.code).toBe('client-suspended');
  });

  it('above the threshold: a second person through --approver, never the operator who checked the identity', async () => {
    const otto = PEOPLE.operator.name;
    const app = JSON.parse((await cli(otto, '--json', 'enrol', 'apply', '--name', 'Christine Darden', '--medium', 'file')).out).value.application as string;
    const numberFile = join(out, 'number2');
    writeFileSync(numberFile, 'ID-5550123\n');
    const checks = ['photo-matches', 'not-expired', 'security-features', 'name-matches'].flatMap((c) => ['--check', c]);
    expect((await cli(otto, 'enrol', 'check-identity', app, '--document', 'id-card', ...checks, '--outcome', 'accepted', '--number-file', numberFile)).code).toBe(EXIT_OK);
    const client = JSON.parse((await cli(otto, '--json', 'enrol', 'register', app)).out).value.client as string;
    mkdirSync(join(out, 'envelope2'));
    expect((await cli(otto, 'enrol', 'hand-over-keys', app, '--to', `file:${join(out, 'envelope2', 'c.keys')}`)).code).toBe(EXIT_OK);
    const desk = PEOPLE.desk.name;
    const big = (f: string, ...more: string[]): Promise<{ code: number; out: string }> => cli(desk, '--json', ...more, 'deliver', '--client', client, '--bytes', '200KiB', '--to', `file:${join(out, f)}`);
    expect(JSON.parse((await big('big1.pkg')).out).error.code).toBe('approval-required');
    expect(JSON.parse((await big('big2.pkg', '--approver', otto, '--approver-passphrase-file', files[otto])).out).error.code).toBe('same-person');
    const sam = PEOPLE.second.name;
    const ok = await big('big3.pkg', '--approver', sam, '--approver-passphrase-file', files[sam]);
    expect(ok.code).toBe(EXIT_OK);
    expect((await cli(desk, 'clients', 'inventory', client)).code).toBe(EXIT_FAILED); // a desk clerk does not read the auditors' inventory
    const inv = await cli(PEOPLE.auditor.name, 'clients', 'inventory', client);
    expect(inv.out).toMatch(/delivered/);
  });
});
