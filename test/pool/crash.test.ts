// Crash safety of generation (issue S3): the generator, a real `dske-station pool generate` process,
// is killed with SIGKILL at random moments (start-up and recovery included), 50 times, alternating new generations and resumes of
// the interrupted ones. After every kill the next start recovers, and then the pool and the ledger agree:
// every counted byte is in a readable segment, nothing half-written is counted, nothing counted twice.
import { spawn } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStation } from '../../src-main/station/station';
import { liveBytes } from '../../src-main/station/pool/pool-state';
import { enrolPeople, passphraseFiles, PEOPLE, tempDir } from '../support/station';

const RUNS = 50;
const BYTES = 12 * 1024 * 1024;
const dir = tempDir('dske-crash-');
writeFileSync(join(dir, 'station.json'), JSON.stringify({ pool: { segmentBytes: 256 * 1024, chunkBytes: 64 * 1024 } }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// The generator signs in as a hub operator; the kill window starts after its passphrase check (scrypt, ~0.4 s).
let signIn: string[] = [];
beforeAll(async () => {
  const station = openStation({ dataDir: dir, host: 'test' });
  await enrolPeople(station);
  await station.close();
  signIn = ['--operator', PEOPLE.operator.name, '--passphrase-file', passphraseFiles(tempDir('dske-crash-pass-'))[PEOPLE.operator.name]];
});
const SIGN_IN_MS = 700;

function runCli(args: string[], killAfterMs: number | null): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src-main/cli/main.ts', '--data-dir', dir, ...signIn, ...args], { stdio: 'ignore' });
    const timer = killAfterMs === null ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** Opens the station (which runs recovery) and checks every invariant the ledger and the files share. */
async function checkAgreement(): Promise<{ bytes: number }> {
  const station = openStation({ dataDir: dir, host: 'test' });
  try {
    expect((await station.ledger.verify()).ok).toBe(true);
    const added = station.ledger.entries().filter((e) => e.type === 'pool.segment-added').map((e) => String(e.data.segment));
    expect(new Set(added).size).toBe(added.length);
    const live = station.pool.state.unallocated();
    const onDisk = readdirSync(join(dir, 'pool')).sort();
    expect(onDisk).toEqual(live.flatMap((s) => [`${s.id}.keys`, `${s.id}.seg`]).sort());
    let bytes = 0;
    for (const s of live) {
      let read = 0;
      for (const piece of station.pool.read(s.id, 0, s.bytes)) read += piece.length;
      expect(read).toBe(s.bytes);
      bytes += liveBytes(s);
    }
    expect(station.pool.status().unallocatedBytes).toBe(bytes);
    for (const job of station.pool.state.jobs.values()) {
      const sum = live.filter((s) => s.job === job.job).reduce((a, s) => a + s.bytes, 0);
      expect(job.bytesDone).toBe(sum);
      expect(job.state).not.toBe('running');
    }
    return { bytes };
  } finally {
    await station.close();
  }
}

describe('generation killed with SIGKILL at random moments', () => {
  it(`keeps the pool and the ledger in agreement over ${RUNS} kills, and resumes to the exact total`, async () => {
    let killed = 0;
    // Runs that finish before their kill moment count as clean runs; go on until RUNS real kills.
    for (let i = 0; killed < RUNS && i < 4 * RUNS; i++) {
      const resume = i % 2 === 1;
      const r = await runCli(resume ? ['pool', 'generate', '--resume'] : ['pool', 'generate', '--bytes', String(BYTES)], SIGN_IN_MS + Math.floor(Math.random() * 400));
      if (r.signal === 'SIGKILL') killed++;
      await checkAgreement();
    }
    expect(killed).toBe(RUNS);

    // Finish every interrupted chain without a kill: each original request ends with exactly its bytes.
    for (;;) {
      const station = openStation({ dataDir: dir, host: 'test' });
      const pending = station.pool.state.resumable();
      await station.close();
      if (!pending) break;
      expect((await runCli(['pool', 'generate', '--resume'], null)).code).toBe(0);
    }
    const station = openStation({ dataDir: dir, host: 'test' });
    try {
      const jobs = [...station.pool.state.jobs.values()];
      for (const root of jobs.filter((j) => !j.resumes)) {
        let total = 0;
        for (let j: typeof root | undefined = root; j; j = j.resumedBy ? station.pool.state.jobs.get(j.resumedBy) : undefined) total += j.bytesDone;
        expect(total).toBe(root.bytes);
      }
    } finally {
      await station.close();
    }
    expect((await checkAgreement()).bytes).toBe((await jobs()).roots * BYTES);
  }, 300_000);
});

async function jobs(): Promise<{ roots: number }> {
  const station = openStation({ dataDir: dir, host: 'test' });
  try {
    return { roots: [...station.pool.state.jobs.values()].filter((j) => !j.resumes).length };
  } finally {
    await station.close();
  }
}
