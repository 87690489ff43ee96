// Jobs under per-resource locks (issue S4): a generation and an unrelated job progress side by side;
// every kind of refusal leaves no lock behind (a generation succeeds after them); a job cut off by a
// crash is recorded interrupted at the next start; SIGINT stops a CLI job cleanly.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobView } from '../../src-shared/api/jobs';
import { openStation, type Station } from '../../src-main/station/station';
import { LOCK_FILE } from '../../src-node/data-dir';
import { enrolPeople, OP, openTestStation, passphraseFiles, PEOPLE, signedIn, tempDir, type TestStation } from '../support/station';

let ts: TestStation | undefined;
afterEach(async () => {
  await ts?.cleanup();
  ts = undefined;
});

describe('jobs', () => {
  it('runs a generation and an unrelated source test at the same time, both progressing', async () => {
    ts = openTestStation();
    const station = ts.station;
    const device = join(ts.dataDir, 'device.bin');
    writeFileSync(device, randomBytes(4 << 20));
    const seen = new Map<string, JobView[]>();
    station.events.on('jobs.changed', (j) => seen.set(j.id, [...(seen.get(j.id) ?? []), j]));
    const generation = station.handlers.pool.generate({ bytes: 48 << 20, sources: ['os'] }, OP);
    // Wait until the generation is under way, then test another source beside it.
    while (![...seen.values()].some((v) => v.at(-1)!.kind === 'pool-generation' && v.at(-1)!.done > 0)) await new Promise((r) => setTimeout(r, 5));
    const report = await station.handlers.devices.testSource({ spec: `file:${device}` }, OP);
    expect(report.passed).toBe(true);
    const running = station.jobs.list().filter((j) => j.state === 'running');
    expect(running.map((j) => j.kind)).toEqual(['pool-generation']);
    await generation;
    const gen = [...seen.values()].find((v) => v[0].kind === 'pool-generation')!;
    const test = [...seen.values()].find((v) => v[0].kind === 'source-test')!;
    expect(test.at(-1)!.state).toBe('done');
    // The test ran and ended while the generation was between its first progress and its end.
    const genDoneAtTestEnd = gen.filter((v) => v.state === 'running').map((v) => v.done);
    expect(Math.max(...genDoneAtTestEnd)).toBeGreaterThan(0);
    expect(gen.at(-1)).toMatchObject({ state: 'done', done: 48 << 20 });
  }, 120_000);

  it('refuses a busy resource, a foreign source, a malformed call and a failing source, and then generates', async () => {
    ts = openTestStation();
    const station: Station = ts.station;
    await enrolPeople(station);
    const op = await signedIn(station, PEOPLE.operator.name, 'browser');
    const stuck = join(ts.dataDir, 'stuck.bin');
    writeFileSync(stuck, Buffer.alloc(1 << 20, 7));
    expect(await station.dispatch('devices.testSource', { spec: 'file:/etc/hostname' }, op)).toMatchObject({ error: { code: 'forbidden' } });
    expect(await station.dispatch('pool.generate', { bytes: 'lots' }, op)).toMatchObject({ error: { code: 'bad-request' } });
    const first = station.dispatch('pool.generate', { bytes: 8 << 20 }, op);
    await new Promise((r) => setTimeout(r, 20));
    expect(await station.dispatch('pool.generate', { bytes: 1024 }, op)).toMatchObject({ error: { code: 'busy', message: expect.stringContaining('in use') } });
    expect(await first).toMatchObject({ ok: true });
    expect((await station.handlers.devices.testSource({ spec: `file:${stuck}` }, OP)).passed).toBe(false);
    expect(station.jobs.locks.holders().size).toBe(0);
    expect(await station.dispatch('pool.generate', { bytes: 64 * 1024 }, op)).toMatchObject({ ok: true });
    expect(await station.dispatch('devices.testSource', { spec: 'os' }, op)).toMatchObject({ ok: true });
  }, 60_000);

  it('lets the desk cancel the work it started, not another person\'s, through dispatch as the window calls it', async () => {
    ts = openTestStation();
    const station = ts.station;
    await enrolPeople(station);
    const desk = await signedIn(station, PEOPLE.desk.name, 'desk-window');
    const other = await signedIn(station, PEOPLE.operator.name, 'operator-window');
    // Two jobs that run until cancelled, one started by the desk clerk and one by the hub operator.
    const until = (actor: string) =>
      station.core.jobs.run({ kind: 'delivery', title: `A delivery by ${actor}`, resources: [`medium:${actor}`], total: 1, unit: 'items', actor: { host: 'test', operator: actor } }, async (job) => {
        while (true) {
          job.checkCancelled();
          await new Promise((r) => setTimeout(r, 5));
        }
      });
    const mine = until(PEOPLE.desk.name).catch((e: { code?: string }) => e.code);
    const theirs = until(PEOPLE.operator.name).catch((e: { code?: string }) => e.code);
    const id = (by: string) => station.jobs.list().find((j) => j.state === 'running' && j.startedBy === by)!.id;
    const refused = await station.dispatch('jobs.cancel', { id: id(PEOPLE.operator.name) }, desk);
    expect(refused.ok ? 'cancelled' : refused.error.code).toBe('not-permitted');
    expect((await station.dispatch('jobs.cancel', { id: id(PEOPLE.desk.name) }, desk)).ok).toBe(true);
    expect(await mine).toBe('cancelled');
    // The hub operator's job ran on; an operator may cancel it.
    expect(station.jobs.list().some((j) => j.state === 'running' && j.startedBy === PEOPLE.operator.name)).toBe(true);
    expect((await station.dispatch('jobs.cancel', { id: id(PEOPLE.operator.name) }, other)).ok).toBe(true);
    expect(await theirs).toBe('cancelled');
  });

  it('locks a unit by what it is, not by what it is called', async () => {
    ts = openTestStation();
    const generation = ts.station.handlers.pool.generate({ bytes: 32 << 20, sources: ['file:/dev/urandom'] }, OP);
    while (!ts.station.jobs.list().some((j) => j.kind === 'pool-generation' && j.state === 'running')) await new Promise((r) => setTimeout(r, 5));
    await expect(ts.station.handlers.devices.testSource({ spec: 'file:/dev/../dev/urandom' }, OP)).rejects.toMatchObject({ code: 'busy' });
    ts.station.jobs.cancel(ts.station.jobs.list().find((j) => j.state === 'running')!.id);
    await expect(generation).rejects.toMatchObject({ code: 'cancelled' });
    expect(ts.station.jobs.locks.holders().size).toBe(0);
  }, 60_000);

  it('records a job cut off by a crash as interrupted at the next start', async () => {
    ts = openTestStation();
    ts.station.ledger.append('job.started', { job: 'job-00000000000000aa', kind: 'source-test', title: 'Testing os', resources: ['source:os'], resumable: false, actor: { host: 'cli' } });
    const station = await ts.reopen();
    expect(station.ledger.entries().at(-1)).toMatchObject({ type: 'job.interrupted', data: { job: 'job-00000000000000aa', resolution: 'voided' } });
    expect(station.jobs.list()[0]).toMatchObject({ id: 'job-00000000000000aa', state: 'interrupted' });
  });

  it('stops a CLI generation cleanly on SIGINT: the end recorded, the lock released', async () => {
    const dir = join(tempDir('dske-sigint-'), 'station');
    const s = openStation({ dataDir: dir, host: 'test', mode: 'create' });
    await enrolPeople(s);
    await s.close();
    const file = passphraseFiles(tempDir('dske-sigint-pass-'))[PEOPLE.operator.name];
    const child = spawn(process.execPath, ['--import', 'tsx', 'src-main/cli/main.ts', '--data-dir', dir, '--operator', PEOPLE.operator.name, '--passphrase-file', file, '--json', 'pool', 'generate', '--bytes', '8GiB'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    // Interrupt once the first segment is in the ledger.
    const started = Date.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      const probe = openStation({ dataDir: dir, host: 'test', mode: 'read' });
      const added = probe.ledger.entries().some((e) => e.type === 'pool.segment-added');
      await probe.close();
      if (added || Date.now() - started > 30_000) break;
    }
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(1);
    expect(JSON.parse(out)).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    const after = openStation({ dataDir: dir, host: 'test', mode: 'read' });
    try {
      const types = after.ledger.entries().map((e) => e.type);
      expect(types.slice(-2)).toEqual(['pool.generation-failed', 'job.ended']);
      expect(after.ledger.entries().at(-1)!.data).toMatchObject({ outcome: 'cancelled' });
      expect(after.pool.status().unallocatedBytes).toBeGreaterThan(0);
    } finally {
      await after.close();
    }
  }, 120_000);
});
