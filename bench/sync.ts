// bench/sync: the Security Server (src-server) taking many stations' range-report batches over loopback
// HTTP, on SQLite and on PostgreSQL, beside two baselines run in the same command on the same database
// and loopback: the floor of the database work (one plain INSERT per report, in transactions of the
// batch size, as many in flight) and the floor of the HTTP work (fastify answering the same POSTs with
// nothing done). The stations are simulated in the wire formats (test/support/simulated-station.ts): each
// registered, its pool shipped and imported before the clock starts, then pushing sealed batches of
// 'delivered' reports with checkpoints and consistency proofs, one batch in flight per station (the
// next one is witnessed from the previous one's acknowledgement), 16 stations in flight at a time.
//
//   npm run bench:sync
//   DSKE_BENCH_STATIONS=100 DSKE_BENCH_REPORTS=1000 DSKE_BENCH_BATCH=10 DSKE_BENCH_INFLIGHT=16 \
//   DSKE_BENCH_BACKENDS=sqlite,postgres DSKE_BENCH_CHUNK=4096 DSKE_BENCH_DIR=/var/tmp npm run bench:sync
//   (DSKE_BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the server process)
//
// The server is a child process (`node --import tsx src-server/main.ts serve`), as a hub runs it, so
// that the stations' sealing and HTTP here do not share its event loop; the machine's two cores are then
// one for the server and one for everything else (PostgreSQL included). Peak RSS is the server
// process's (VmHWM). DSKE_BENCH_CHUNK is the shipment's chunk size, 1 MiB by default as a real station
// ships; the server keeps the pool in 16 KiB rows whatever the chunk, and a report re-seals at most the
// two rows its edges cut.
// At the end the reports table is counted: any report lost or applied twice makes the exit code 1.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { sql } from 'kysely';
import { loadConfig, type ServerConfig } from '../src-server/config';
import { initServer, openServer } from '../src-server/core';
import { openDatabase } from '../src-server/db/open';
import { registerStation } from '../src-server/registration';
import { importShipment } from '../src-server/shipments';
import { startPostgres, type PostgresCluster } from '../test/support/postgres';
import { SimulatedStation, type SimulatedBatch } from '../test/support/simulated-station';
import { spawnListening, stopProcess } from '../test/support/listening-process';

const HUB = 'hub.bench';
const OCTETS = 'application/octet-stream';

function envInt(name: string, fallback: number, min = 1): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}: ${v}`);
  return n;
}

const stop = async (child: ChildProcess): Promise<void> => {
  await stopProcess(child);
};

/** A process's peak resident set (VmHWM), in bytes; 0 where /proc does not say. */
function peakRss(pid: number | undefined): number {
  const status = pid === undefined ? '' : existsSync(`/proc/${pid}/status`) ? readFileSync(`/proc/${pid}/status`, 'utf8') : '';
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

const MiB = 2 ** 20;
const uptime = (): string => spawnSync('uptime', { encoding: 'utf8' }).stdout.trim() || `load average: ${loadavg().map((x) => x.toFixed(2)).join(', ')}`;
const pct = (sorted: number[], p: number): number => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1) + 0.5))]);
const ms = (x: number): string => `${x.toFixed(1)} ms`;
const now = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Runs `step` over the items with at most `inflight` running; an item whose step says true goes back in the queue. */
async function inFlight<T>(items: readonly T[], inflight: number, step: (item: T) => Promise<boolean>): Promise<void> {
  const queue = [...items];
  const worker = async (): Promise<void> => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) if (await step(item)) queue.push(item);
  };
  await Promise.all(Array.from({ length: inflight }, worker));
}

interface Run {
  readonly name: string;
  readonly seconds: number;
  readonly reports: number;
  readonly batches: number;
  /** Per batch (request or transaction), ms, sorted. */
  readonly latencies: number[];
}

const line = (r: Run, extra = ''): string => {
  const l = r.latencies;
  return `  ${r.name.padEnd(34)} ${String(r.reports).padStart(7)} reports in ${r.seconds.toFixed(1).padStart(6)} s: ${(r.reports / r.seconds).toFixed(0).padStart(6)} reports/s, ${(r.batches / r.seconds).toFixed(0).padStart(5)} batches/s, p50 ${ms(pct(l, 0.5))}, p99 ${ms(pct(l, 0.99))}${extra}`;
};

interface Sizes {
  readonly stations: number;
  readonly reports: number;
  readonly batch: number;
  readonly inflight: number;
  readonly chunk: number;
}

/** POSTs bytes, retrying what the link or a busy server failed (not a refusal, which is an answer). */
async function post(url: string, bytes: Uint8Array, counters: { retries: number }): Promise<{ status: number; body: Buffer }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(`${url}/v1/reports`, { method: 'POST', headers: { 'content-type': OCTETS }, body: bytes });
      const body = Buffer.from(await res.arrayBuffer());
      if (res.status >= 500 && attempt < 5) {
        counters.retries++;
        continue;
      }
      return { status: res.status, body };
    } catch (e) {
      if (attempt >= 5) throw e;
      counters.retries++;
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  }
}

async function benchBackend(kind: 'sqlite' | 'postgres', z: Sizes, base: string): Promise<{ ok: boolean; summary: Record<string, number | string> }> {
  let cluster: PostgresCluster | undefined;
  let server: { child: ChildProcess; url: string; stderr: string[] } | undefined;
  let echo: { child: ChildProcess; url: string } | undefined;
  const dir = mkdtempSync(join(base, 'dske-bench-sync-'));
  try {
    let databaseUrl: string | undefined;
    if (kind === 'postgres') {
      cluster = await startPostgres();
      databaseUrl = await cluster.createDatabase('bench');
    }
    const config: ServerConfig = loadConfig({}, { dataDir: join(dir, 'server'), hub: HUB, port: 0, ...(databaseUrl ? { databaseUrl } : {}) });
    await initServer(config);

    // The stations: registered, whole pool shipped and imported, shipment acknowledged (not timed).
    const rangeBytes = [16, 512] as const;
    const segments = 4;
    // Enough for every report at its largest; a segment at least one chunk, so that a piece is a whole chunk as at a real station.
    const segmentBytes = Math.max(z.chunk, Math.ceil((z.reports * rangeBytes[1]) / segments / 4096) * 4096 + 4096);
    const t0 = now();
    const sims = Array.from({ length: z.stations }, (_, i) => new SimulatedStation({ hub: HUB, seed: 1000 + i, segments, segmentBytes, chunkBytes: z.chunk, rangeBytes }));
    const core = await openServer(config);
    try {
      for (const [i, sim] of sims.entries()) {
        const { file, code } = sim.registration();
        await registerStation(core, file, code);
        const path = join(dir, `station-${i}.dskeshp`);
        await sim.writeShipment(path);
        sim.applyAck((await importShipment(core, path)).ack);
        rmSync(path);
      }
    } finally {
      await core.close();
    }
    console.log(`\n${kind}: ${z.stations} stations registered, ${((z.stations * sims[0].poolBytes) / MiB).toFixed(1)} MiB of pool shipped and imported (${z.chunk} B chunks) in ${((now() - t0) / 1000).toFixed(1)} s; ${uptime()}`);

    // Baseline 1, the database floor: one plain INSERT per report into a table of the same database, in
    // transactions of the batch size, as many in flight, through the server's own openDatabase (same pragmas, same pool).
    const floor = await (async (): Promise<Run> => {
      const sdb = openDatabase(config.database);
      try {
        await sql`create table bench_floor (station text not null, seq bigint not null, client text not null, bytes bigint not null, applied_at text not null, primary key (station, seq))`.execute(sdb.db);
        const next = new Map(sims.map((s) => [s.station, 1]));
        const latencies: number[] = [];
        let batches = 0;
        const start = now();
        await inFlight(sims.map((s) => s.station), z.inflight, async (station) => {
          const first = next.get(station)!;
          const last = Math.min(z.reports, first + z.batch - 1);
          const t = now();
          await sdb.db.transaction().execute(async (trx) => {
            for (let seq = first; seq <= last; seq++) {
              await sql`insert into bench_floor (station, seq, client, bytes, applied_at) values (${station}, ${seq}, ${'c-12345678901234'}, ${seq * 7}, ${new Date().toISOString()})`.execute(trx);
            }
          });
          latencies.push(now() - t);
          batches++;
          next.set(station, last + 1);
          return last < z.reports;
        });
        const seconds = (now() - start) / 1000;
        const rows = await sql<{ n: number | string }>`select count(*) as n from bench_floor`.execute(sdb.db);
        if (Number(rows.rows[0].n) !== z.stations * z.reports) throw new Error(`baseline: ${String(rows.rows[0].n)} rows`);
        await sql`drop table bench_floor`.execute(sdb.db);
        return { name: 'baseline: plain INSERTs, same db', seconds, reports: z.stations * z.reports, batches, latencies: latencies.sort((a, b) => a - b) };
      } finally {
        await sdb.close();
      }
    })();

    // The server, in a child process, on loopback.
    const nodeArgs = (process.env.DSKE_BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
    server = await spawnListening([...nodeArgs, '--import', 'tsx', 'src-server/main.ts', 'serve', '--data', config.dataDir, '--port', '0', '--host', '127.0.0.1']);
    const url = server.url;
    const counters = { retries: 0, refusals: 0, replays: 0, bodyBytes: 0 };
    const pending = new Map<SimulatedStation, SimulatedBatch | null>();
    const latencies: number[] = [];
    /** When each batch was answered: the rate over an early and the last tenth shows whether a batch costs more as the tables fill. */
    const answered: number[] = [];
    let batches = 0;
    const start = now();
    await inFlight(sims, z.inflight, async (sim) => {
      const batch = pending.get(sim) ?? sim.nextBatch(Math.min(z.batch, z.reports - sim.made));
      pending.set(sim, null);
      const t = now();
      const res = await post(url, batch.bytes, counters);
      latencies.push(now() - t);
      answered.push(now());
      batches++;
      counters.bodyBytes += batch.bytes.length;
      if (res.status !== 200) throw new Error(`the server answered ${res.status}: ${res.body.toString()}`);
      const ack = sim.applyAck(res.body);
      if (ack.kind !== 'reports') throw new Error(`a ${ack.kind} acknowledgement for a report batch`);
      if (ack.refused?.code === 'replay') counters.replays++;
      else if (ack.refused) {
        // Not expected: one batch in flight per station. Sealed again from the latest acknowledgement, as a station would.
        counters.refusals++;
        pending.set(sim, sim.sealPending());
      }
      return sim.appliedUpTo < z.reports || pending.get(sim) != null;
    });
    const seconds = (now() - start) / 1000;
    const serverRss = peakRss(server.child.pid);
    const loadAfter = uptime();
    await stop(server.child);
    if (server.stderr.length > 0) console.log(`  (server stderr: ${server.stderr.join('').trim().slice(0, 500)})`);
    const run: Run = { name: 'server (child process), HTTP', seconds, reports: z.stations * z.reports, batches, latencies: latencies.sort((a, b) => a - b) };

    // Baseline 2, the HTTP floor: fastify in a child process answering the same number of POSTs of the same size, doing nothing.
    echo = await spawnListening(['--import', 'tsx', 'bench/sync.ts', '--echo']);
    const meanBody = Math.round(counters.bodyBytes / batches);
    const body = randomBytes(meanBody);
    const perStation = Math.ceil(batches / z.stations);
    const left = new Map(sims.map((s) => [s, perStation]));
    const echoLatencies: number[] = [];
    const echoCounters = { retries: 0 };
    const echoStart = now();
    await inFlight(sims, z.inflight, async (sim) => {
      const t = now();
      const res = await post(echo!.url, body, echoCounters);
      echoLatencies.push(now() - t);
      if (res.status !== 200) throw new Error(`the echo server answered ${res.status}`);
      left.set(sim, left.get(sim)! - 1);
      return left.get(sim)! > 0;
    });
    const echoRun: Run = { name: 'baseline: fastify, empty answer', seconds: (now() - echoStart) / 1000, reports: perStation * z.stations * z.batch, batches: perStation * z.stations, latencies: echoLatencies.sort((a, b) => a - b) };
    await stop(echo.child);
    echo = undefined;

    // Exactly once: the reports table counted per station, and each row checked against what the station sent.
    const sdb = openDatabase(config.database);
    let lost = 0;
    let duplicated = 0;
    let wrong = 0;
    let behind = 0;
    try {
      const counts = await sql<{ station: string; n: number | string; d: number | string }>`select station, count(*) as n, count(distinct seq) as d from reports group by station`.execute(sdb.db);
      const byStation = new Map(counts.rows.map((r) => [r.station, { n: Number(r.n), d: Number(r.d) }]));
      const stations = await sdb.db.selectFrom('stations').select(['station', 'applied_up_to']).execute();
      for (const sim of sims) {
        const c = byStation.get(sim.station) ?? { n: 0, d: 0 };
        lost += z.reports - c.d;
        duplicated += c.n - c.d;
        if (Number(stations.find((s) => s.station === sim.station)?.applied_up_to) !== z.reports) behind++;
        const rows = await sdb.db.selectFrom('reports').select(['seq', 'client', 'bytes']).where('station', '=', sim.station).orderBy('seq').execute();
        for (const r of rows) {
          const sent = sim.reports[Number(r.seq) - 1];
          if (!sent || sent.client !== r.client || sent.bytes !== Number(r.bytes)) wrong++;
        }
      }
      const other = counts.rows.filter((r) => !sims.some((s) => s.station === r.station)).length;
      wrong += other;
    } finally {
      await sdb.close();
    }

    // The second tenth, not the first: the first holds the server's warm-up (tsx, the JIT, the caches).
    const tenth = Math.max(1, Math.floor(answered.length / 10));
    const rate = (from: number, to: number): number => (to - from) / ((answered[to - 1] - answered[from - 1]) / 1000);
    const firstTenth = rate(tenth, 2 * tenth);
    const lastTenth = rate(answered.length - tenth, answered.length);
    console.log(line(run, `; peak RSS ${(serverRss / MiB).toFixed(0)} MiB; ${counters.retries} retries, ${counters.refusals} refusals, ${counters.replays} replays`));
    console.log(`    batches/s over the second tenth of the run ${firstTenth.toFixed(0)}, over the last tenth ${lastTenth.toFixed(0)} (last / second ${(lastTenth / firstTenth).toFixed(2)})`);
    console.log(line(floor));
    console.log(`  ${echoRun.name.padEnd(34)} ${String(echoRun.batches).padStart(7)} POSTs   in ${echoRun.seconds.toFixed(1).padStart(6)} s: ${(echoRun.batches / echoRun.seconds).toFixed(0).padStart(6)} POSTs/s (${meanBody} B each), p50 ${ms(pct(echoRun.latencies, 0.5))}, p99 ${ms(pct(echoRun.latencies, 0.99))}`);
    const vsFloor = run.reports / run.seconds / (floor.reports / floor.seconds);
    const vsHttp = run.batches / run.seconds / (echoRun.batches / echoRun.seconds);
    console.log(`  ratios: server / INSERT floor ${vsFloor.toFixed(2)}× (reports/s), server / HTTP floor ${vsHttp.toFixed(3)}× (batches/s); p50 server / INSERT floor ${(pct(run.latencies, 0.5) / pct(floor.latencies, 0.5)).toFixed(1)}×`);
    console.log(`  reports lost ${lost}, duplicated ${duplicated}, not as sent ${wrong}, stations not in sync ${behind}; ${loadAfter}`);
    return {
      ok: lost === 0 && duplicated === 0 && wrong === 0 && behind === 0,
      summary: {
        backend: kind, reportsPerSecond: Math.round(run.reports / run.seconds), batchesPerSecond: Math.round(run.batches / run.seconds), p50ms: +pct(run.latencies, 0.5).toFixed(1), p99ms: +pct(run.latencies, 0.99).toFixed(1),
        peakRssMiB: Math.round(serverRss / MiB), lastTenthVsSecond: +(lastTenth / firstTenth).toFixed(2), floorReportsPerSecond: Math.round(floor.reports / floor.seconds), httpFloorPostsPerSecond: Math.round(echoRun.batches / echoRun.seconds),
        vsInsertFloor: +vsFloor.toFixed(3), vsHttpFloor: +vsHttp.toFixed(4), lost, duplicated, wrong, behind,
      },
    };
  } finally {
    if (server) await stop(server.child);
    if (echo) await stop(echo.child);
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `--echo`: fastify answering POST /v1/reports with a 400-byte body and nothing done (the HTTP floor). */
async function echoServer(): Promise<void> {
  const app = Fastify({ logger: false, bodyLimit: 64 << 20 });
  app.addContentTypeParser(OCTETS, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const answer = Buffer.alloc(400);
  app.post('/v1/reports', async (_req, reply) => reply.code(200).type(OCTETS).send(answer));
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  console.log(`echo listening on ${address}`);
  const close = (): void => void app.close().then(() => process.exit(0));
  process.once('SIGTERM', close);
  process.once('SIGINT', close);
}

async function main(): Promise<void> {
  const z: Sizes = {
    stations: envInt('DSKE_BENCH_STATIONS', 100),
    reports: envInt('DSKE_BENCH_REPORTS', 1000),
    batch: envInt('DSKE_BENCH_BATCH', 10),
    inflight: envInt('DSKE_BENCH_INFLIGHT', 16),
    chunk: envInt('DSKE_BENCH_CHUNK', 1 << 20, 4096),
  };
  const backends = (process.env.DSKE_BENCH_BACKENDS ?? 'sqlite,postgres').split(',').map((b) => b.trim()).filter(Boolean);
  for (const b of backends) if (b !== 'sqlite' && b !== 'postgres') throw new Error(`DSKE_BENCH_BACKENDS: unknown backend ${b}`);
  const base = process.env.DSKE_BENCH_DIR ?? '/var/tmp';
  console.log(`bench/sync: ${z.stations} stations × ${z.reports} reports, batches of ${z.batch}, ${z.inflight} in flight, on ${backends.join(' and ')}; ${uptime()}`);
  const results = [];
  for (const b of backends) results.push(await benchBackend(b as 'sqlite' | 'postgres', z, base));
  for (const r of results) console.log(JSON.stringify({ ...z, ...r.summary }));
  if (results.some((r) => !r.ok)) {
    console.log('FAILED: reports were lost, applied twice, or not as sent');
    process.exit(1);
  }
}

if (process.argv.includes('--echo')) void echoServer();
else
  main().then(() => process.exit(0), (e: unknown) => {
    console.error(e);
    process.exit(1);
  });
