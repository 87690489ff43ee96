// bench/pool: pool generation throughput — the built CLI, `dske-station pool generate --source os`,
// end to end (health tests, conditioning, encryption at rest, fsync, ledger) — against
// `openssl rand -out FILE N` and `dd if=/dev/zero of=FILE bs=1M count=N conv=fsync`, run alternately in
// one go, as ratios; and the station's peak RSS (/usr/bin/time) for a small and a large pool.
//   npm run build && npx tsx bench/pool.ts [--size 1GiB] [--rounds 5] [--rss-size 4GiB] [--dir /var/tmp]
// Note: openssl rand does not fsync; the station does (a segment counts only once durable), as dd conv=fsync.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatBytes, parseSize } from '../src-shared/psrd/size';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
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

/**
 * Makes a station in dir with a hub operator, and returns the options that sign in as them. The
 * sign-in (scrypt, about 0.4 s) is inside the timed run: it is part of what an operator waits for.
 */
function signIn(dir: string): string[] {
  const pass = join(dir, '..', `${dir.split('/').at(-1)}.pass`);
  writeFileSync(pass, 'bench operator passphrase\n', { mode: 0o600 });
  const cli = (...args: string[]): void => {
    const r = spawnSync(process.execPath, ['out/main/cli.js', '--data-dir', dir, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`station setup failed: ${r.stdout}${r.stderr}`);
  };
  cli('init', '--admin', 'Bench Admin', '--passphrase-file', pass);
  cli('--operator', 'Bench Admin', '--passphrase-file', pass, 'operators', 'add', 'Bench Operator', '--role', 'operator', '--new-passphrase-file', pass);
  return ['--operator', 'Bench Operator', '--passphrase-file', pass];
}

function station(bytes: number): { seconds: number; maxRssKiB: number } {
  const dir = mkdtempSync(join(base, 'dske-bench-'));
  try {
    let rss = '';
    const operator = signIn(dir);
    const wall = seconds(() => {
      const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, 'out/main/cli.js', '--data-dir', dir, ...operator, '--json', 'pool', 'generate', '--bytes', String(bytes), '--source', 'os'], { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (r.status !== 0) throw new Error(`station generation failed: ${r.stdout}${r.stderr}`);
      rss = r.stderr.trim().split('\n').at(-1)!;
    });
    return { seconds: wall, maxRssKiB: Number(rss) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function baseline(cmd: string, args: (file: string) => string[]): number {
  const dir = mkdtempSync(join(base, 'dske-bench-'));
  try {
    return seconds(() => {
      const r = spawnSync(cmd, args(join(dir, 'out.bin')), { stdio: 'ignore' });
      if (r.status !== 0) throw new Error(`${cmd} failed`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mb = (bytes: number, s: number): string => `${(bytes / s / 1e6).toFixed(0)} MB/s`;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`bench/pool: ${formatBytes(size)} per run, ${rounds} rounds after one warm-up, alternating station / openssl rand / dd (files under ${base})`);
// One uncounted round first: the first writes after a quiet spell meet a cold page cache and disk.
station(size);
baseline('openssl', (f) => ['rand', '-out', f, String(size)]);
const vsOpenssl: number[] = [];
const vsDd: number[] = [];
for (let i = 0; i < rounds; i++) {
  const s = station(size).seconds;
  const o = baseline('openssl', (f) => ['rand', '-out', f, String(size)]);
  const d = baseline('dd', (f) => ['if=/dev/zero', `of=${f}`, 'bs=1M', `count=${Math.ceil(size / 2 ** 20)}`, 'conv=fsync']);
  vsOpenssl.push(o / s);
  vsDd.push(d / s);
  console.log(`round ${i + 1}: station ${mb(size, s)} · openssl rand ${mb(size, o)} · dd conv=fsync ${mb(size, d)} · station/openssl ${(o / s).toFixed(2)}× · station/dd ${(d / s).toFixed(2)}×`);
}
console.log(`median throughput ratio: station / openssl rand = ${median(vsOpenssl).toFixed(2)}× (goal ≥ 0.90×), station / dd = ${median(vsDd).toFixed(2)}×`);

const small = station(Math.min(64 * 2 ** 20, rssSize));
const large = station(rssSize);
console.log(`peak RSS: ${(small.maxRssKiB / 1024).toFixed(0)} MiB for a ${formatBytes(Math.min(64 * 2 ** 20, rssSize))} pool, ${(large.maxRssKiB / 1024).toFixed(0)} MiB for a ${formatBytes(rssSize)} pool (ratio ${(large.maxRssKiB / small.maxRssKiB).toFixed(2)}; flat = ~1.0)`);
