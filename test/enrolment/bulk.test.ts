// Bulk enrolment from the command line (issue S7, part 5): a CSV of applicants, validated whole before
// anything happens, enrolled row by row to file carriers with a per-row report; a run killed midway
// (SIGKILL) and run again on the same file continues, every row enrolled exactly once. DSKE_BULK_ROWS
// sets the size of the big file (the README's figure is for 1,000).
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_FAILED, EXIT_OK, runCli } from '../../src-main/cli/run';
import { openStation } from '../../src-main/station/station';
import { openPackage } from '../../src-shared/psrd/package-reader';
import { nobleCipher } from '../../src-shared/psrd/package-cipher';
import { enrolPeople, OP, passphraseFiles, PEOPLE, tempDir } from '../support/station';
import { keysIn } from '../support/enrol';

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
    writeFileSync(file, csv(40, join(out, 'killed'), 10_000));
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
    expect(r.code).toBe(EXIT_OK);
    const result = JSON.parse(r.out).value;
    expect(result.failed).toBe(0);
    expect(result.enrolled + result.refused).toBe(40);
    const station = openStation({ dataDir: dir, host: 'test', mode: 'read' });
    try {
      const bulk = station.core.enrolment.bulks.get(result.digest)!;
      expect(bulk.rows.size).toBe(40);
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
