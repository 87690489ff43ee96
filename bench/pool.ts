// bench/pool: pool generation throughput — the built CLI, `dske-station pool generate --source os`
// (health tests on every byte, encryption at rest, fsync, ledger) — against `openssl rand -out FILE N`
// and `dd if=/dev/zero of=FILE bs=1M count=N conv=fsync`, run in one go, as ratios; and the station's
// peak RSS (/usr/bin/time) for a small and a large pool.
//   npm run build && npx tsx bench/pool.ts [--size 1GiB] [--rounds 5] [--rss-size 4GiB] [--dir /var/tmp]
//
// The station is timed two ways. End to end: the whole command, which also starts Node and signs the
// operator in (scrypt, about 0.4 s, a fixed cost whatever the size). Generation: from the ledger's
// `job.started` to its `job.ended` entry of that run (ms precision), which is what grows with the pool;
// the goal (station ≥ 0.9× each baseline) is judged on this one. openssl rand does not fsync; dd
// conv=fsync and the station do (a segment counts only once durable).
//
// Fairness on a shared virtual machine: the order of the three rotates from round to round, and each
// runs right after the previous one's file was deleted (memory just freed is cheap to fill again, memory
// the host has taken back is not; the baselines write through the page cache, the station does not).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { formatBytes, parseSize } from '../src-shared/psrd/size';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] as string) : fallback;
}
const size = parseSize(arg('--size', '1GiB'))!;
const rounds = Number(arg('--rounds', '5'));
const rssSize = parseSize(arg('--rss-size', '4GiB'))!;
const base = arg('--dir', '/var/tmp');

function seconds(run: () => void): number {
  const t = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** A station in a fresh folder with a hub operator; returns the options that sign in as them. */
function prepareStation(): { dir: string; operator: string[] } {
  const dir = mkdtempSync(join(base, 'dske-bench-'));
  const pass = `${dir}.pass`;
  writeFileSync(pass, 'bench operator passphrase\n', { mode: 0o600 });
  const cli = (...args: string[]): void => {
    const r = spawnSync(process.execPath, ['out/main/cli.js', '--data-dir', dir, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`station setup failed: ${r.stdout}${r.stderr}`);
  };
  cli('init', '--admin', 'Bench Admin', '--passphrase-file', pass);
  cli('--operator', 'Bench Admin', '--passphrase-file', pass, 'operators', 'add', 'Bench Operator', '--role', 'operator', '--new-passphrase-file', pass);
  return { dir, operator: ['--operator', 'Bench Operator', '--passphrase-file', pass] };
}

function removeStation(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  rmSync(`${dir}.pass`, { force: true });
}

/** The generation job's time in the ledger: job.started to job.ended of `job`. */
function generationSeconds(dir: string, job: string): number {
  let started: number | undefined;
  let ended: number | undefined;
  for (const line of readFileSync(join(dir, 'ledger.jsonl'), 'utf8').split('\n')) {
    if (!line.includes(job)) continue;
    const e = JSON.parse(line) as { type: string; time: string; data: { job?: string } };
    if (e.data.job !== job) continue;
    if (e.type === 'job.started') started = Date.parse(e.time);
    if (e.type === 'job.ended') ended = Date.parse(e.time);
  }
  if (started === undefined || ended === undefined) throw new Error(`job ${job} has no start or end in the ledger`);
  return (ended - started) / 1000;
}

interface StationRun {
  readonly endToEnd: number;
  readonly generation: number;
  readonly maxRssKiB: number;
}

function runStation(prepared: { dir: string; operator: string[] }, bytes: number): StationRun {
  let out = '';
  let rss = '';
  const endToEnd = seconds(() => {
    const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, 'out/main/cli.js', '--data-dir', prepared.dir, ...prepared.operator, '--json', 'pool', 'generate', '--bytes', String(bytes), '--source', 'os'], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`station generation failed: ${r.stdout}${r.stderr}`);
    out = r.stdout;
    rss = r.stderr.trim().split('\n').at(-1)!;
  });
  const job = (JSON.parse(out) as { value: { job: string } }).value.job;
  return { endToEnd, generation: generationSeconds(prepared.dir, job), maxRssKiB: Number(rss) };
}

function baseline(cmd: string, args: (file: string) => string[]): { seconds: number; dir: string } {
  const dir = mkdtempSync(join(base, 'dske-bench-'));
  const s = seconds(() => {
    const r = spawnSync(cmd, args(join(dir, 'out.bin')), { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${cmd} failed`);
  });
  return { seconds: s, dir };
}

const mb = (bytes: number, s: number): string => `${(bytes / s / 1e6).toFixed(0)} MB/s`;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const range = (xs: number[]): string => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
const load = (): string => loadavg()[0]!.toFixed(2);

type Contender = 'station' | 'openssl' | 'dd';

/** One run of a contender, right after `previous` (the last run's files) is deleted. */
function run(who: Contender, previous: () => void): { seconds: number; station?: StationRun; cleanup: () => void } {
  if (who === 'station') {
    const prepared = prepareStation();
    previous();
    const s = runStation(prepared, size);
    return { seconds: s.generation, station: s, cleanup: () => removeStation(prepared.dir) };
  }
  previous();
  const b =
    who === 'openssl'
      ? baseline('openssl', (f) => ['rand', '-out', f, String(size)])
      : baseline('dd', (f) => ['if=/dev/zero', `of=${f}`, 'bs=1M', `count=${Math.ceil(size / 2 ** 20)}`, 'conv=fsync']);
  return { seconds: b.seconds, cleanup: () => rmSync(b.dir, { recursive: true, force: true }) };
}

console.log(`bench/pool: ${formatBytes(size)} per run, ${rounds} rounds after one warm-up; station, openssl rand, dd conv=fsync in rotating order (files under ${base}); load average ${load()}`);
let cleanup = (): void => undefined;
for (const who of ['station', 'openssl', 'dd'] as const) cleanup = run(who, cleanup).cleanup; // warm-up, not counted

const orders: Contender[][] = [
  ['station', 'openssl', 'dd'],
  ['openssl', 'dd', 'station'],
  ['dd', 'station', 'openssl'],
];
const gen: number[] = [];
const e2e: number[] = [];
const vsOpenssl: number[] = [];
const vsDd: number[] = [];
const e2eVsOpenssl: number[] = [];
const e2eVsDd: number[] = [];
for (let i = 0; i < rounds; i++) {
  const t: Partial<Record<Contender, number>> = {};
  let station: StationRun | undefined;
  for (const who of orders[i % orders.length]!) {
    const r = run(who, cleanup);
    cleanup = r.cleanup;
    t[who] = r.seconds;
    if (r.station) station = r.station;
  }
  const s = station!;
  const o = t.openssl!;
  const d = t.dd!;
  gen.push(s.generation);
  e2e.push(s.endToEnd);
  vsOpenssl.push(o / s.generation);
  vsDd.push(d / s.generation);
  e2eVsOpenssl.push(o / s.endToEnd);
  e2eVsDd.push(d / s.endToEnd);
  console.log(
    `round ${i + 1} (${orders[i % orders.length]!.join(', ')}; load ${load()}): station generation ${mb(size, s.generation)} (end to end ${mb(size, s.endToEnd)}) · openssl rand ${mb(size, o)} · dd conv=fsync ${mb(size, d)} · ` +
      `station/openssl ${(o / s.generation).toFixed(2)}× · station/dd ${(d / s.generation).toFixed(2)}×`,
  );
}
cleanup();
console.log(`generation (ledger job.started → job.ended), median [range] of ${rounds}: station / openssl rand = ${median(vsOpenssl).toFixed(2)}× [${range(vsOpenssl)}] (goal ≥ 0.90×), station / dd conv=fsync = ${median(vsDd).toFixed(2)}× [${range(vsDd)}] (goal ≥ 0.90×); station ${mb(size, median(gen))}`);
console.log(`end to end (Node start + scrypt sign-in + generation), median [range]: station / openssl rand = ${median(e2eVsOpenssl).toFixed(2)}× [${range(e2eVsOpenssl)}], station / dd = ${median(e2eVsDd).toFixed(2)}× [${range(e2eVsDd)}]; station ${mb(size, median(e2e))}`);

const smallSize = Math.min(64 * 2 ** 20, rssSize);
const rss = (bytes: number): number => {
  const p = prepareStation();
  try {
    return runStation(p, bytes).maxRssKiB;
  } finally {
    removeStation(p.dir);
  }
};
const small = rss(smallSize);
const large = rss(rssSize);
console.log(`peak RSS: ${(small / 1024).toFixed(0)} MiB for a ${formatBytes(smallSize)} pool, ${(large / 1024).toFixed(0)} MiB for a ${formatBytes(rssSize)} pool (ratio ${(large / small).toFixed(2)}; flat = ~1.0)`);
