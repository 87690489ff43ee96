// Every file the station writes for someone outside it (exports, checkpoints, the registration, report
// files, shipments) is refused inside its own data directory, where it could be taken for one of the
// station's files: written as the name of the ledger's next file, it would stop the next start. And
// none is written over a file already there. Each refusal changes nothing, and the station still opens.
import { existsSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ctx } from '../../src-main/station/core';
import { OP, openTestStation, enrolPeople, passphraseFiles, tempDir, type TestStation } from '../support/station';
import { refusal } from '../support/refusal';

const two: Ctx = { ...OP, approver: { name: 'Sam Second', roles: ['operator'] } };
let ts: TestStation;
const outside = tempDir('dske-out-');
beforeAll(async () => {
  ts = openTestStation();
  await enrolPeople(ts.station);
  await ts.station.handlers.pool.generate({ bytes: 1 << 20, sources: ['os'] }, OP);
});
afterAll(async () => {
  await ts.cleanup();
});

describe('files for outside the station', () => {
  it('are refused inside the data directory, under any spelling, and the station still opens', async () => {
    const h = ts.station.handlers;
    const before = readdirSync(ts.dataDir).sort();
    const into = [join(ts.dataDir, 'ledger-000002.jsonl'), join(ts.dataDir, '.', 'keys', '..', 'ledger-000009.jsonl'), join(outside, '..', ...ts.dataDir.split('/').slice(2), 'x.csv')];
    for (const to of into) {
      expect((await refusal(h.delivery.exportCsv({ to }, OP))).message, to).toMatch(/inside the station's data directory/);
      expect((await refusal(h.audit.saveCheckpoint({ to }, OP))).message).toMatch(/inside the station's data directory/);
      expect((await refusal(h.audit.exportEntries({ to, format: 'csv' }, OP))).message).toMatch(/inside the station's data directory/);
      expect((await refusal(h.sync.register({ out: to }, two))).message).toMatch(/inside the station's data directory/);
    }
    expect(readdirSync(ts.dataDir).sort()).toEqual(before);
    await ts.reopen();
    expect(ts.station.handlers).toBeDefined();
  });

  it('are refused through a link: a folder linked to the data directory, or a dangling link to a file in it', async () => {
    const h = ts.station.handlers;
    const before = readdirSync(ts.dataDir).sort();
    const linkedFolder = join(outside, 'looks-outside');
    symlinkSync(ts.dataDir, linkedFolder);
    expect((await refusal(h.delivery.exportCsv({ to: join(linkedFolder, 'ledger-000002.jsonl') }, OP))).message).toMatch(/inside the station's data directory/);
    expect((await refusal(h.audit.saveCheckpoint({ to: join(linkedFolder, 'ledger-000002.jsonl') }, OP))).message).toMatch(/inside the station's data directory/);
    // A link whose target does not exist yet: following it would create the file inside.
    const dangling = join(outside, 'export.csv');
    symlinkSync(join(ts.dataDir, 'ledger-000002.jsonl'), dangling);
    await refusal(h.delivery.exportCsv({ to: dangling }, OP));
    await refusal(h.audit.exportEntries({ to: dangling, format: 'csv' }, OP));
    await refusal(h.audit.saveCheckpoint({ to: dangling }, OP));
    expect(readdirSync(ts.dataDir).sort()).toEqual(before);
  });

  it('are never written over a file already there', async () => {
    const h = ts.station.handlers;
    const taken = join(outside, 'kept.txt');
    writeFileSync(taken, 'an auditor’s earlier checkpoint');
    expect((await refusal(h.delivery.exportCsv({ to: taken }, OP))).message).toMatch(/already exists/);
    expect((await refusal(h.audit.saveCheckpoint({ to: taken }, OP))).message).toMatch(/already exists/);
    expect(readFileSync(taken, 'utf8')).toBe('an auditor’s earlier checkpoint');
    // A shipment into the data directory is refused before any segment is promised to it.
    await h.sync.register({ out: join(outside, 'station.dskereg') }, two);
    expect((await refusal(h.sync.ship({ out: join(ts.dataDir, 'ledger-000003.jsonl') }, two))).message).toMatch(/inside the station's data directory/);
    expect((await h.sync.status({}, OP)).shipments).toHaveLength(0);
    expect(existsSync(join(ts.dataDir, 'ledger-000003.jsonl'))).toBe(false);
  });

  it('the command line keeps an earlier checkpoint file: `ledger checkpoint --out` over it is refused', async () => {
    await ts.station.close();
    const files = passphraseFiles(outside);
    const taken = join(outside, 'checkpoint.json');
    writeFileSync(taken, '{"kept":true}');
    const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli/main.ts', '--data-dir', ts.dataDir, '--operator', 'Otto Operator', '--passphrase-file', files['Otto Operator']!, ...args], { encoding: 'utf8' });
    const r = cli('ledger', 'checkpoint', '--out', taken);
    expect(r.status).toBe(1);
    expect(r.stderr + r.stdout).toMatch(/already exists/);
    expect(readFileSync(taken, 'utf8')).toBe('{"kept":true}');
    const fresh = cli('ledger', 'checkpoint', '--out', join(outside, 'new.json'));
    expect(fresh.status, fresh.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(outside, 'new.json'), 'utf8')).treeSize).toBeGreaterThan(0);
    await ts.reopen();
  });
});
