// bench/shipment: a bulk shipment of the pool, both halves — the station writing it (pool read and
// decrypt → AES-256-GCM sealing in 1 MiB chunks → write, fsync) and the Security Server importing it
// (read → authenticate → re-seal each piece under its own key → INSERT into SQLite) — beside baselines
// run in the same command: `openssl enc -aes-256-ctr` over a file of the same size plus `sync` for
// the write, and plain INSERTs of the same bytes in 1 MiB blobs, in transactions of the same size, into
// a fresh SQLite database with the same pragmas for the import. Prints MB/s, ratios, and the peak RSS
// above the start of each half (the shipment streams: it must stay flat whatever the size).
//   npx tsx bench/shipment.ts [--size 512MiB] [--rounds 2] [--dir /var/tmp]
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStation } from '../src-main/station/station';
import type { Ctx } from '../src-main/station/core';
import { importShipment } from '../src-server/shipments';
import { formatBytes, parseSize } from '../src-shared/psrd/size';
import { registerWith, startTestServer } from '../test/support/server';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] as string) : fallback;
}
const size = parseSize(arg('--size', '512MiB'))!;
const rounds = Number(arg('--rounds', '2'));
const base = arg('--dir', '/var/tmp');
const MiB = 1 << 20;
const ctx: Ctx = { host: 'bench', session: {}, signal: new AbortController().signal, operator: { name: 'Bench Operator', roles: ['operator', 'desk'] }, approver: { name: 'Bench Second', roles: ['operator'] } };

const dir = mkdtempSync(join(base, 'dske-bench-shipment-'));
const dataDir = join(dir, 'station');
mkdirSync(dataDir);
writeFileSync(join(dataDir, 'station.json'), JSON.stringify({ pool: { segmentBytes: 64 << 20, chunkBytes: 1 << 20 } }));

/** Runs f, sampling RSS every 20 ms; returns seconds and the peak RSS above the start. */
async function timed(f: () => Promise<unknown>): Promise<{ s: number; rss: number }> {
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const t = process.hrtime.bigint();
  await f();
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  clearInterval(timer);
  return { s, rss: Math.max(peak, process.memoryUsage().rss) - start };
}

const sh = (cmd: string): number => {
  const t = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', cmd], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${cmd} failed`);
  return Number(process.hrtime.bigint() - t) / 1e9;
};

/** The INSERT floor: the same bytes in 1 MiB blobs, 16 per transaction, WAL + synchronous FULL + secure_delete. */
function insertFloor(path: string): number {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('secure_delete = ON');
  db.exec('create table t (id integer primary key, k blob not null, v blob not null)');
  const ins = db.prepare('insert into t (k, v) values (?, ?)');
  const blob = randomBytes(MiB + 28);
  const key = randomBytes(60);
  const t = process.hrtime.bigint();
  const tx = db.transaction((n: number) => {
    for (let i = 0; i < n; i++) ins.run(key, blob);
  });
  for (let done = 0; done < size / MiB; done += 16) tx(Math.min(16, size / MiB - done));
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  db.close();
  return s;
}

async function main(): Promise<void> {
  const station = openStation({ dataDir, host: 'test', mode: 'create' });
  const server = await startTestServer({ dataDir: join(dir, 'server') });
  const mbps = (s: number): string => `${(size / s / 1e6).toFixed(0)} MB/s`;
  try {
    console.log(`generating a pool of ${formatBytes(size * rounds)} …`);
    await station.handlers.pool.generate({ bytes: size * rounds, sources: ['os'] }, ctx);
    await registerWith(station, server, dir, ctx);
    const plain = join(dir, 'plain.bin');
    sh(`head -c ${size} /dev/urandom > ${plain} && sync`);
    for (let r = 0; r < rounds; r++) {
      const out = join(dir, `pool-${r}.dskeshp`);
      const write = await timed(() => station.handlers.sync.ship({ out, bytes: size }, ctx));
      const opensslS = sh(`openssl enc -aes-256-ctr -pbkdf2 -pass pass:bench -in ${plain} -out ${join(dir, 'openssl.bin')} && sync`);
      const imp = await timed(() => importShipment(server.core, out));
      const floor = insertFloor(join(dir, `floor-${r}.sqlite`));
      console.log(
        `round ${r + 1} (load ${loadavg()[0].toFixed(1)}): ` +
          `write ${mbps(write.s)} vs openssl+sync ${mbps(opensslS)} = ${(opensslS / write.s).toFixed(2)}×, RSS +${formatBytes(write.rss)} · ` +
          `import ${mbps(imp.s)} vs INSERT floor ${mbps(floor)} = ${(floor / imp.s).toFixed(2)}×, RSS +${formatBytes(imp.rss)}`,
      );
      rmSync(out, { force: true });
      rmSync(join(dir, `floor-${r}.sqlite`), { force: true });
      rmSync(join(dir, `floor-${r}.sqlite-wal`), { force: true });
    }
  } finally {
    await station.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
