// Crash safety of delivery (issue S6): a process delivering packages to files is killed with SIGKILL at
// random moments — start-up recovery, reservation, writing, read-back, destruction, client creation —
// and after every kill the next start settles what was left. Then: the ledger verifies, reconcile
// (deep: the segment files read back) is clean, no byte was allocated twice, every delivered package
// is on its medium and opens with its client's initial keys to exactly its size, and every byte the
// pool lost is an allocation's or a torn chunk's. DSKE_CRASH_RUNS sets the number of kills (the full
// run is 200; the test command runs fewer).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStation } from '../../src-main/station/station';
import { openPackage } from '../../src-shared/psrd/package-reader';
import { nobleCipher } from '../../src-shared/psrd/package-cipher';
import { overlapping } from '../../src-shared/psrd/range';
import { OP, tempDir } from '../support/station';
import { shipWholePool } from '../support/server';

const RUNS = Number(process.env.DSKE_CRASH_RUNS ?? 16);
const dir = tempDir('dske-deliver-crash-');
const out = tempDir('dske-deliver-crash-out-');
// Each run delivers a few hundred KiB to a few MiB before its kill (2.3 MiB on average on 2026-11-30,
// 11 deliveries): the pool grows with the number of runs, with room to spare, since a run that finds the
// pool exhausted ends without a kill.
const POOL = Math.max(48, 5 * RUNS) << 20;

beforeAll(async () => {
  writeFileSync(join(dir, 'station.json'), JSON.stringify({ pool: { segmentBytes: 1 << 20, chunkBytes: 64 * 1024 } }));
  const station = openStation({ dataDir: dir, host: 'test' });
  await station.handlers.pool.generate({ bytes: POOL, sources: ['os'] }, OP);
  await shipWholePool(station);
  await station.close();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
});

function runChild(killAfterReadyMs: number): Promise<{ signal: string | null; code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/delivery/crash-child.ts', dir, out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('ready') && !timer) timer = setTimeout(() => child.kill('SIGKILL'), killAfterReadyMs);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

/** Packages already opened and found whole: each check opens the new ones (and every one is on its medium), the last opens all again. */
const opened = new Set<string>();

async function checkAgreement(all_ = false): Promise<{ delivered: number; voided: number }> {
  const station = openStation({ dataDir: dir, host: 'test' });
  try {
    expect((await station.ledger.verify()).ok).toBe(true);
    const rec = await station.handlers.delivery.reconcile({ deep: true }, OP);
    expect(rec.problems).toEqual([]);
    const { allocations, keystore, pool } = station.core;
    const all = [...allocations.byId.values()];
    expect(allocations.unsettled.size).toBe(0);
    expect(overlapping(all.flatMap((a) => a.ranges))).toEqual([]);
    // Every delivered package is on its medium, whole, and opens with its client's initial keys (opening
    // every one after every kill made the full run quadratic: the new ones each time, all at the end).
    for (const a of all.filter((x) => x.purpose === 'psrd' && x.phase === 'delivered')) {
      const path = a.medium!.target;
      expect(existsSync(path)).toBe(true);
      if (opened.has(path) && !all_) continue;
      const keys = keystore.read(a.client);
      const pkg = openPackage(readFileSync(path), keys, nobleCipher);
      expect(pkg.psrd.length).toBe(a.bytes);
      expect(pkg.header.ranges).toEqual(a.ranges);
      opened.add(path);
    }
    // Every byte gone from the pool went to an allocation, or with a chunk torn by a crash (recorded as such).
    const destroyed = station.ledger.entries().filter((e) => e.type === 'pool.range-destroyed');
    const byAllocation = destroyed.filter((e) => e.data.allocation).reduce((n, e) => n + Number(e.data.length), 0);
    const torn = destroyed.filter((e) => !e.data.allocation);
    for (const e of torn) expect(String(e.data.reason)).toMatch(/torn by a crash/);
    expect(byAllocation).toBe(all.reduce((n, a) => n + a.bytes, 0));
    const gone = [...pool.state.segments.values()].reduce((n, s) => n + s.erased.reduce((m, r) => m + r.length, 0), 0);
    expect(gone).toBe(byAllocation + torn.reduce((n, e) => n + Number(e.data.length), 0));
    return { delivered: rec.deliveries, voided: rec.voided };
  } finally {
    await station.close();
  }
}

describe('delivery killed with SIGKILL at random moments', () => {
  it(`settles every interrupted delivery and loses no byte over ${RUNS} kills`, async () => {
    let killed = 0;
    let last = { delivered: 0, voided: 0 };
    for (let i = 0; killed < RUNS && i < 3 * RUNS; i++) {
      // Some kills land in start-up recovery itself (0 ms after ready is before the first reservation).
      const r = await runChild(Math.floor(Math.random() * 600));
      expect(r.stderr).toBe('');
      if (r.signal === 'SIGKILL') killed++;
      last = await checkAgreement();
    }
    expect(killed).toBe(RUNS);
    last = await checkAgreement(true);
    expect(last.delivered).toBeGreaterThan(0);
    console.log(`delivery crash test: ${killed} kills; ${last.delivered} allocations delivered, ${last.voided} voided`);
  }, Math.max(600_000, RUNS * 8_000));
});
