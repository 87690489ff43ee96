// Bulk enrolment from the command line (issue S7, part 5): a CSV of applicants, validated whole before
// anything happens, enrolled row by row to file carriers with a per-row report; a run killed midway
// (SIGKILL) and run again on the same file continues, every row enrolled exactly once. DSKE_BULK_ROWS
// sets the size of the big file (the README's figure is for 1,000).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, runCli } from '../../src-main/cli/run';
import type { Ctx } from '../../src-main/station/core';
import { planBulk, removeVoidedLeftover, runBulk } from '../../src-main/station/enrolment/bulk';
import { openStation } from '../../src-main/station/station';
import { presenceCode } from '../../src-shared/enrolment/presence-code';
import { openPackage } from '../../src-shared/psrd/package-reader';
import { nobleCipher } from '../../src-shared/psrd/package-cipher';
import { enrolPeople, OP, openTestStation, passphraseFiles, PEOPLE, tempDir, type TestStation } from '../support/station';
import { enrolClient, keysIn } from '../support/enrol';
import { shipWholePool } from '../support/server';

const ROWS = Number(process.env.DSKE_BULK_ROWS ?? 200);
let dir: string;
let out: string;
let files: Record<string, string>;
beforeAll(async () => {
  dir = join(tempDir('dske-bulk-'), 'station');
  out = tempDir('dske-bulk-out-');
  files = passphraseFiles(tempDir('dske-bulk-pass-'));
  const station = openStation({ dataDir: dir, host: 'test', mode: 'create', policy: { segmentBytes: 4 << 20, chunkBytes: 64 * 1024 } });
  await enrolPeople(station);
  await station.handlers.pool.generate({ bytes: 24 << 20, sources: ['os'] }, OP);
  await shipWholePool(station);
  await station.close();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
});

const signIn = (): string[] => ['--data-dir', dir, '--operator', PEOPLE.operator.name, '--passphrase-file', files[PEOPLE.operator.name]];
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let o = '';
  let e = '';
  const code = await runCli([...signIn(), ...argv], { io: { out: (l) => (o += l + '\n'), err: (l) => (e += l + '\n') } });
  return { code, out: o, err: e };
}

function csv(rows: number, folder: string, start = 0): string {
  mkdirSync(folder, { recursive: true });
  const lines = ['name,document,document_number,checked_by,outcome,reason,medium,bytes,target'];
  for (let i = start; i < start + rows; i++) {
    const refused = i % 25 === 7;
    lines.push([`"Applicant ${i}, Jr."`, 'passport', `P${String(1_000_000 + i)}`, PEOPLE.desk.name, refused ? 'refused' : 'accepted', refused ? 'document expired' : '', 'file', '4KiB', join(folder, `a${i}.pkg`)].join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

describe('bulk enrolment from a CSV', () => {
  it('refuses a file with problems whole, naming each, and does nothing', async () => {
    const bad = join(out, 'bad.csv');
    writeFileSync(bad, csv(3, join(out, 'bad')).replace('passport', 'library-card').replace(PEOPLE.desk.name, 'Nobody Known') + 'x,y\r\n');
    const before = openStation({ dataDir: dir, host: 'test', mode: 'read' });
    const n = before.ledger.length;
    await before.close();
    const r = await cli('enrol', 'bulk', bad, '--keys-dir', join(out, 'bad-keys'));
    expect(r.code).toBe(EXIT_FAILED);
    expect(r.err).toMatch(/nothing was done/);
    expect(r.err).toMatch(/line 2.*document/);
    expect(r.err).toMatch(/line 5/);
    const after = openStation({ dataDir: dir, host: 'test', mode: 'read' });
    expect(after.ledger.length).toBe(n);
    await after.close();
  });

  it('refuses, unread, a file over 32 MiB, and a file that is not UTF-8, naming the file', async () => {
    const big = join(out, 'big-file.csv');
    writeFileSync(big, '');
    truncateSync(big, (32 << 20) + 1);
    const r = await cli('enrol', 'bulk', big, '--keys-dir', join(out, 'big-file-keys'));
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.err).toContain(big);
    expect(r.err).toMatch(/at most 32 MiB/);
    const latin1 = join(out, 'latin1.csv');
    writeFileSync(latin1, Buffer.concat([Buffer.from(`${csv(1, join(out, 'latin1')).split('\r\n')[0]}\r\nJos`), Buffer.from([0xe9]), Buffer.from(`,passport,P7777777,${PEOPLE.desk.name},accepted,,file,4KiB,${join(out, 'latin1', 'x.pkg')}\r\n`)]));
    const bad = await cli('enrol', 'bulk', latin1, '--keys-dir', join(out, 'latin1-keys'));
    expect(bad.code).toBe(EXIT_USAGE);
    expect(bad.err).toContain(latin1);
    expect(bad.err).toMatch(/not valid UTF-8/);
  });

  it(`enrols ${ROWS} applicants to files with a per-row report`, async () => {
    const file = join(out, 'big.csv');
    writeFileSync(file, csv(ROWS, join(out, 'big')));
    const t = performance.now();
    const r = await cli('--json', 'enrol', 'bulk', file, '--keys-dir', join(out, 'big-keys'));
    const seconds = (performance.now() - t) / 1000;
    expect(r.code).toBe(EXIT_OK);
    const result = JSON.parse(r.out).value;
    const refused = Array.from({ length: ROWS }, (_, i) => i).filter((i) => i % 25 === 7).length;
    expect(result).toMatchObject({ enrolled: ROWS - refused, refused, failed: 0, resumed: false });
    console.log(`bulk enrolment: ${ROWS} rows in ${seconds.toFixed(1)} s (${(ROWS / seconds).toFixed(1)} rows/s)`);
    // Each enrolled row's package opens with the keys in its own folder.
    const row = result.rows.find((x: { outcome: string }) => x.outcome === 'enrolled');
    const pkg = readFileSync(join(out, 'big', 'a0.pkg'));
    expect(openPackage(pkg, keysIn(readFileSync(join(out, 'big-keys', `${row.client}.keys`))), nobleCipher).psrd.length).toBe(4096);
    // Run again: nothing is done twice.
    const again = await cli('--json', 'enrol', 'bulk', file, '--keys-dir', join(out, 'big-keys'));
    expect(JSON.parse(again.out).error.message).toMatch(/enrolled already/);
    const rec = await cli('ledger', 'reconcile');
    expect(rec.code).toBe(EXIT_OK);
  }, 600_000);

  it('a run killed midway continues from the same file: every row enrolled exactly once', async () => {
    const file = join(out, 'killed.csv');
    // Enough rows that the run cannot finish before its kill, on a fast machine too (about 16 rows a second here).
    writeFileSync(file, csv(80, join(out, 'killed'), 10_000));
    const keys = join(out, 'killed-keys');
    // Killed after it has started enrolling (sign-in takes ~0.5 s).
    await new Promise<void>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src-main/cli/main.ts', ...signIn(), 'enrol', 'bulk', file, '--keys-dir', keys], { stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 2500);
      child.on('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const r = await cli('--json', 'enrol', 'bulk', file, '--keys-dir', keys);
    expect(r.code, r.out + r.err).toBe(EXIT_OK);
    const result = JSON.parse(r.out).value;
    expect(result.failed).toBe(0);
    expect(result.enrolled + result.refused).toBe(80);
    const station = openStation({ dataDir: dir, host: 'test', mode: 'read' });
    try {
      const bulk = station.core.enrolment.bulks.get(result.digest)!;
      expect(bulk.rows.size).toBe(80);
      const clients = [...bulk.rows.values()].map((a) => station.core.enrolment.byId.get(a)!.client).filter(Boolean);
      expect(new Set(clients).size).toBe(clients.length);
      for (const a of bulk.rows.values()) expect(station.core.enrolment.byId.get(a)!.packages.length).toBeLessThanOrEqual(1);
    } finally {
      await station.close();
    }
    expect(readdirSync(join(out, 'killed')).filter((f) => f.endsWith('.pkg')).length).toBe(result.enrolled);
    expect((await cli('ledger', 'reconcile')).code).toBe(EXIT_OK);
  }, 120_000);
});

// The checks made before anything is done, and the resumed run, through the core (no CLI).
describe('bulk enrolment: everything known wrong is found before anything is done', () => {
  let ts: TestStation;
  let work: string;
  const core = (): TestStation['station']['core'] => ts.station.core;
  const otto: Ctx = { ...OP, operator: { name: PEOPLE.operator.name, roles: ['operator'] } };
  const withSam: Ctx = { ...otto, approver: { name: PEOPLE.second.name, roles: ['operator'] } };
  const HEAD = 'name,document,document_number,checked_by,outcome,reason,medium,bytes,target';
  type Row = { number: string; target?: string; medium?: string; bytes?: number | string; document?: string; outcome?: string; checker?: string };
  const file = (...rows: Row[]): string =>
    [HEAD, ...rows.map((r, i) => [`Person ${i}`, r.document ?? 'passport', r.number, r.checker ?? PEOPLE.desk.name, r.outcome ?? 'accepted', r.outcome === 'refused' ? 'expired' : '', r.medium ?? 'file', r.bytes ?? 4096, r.target ?? ''].join(','))].join('\n') + '\n';
  const plan = (text: string, keysDir: string, ctx: Ctx = otto): ReturnType<typeof planBulk> => planBulk(core(), { csv: text, keysDir }, ctx);
  const problems = (text: string, keysDir: string, ctx: Ctx = otto): string => {
    const n = ts.station.ledger.entries().length;
    try {
      plan(text, keysDir, ctx);
    } catch (e) {
      expect((e as Error).message).toMatch(/nothing was done/);
      expect(ts.station.ledger.entries().length).toBe(n);
      return (e as Error).message;
    }
    throw new Error('expected the file to be refused');
  };

  beforeAll(async () => {
    const dataDir = tempDir('dske-bulk-core-');
    writeFileSync(join(dataDir, 'station.json'), JSON.stringify({ delivery: { twoPersonAboveBytes: 100_000 } }));
    ts = openTestStation({ dataDir });
    await enrolPeople(ts.station);
    await ts.station.handlers.pool.generate({ bytes: 4 << 20, sources: ['os'] }, OP);
    await shipWholePool(ts.station);
    work = tempDir('dske-bulk-core-out-');
  });
  afterAll(async () => {
    await ts.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('a person enrolled already (by another file, an edited copy of it, or at the desk) is refused by row and client ID, never by number', async () => {
    const a = join(work, 'people-a');
    mkdirSync(a);
    const first = file({ number: 'DUP0001', target: join(a, '1.pkg') }, { number: 'DUP0002', target: join(a, '2.pkg') });
    const done = await runBulk(core(), plan(first, join(work, 'people-a-keys')), otto);
    expect(done).toMatchObject({ enrolled: 2, failed: 0 });
    const [c1, c2] = done.rows.map((r) => r.client!);
    // The same people in an edited copy (another digest): refused, whole.
    const b = join(work, 'people-b');
    mkdirSync(b);
    const edited = file({ number: 'dup0001', target: join(b, '1.pkg') }, { number: 'NEW0003', target: join(b, '3.pkg') }, { number: 'DUP0002', target: join(b, '2.pkg') });
    const m = problems(edited, join(work, 'people-b-keys'));
    expect(m).toMatch(new RegExp(`row 1 \\(line 2\\): .*client ${c1}`));
    expect(m).toMatch(new RegExp(`row 3 \\(line 4\\): .*client ${c2}`));
    expect(m).not.toMatch(/row 2 /);
    expect(m.toUpperCase()).not.toMatch(/DUP000|NEW0003/);
    // Someone enrolled at the desk (passport X1234567).
    const desk = await enrolClient(ts.station, otto, { keysDir: join(work, 'desk-keys') });
    expect(problems(file({ number: 'x1234567', target: join(b, '4.pkg') }), join(work, 'people-b-keys'))).toMatch(new RegExp(`row 1 \\(line 2\\): .*client ${desk.client}`));
    // Another document type, or an application withdrawn before registration, is not the same person enrolled.
    const app = await ts.station.handlers.enrolment.apply({ name: 'Withdrawn', medium: 'file' }, otto);
    await ts.station.handlers.enrolment.checkIdentity({ application: app.application, document: 'passport', number: 'WDR0001', checks: ['photo-matches', 'not-expired', 'mrz-consistent', 'name-matches'], outcome: 'accepted' }, otto);
    await ts.station.handlers.enrolment.withdraw({ application: app.application, reason: 'changed their mind' }, otto);
    expect(plan(file({ number: 'WDR0001', target: join(b, '5.pkg') }, { number: 'DUP0001', document: 'id-card', target: join(b, '6.pkg') }), join(work, 'people-b-keys')).rows).toHaveLength(2);
  }, 60_000);

  it('a file or qr target anywhere in the keys folder is refused, however the path is written', () => {
    const keys = join(work, 'k3');
    mkdirSync(join(keys, 'sub'), { recursive: true });
    symlinkSync(keys, join(work, 'k3-link'));
    const cases: [string, Row][] = [
      [`${keys}/`, { number: 'KEY0001', target: join(keys, 'a.pkg') }],
      [`${work}/./k3`, { number: 'KEY0002', target: join(keys, 'b.pkg') }],
      [`${work}//k3`, { number: 'KEY0003', target: join(keys, 'c.pkg') }],
      [keys, { number: 'KEY0004', target: `${keys}//d.pkg` }],
      [keys, { number: 'KEY0005', target: join(keys, 'sub', 'e.pkg') }],
      [keys, { number: 'KEY0006', target: join(keys, 'new', 'f.pkg') }],
      [keys, { number: 'KEY0007', target: join(work, 'k3-link', 'g.pkg') }],
      [join(work, 'k3-link'), { number: 'KEY0008', target: join(keys, 'h.pkg') }],
      [keys, { number: 'KEY0009', medium: 'qr', target: join(keys, 'sub', 'i.pdf') }],
    ];
    for (const [keysDir, row] of cases) expect(problems(file(row), keysDir), `${keysDir} ${row.target}`).toMatch(/row 1 \(line 2\): the PSRD's target is in the folder of the initial keys/);
    // Beside it (a name that starts the same) is apart.
    expect(plan(file({ number: 'KEY0010', target: join(work, 'k3-other', 'x.pkg') }, { number: 'KEY0011', target: join(work, 'k3..x', 'y.pkg') }), keys).rows).toHaveLength(2);
  });

  it('above the two-person threshold a row needs the run\'s approver, not its identity checker; a target that exists is refused', () => {
    const dir = join(work, 'two');
    mkdirSync(dir);
    const keys = join(work, 'two-keys');
    const big = file({ number: 'TWO0001', bytes: 200_000, target: join(dir, 'a.pkg') }, { number: 'TWO0002', bytes: 200_000, outcome: 'refused', medium: 'usb' });
    expect(problems(big, keys)).toMatch(/row 1 \(line 2\): .*two-person threshold/);
    expect(problems(big, keys)).not.toMatch(/row 2/);
    const deeApproves: Ctx = { ...otto, approver: { name: PEOPLE.desk.name.toLowerCase(), roles: ['operator'] } };
    expect(problems(big, keys, deeApproves)).toMatch(/row 1 \(line 2\): .*checked this person's identity/);
    expect(plan(big, keys, withSam).rows).toHaveLength(2);
    // A target already there (a file, or a dangling symlink) on a fresh run.
    writeFileSync(join(dir, 'there.pkg'), 'someone else\'s');
    symlinkSync(join(dir, 'nowhere'), join(dir, 'link.pkg'));
    const m = problems(file({ number: 'TWO0003', target: join(dir, 'there.pkg') }, { number: 'TWO0004', medium: 'qr', bytes: 1000, target: join(dir, 'link.pkg').replace(/pkg$/, 'pdf') }, { number: 'TWO0005', target: join(dir, 'link.pkg') }), keys);
    expect(m).toMatch(/row 1 \(line 2\): .*there\.pkg exists already/);
    expect(m).not.toMatch(/row 2 /);
    expect(m).toMatch(/row 3 \(line 4\): .*link\.pkg exists already/);
    // An unfinished package file beside a file row's target, too.
    writeFileSync(join(dir, 'half.pkg.partial'), 'half');
    expect(problems(file({ number: 'TWO0006', target: join(dir, 'half.pkg') }), keys)).toMatch(/row 1 \(line 2\): .*half\.pkg\.partial exists already/);
  });

  it('a resumed run asks the pool only for the rows still to enrol', async () => {
    const dir = join(work, 'resume');
    mkdirSync(dir);
    writeFileSync(join(dir, 'blocker'), 'a file where the second row wants a folder');
    const have = core().pool.status().unallocatedBytes;
    const bigBytes = Math.floor(have * 0.6);
    const text = file({ number: 'RES0001', bytes: bigBytes, target: join(dir, 'big.pkg') }, { number: 'RES0002', target: join(dir, 'blocker', 'small.pkg') });
    const keys = join(work, 'resume-keys');
    const first = await runBulk(core(), plan(text, keys, withSam), withSam);
    expect(first).toMatchObject({ enrolled: 1, failed: 1 });
    expect(core().pool.status().unallocatedBytes).toBeLessThan(bigBytes + 4096 + 128);
    rmSync(join(dir, 'blocker'));
    mkdirSync(join(dir, 'blocker'));
    const again = await runBulk(core(), plan(text, keys, withSam), withSam);
    expect(again).toMatchObject({ resumed: true, enrolled: 2, failed: 0 });
    expect(core().enrolment.byId.get(again.rows[0].application!)!.packages).toHaveLength(1);
  }, 60_000);

  it('a voided delivery\'s leftover is removed only for file and qr rows, and only when it is a regular file', () => {
    const dir = join(work, 'leftovers');
    mkdirSync(dir);
    const regular = (name: string): string => {
      writeFileSync(join(dir, name), 'left over');
      return join(dir, name);
    };
    // A usb row's target is the drive (a device node); a stand-in regular file shows it is never touched.
    const drive = regular('sdb');
    expect(removeVoidedLeftover('usb', drive)).toBe(false);
    expect(readFileSync(drive, 'utf8')).toBe('left over');
    expect(removeVoidedLeftover('hsm', drive)).toBe(false);
    const pointedAt = regular('precious');
    symlinkSync(pointedAt, join(dir, 'link.pkg'));
    expect(removeVoidedLeftover('file', join(dir, 'link.pkg'))).toBe(false);
    expect(lstatSync(join(dir, 'link.pkg')).isSymbolicLink()).toBe(true);
    expect(readFileSync(pointedAt, 'utf8')).toBe('left over');
    mkdirSync(join(dir, 'folder.pkg'));
    expect(removeVoidedLeftover('file', join(dir, 'folder.pkg'))).toBe(false);
    execFileSync('mkfifo', [join(dir, 'fifo.pdf')]);
    expect(removeVoidedLeftover('qr', join(dir, 'fifo.pdf'))).toBe(false);
    expect(lstatSync(join(dir, 'fifo.pdf')).isFIFO()).toBe(true);
    expect(removeVoidedLeftover('file', join(dir, 'missing.pkg'))).toBe(false);
    for (const [medium, name] of [['file', 'a.pkg'], ['qr', 'b.pdf']] as const) {
      const f = regular(name);
      expect(removeVoidedLeftover(medium, f)).toBe(true);
      expect(existsSync(f)).toBe(false);
    }
    // A file row's delivery killed while writing leaves its unfinished .partial (and nothing at the target).
    const partial = regular('c.pkg.partial');
    expect(removeVoidedLeftover('file', join(dir, 'c.pkg'))).toBe(true);
    expect(existsSync(partial)).toBe(false);
    symlinkSync(pointedAt, join(dir, 'd.pkg.partial'));
    expect(removeVoidedLeftover('file', join(dir, 'd.pkg'))).toBe(false);
    expect(readFileSync(pointedAt, 'utf8')).toBe('left over');
  });
});

describe('the enrolment book: an application is done when every package has its receipt', () => {
  let ts: TestStation;
  let work: string;
  beforeAll(async () => {
    ts = openTestStation();
    await ts.station.handlers.pool.generate({ bytes: 1 << 20, sources: ['os'] }, OP);
    await shipWholePool(ts.station);
    work = tempDir('dske-bulk-book-');
  });
  afterAll(async () => {
    await ts.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('"I\'m here" before a later delivery is not about it; a receipt for one package of two leaves it open', async () => {
    const h = ts.station.handlers;
    const e = await enrolClient(ts.station, OP, { keysDir: join(work, 'keys') });
    mkdirSync(join(work, 'pkg'));
    const d1 = await h.delivery.deliver({ client: e.client, bytes: 1000, to: `file:${join(work, 'pkg', '1.pkg')}` }, OP);
    const code = presenceCode(keysIn(readFileSync(e.keysFile)), ts.station.core.settings.hubId, e.client);
    expect((await h.enrolment.confirmPresence({ application: e.application, code }, OP)).step).toBe('present');
    const d2 = await h.delivery.deliver({ client: e.client, bytes: 1000, to: `file:${join(work, 'pkg', '2.pkg')}` }, OP);
    const step = async (): Promise<string> => (await ts.station.handlers.enrolment.show({ application: e.application }, OP)).step;
    const open = async (): Promise<string[]> => (await ts.station.handlers.enrolment.list({ open: 'yes' }, OP)).map((a) => a.application);
    expect(await step()).toBe('delivered');
    expect((await h.enrolment.show({ application: e.application }, OP)).presentAt).toBeDefined();
    await h.enrolment.receipt({ application: e.application, package: d1.package, to: `file:${join(work, 'r1.pdf')}` }, OP);
    expect(await step()).toBe('delivered');
    expect(await open()).toContain(e.application);
    await ts.reopen();
    expect(await step()).toBe('delivered');
    await ts.station.handlers.enrolment.receipt({ application: e.application, package: d2.package, to: `file:${join(work, 'r2.pdf')}` }, OP);
    expect(await step()).toBe('receipted');
    expect(await open()).not.toContain(e.application);
  }, 60_000);
});
