// Scale-out (issue S8, "Done when": "Two server processes on one PostgreSQL, reports from many stations
// spread over both: exactly once"). One PostgreSQL database, initialised once; two real `dske-server
// serve` processes on it with the same master key, each in its own data directory (as on two machines);
// simulated stations (test/support/simulated-station.ts) push their report batches over HTTP to either
// process at random, some batches to both at once, some again after they were applied. At the end every
// report is applied once, every client's PSRD on the server is byte-equal to what its station gave it,
// the pool lost exactly those bytes, the audit log verifies, and both processes did part of the work.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consistencyProof, leafHash, rootHash } from '../../src-shared/ledger/merkle';
import { verifyAudit } from '../../src-server/audit-log';
import { loadConfig, type ServerConfig } from '../../src-server/config';
import { initServer, openServer, type ServerCore } from '../../src-server/core';
import { clientPsrd } from '../../src-server/holdings';
import { openPiece } from '../../src-server/psrd-table';
import { registerStation } from '../../src-server/registration';
import { importShipment } from '../../src-server/shipments';
import { startPostgres, type PostgresCluster } from '../support/postgres';
import { SimulatedLedger, SimulatedStation, type SimulatedBatch } from '../support/simulated-station';
import { prng } from '../support/prng';
import { recentRefusals } from '../../src-server/refusal-log';
import { spawnListening, stopProcess } from '../support/listening-process';

const HUB = 'hub.scale-out';
const STATIONS = 10;
const REPORTS = 60;
const BATCH = 5;
const SEED = 20261130;

interface ServerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly url: string;
  readonly stderr: string[];
  /** From its answers: batches and reports this process applied, and replays it refused. */
  readonly tally: { batches: number; reports: number; replays: number };
}

/** Starts `dske-server serve` on a free port and waits for the address it prints. */
async function spawnServer(name: string, env: NodeJS.ProcessEnv): Promise<ServerProcess> {
  const p = await spawnListening(['--import', 'tsx', 'src-server/main.ts', 'serve', '--port', '0', '--host', '127.0.0.1'], env, 30_000);
  return { name, ...p, tally: { batches: 0, reports: 0, replays: 0 } };
}

const stopServer = (p: ServerProcess): Promise<number | string | null> => stopProcess(p.child);

describe('the simulated ledger', () => {
  it('makes the roots and consistency proofs of src-shared/ledger/merkle.ts', () => {
    const ledger = new SimulatedLedger();
    const leaves: Uint8Array[] = [];
    for (let n = 1; n <= 70; n++) {
      const chain = Uint8Array.from({ length: 32 }, (_, i) => (n * 31 + i * 7) & 0xff);
      ledger.append(chain);
      leaves.push(leafHash(chain));
      expect(Buffer.from(ledger.root()).equals(Buffer.from(rootHash(leaves)))).toBe(true);
      for (const m of [1, Math.ceil(n / 3), n - 1, n].filter((m) => m >= 1)) {
        expect(ledger.proof(m).map((h) => Buffer.from(h).toString('hex'))).toEqual(consistencyProof(leaves, m).map((h) => Buffer.from(h).toString('hex')));
      }
    }
  });
});

describe('two Security Server processes on one PostgreSQL database', () => {
  let cluster: PostgresCluster | undefined;
  let core: ServerCore | undefined;
  let config: ServerConfig;
  const dirs: string[] = [];
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    cluster = await startPostgres();
    const url = await cluster.createDatabase('scale_out');
    const initDir = mkdtempSync(join(tmpdir(), 'dske-scale-init-'));
    dirs.push(initDir);
    config = loadConfig({}, { dataDir: initDir, hub: HUB, databaseUrl: url, port: 0 });
    await initServer(config);
    // Each process in a data directory of its own, sharing only the database and the master key.
    const env = (): NodeJS.ProcessEnv => {
      const dir = mkdtempSync(join(tmpdir(), 'dske-scale-proc-'));
      dirs.push(dir);
      return { ...process.env, DSKE_SERVER_DATA: dir, DSKE_SERVER_HUB: HUB, DSKE_SERVER_DATABASE_URL: url, DSKE_SERVER_MASTER_KEY: config.masterKeyPath };
    };
    servers.push(...(await Promise.all([spawnServer('A', env()), spawnServer('B', env())])));
    core = await openServer(config);
  });

  afterAll(async () => {
    await Promise.all(servers.map(stopServer));
    await core?.close();
    await cluster?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it(`${STATIONS} stations × ${REPORTS} reports over both processes, some batches sent to both at once or again: each applied exactly once`, { timeout: 60_000 }, async () => {
    const c = core!;
    const [A, B] = servers;
    const rand = prng(SEED);
    const work = dirs[0];

    const sims = Array.from({ length: STATIONS }, (_, i) => new SimulatedStation({ hub: HUB, seed: SEED + i + 1, segments: 4, segmentBytes: 16 << 10 }));
    for (const [i, sim] of sims.entries()) {
      const { file, code } = sim.registration();
      expect((await registerStation(c, file, code)).added).toBe(true);
      const path = join(work, `station-${i}.dskeshp`);
      await sim.writeShipment(path);
      expect(sim.applyAck((await importShipment(c, path)).ack).kind).toBe('shipment');
      rmSync(path);
    }

    const sent = { batches: 0, bothAtOnce: 0, again: 0 };
    /** POSTs a batch; the station takes the acknowledgement; whether this process applied the batch. */
    const send = async (sim: SimulatedStation, p: ServerProcess, batch: SimulatedBatch): Promise<boolean> => {
      const res = await fetch(`${p.url}/v1/reports`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: batch.bytes });
      const body = Buffer.from(await res.arrayBuffer());
      expect(res.status, `${p.name}: ${body.toString()}`).toBe(200);
      const ack = sim.applyAck(body);
      if (ack.kind !== 'reports') throw new Error(`a ${ack.kind} acknowledgement for a report batch`);
      expect(res.headers.get('x-dske-applied-up-to')).toBe(String(ack.appliedUpTo));
      expect(ack.appliedUpTo).toBeGreaterThanOrEqual(batch.last);
      if (ack.refused === null) {
        p.tally.batches++;
        p.tally.reports += batch.last - batch.first + 1;
        return true;
      }
      expect(ack.refused.code).toBe('replay');
      p.tally.replays++;
      return false;
    };

    // Choices from one seeded PRNG made up front per station, so that the run's shape is the same every time.
    const plans = sims.map(() => Array.from({ length: REPORTS / BATCH }, () => ({ mode: rand(), to: rand() < 0.5 ? A : B, againTo: rand() < 0.5 ? A : B })));
    await Promise.all(sims.map(async (sim, i) => {
      for (const plan of plans[i]) {
        const batch = sim.nextBatch(BATCH);
        sent.batches++;
        if (plan.mode < 0.2) {
          sent.bothAtOnce++;
          const applied = await Promise.all([send(sim, A, batch), send(sim, B, batch)]);
          expect(applied.filter(Boolean)).toHaveLength(1);
        } else {
          expect(await send(sim, plan.to, batch)).toBe(true);
          if (plan.mode > 0.8) {
            sent.again++;
            expect(await send(sim, plan.againTo, batch)).toBe(false);
          }
        }
        expect(sim.appliedUpTo).toBe(batch.last);
      }
    }));

    const db = c.sdb.db;
    // Every station in sync up to its last report; the reports table holds each (station, seq) once.
    const stations = await db.selectFrom('stations').select(['station', 'applied_up_to', 'witnessed_tree_size']).execute();
    expect(stations).toHaveLength(STATIONS);
    for (const sim of sims) {
      const row = stations.find((s) => s.station === sim.station)!;
      expect(row.applied_up_to).toBe(REPORTS);
      expect(row.witnessed_tree_size).toBe(sim.witnessed!.treeSize);
      const reports = await db.selectFrom('reports').select(['seq', 'kind', 'client', 'package', 'bytes']).where('station', '=', sim.station).orderBy('seq').execute();
      expect(reports).toEqual(sim.reports.map((r) => ({ seq: r.seq, kind: r.kind, client: r.client, package: r.package, bytes: r.bytes })));
    }
    const twice = await db.selectFrom('reports').select(['station', 'seq', (eb) => eb.fn.countAll<number>().as('n')]).groupBy(['station', 'seq']).having((eb) => eb.fn.countAll(), '>', 1).execute();
    expect(twice).toEqual([]);
    const total = await db.selectFrom('reports').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(total.n)).toBe(STATIONS * REPORTS);

    // Each client's PSRD on the server is byte-equal to what its station gave it.
    let clients = 0;
    for (const sim of sims) {
      for (const [client, bytes] of sim.expectedClients()) {
        const held = await clientPsrd(c, client);
        expect(held.length, client).toBe(bytes.length);
        expect(held.equals(bytes), client).toBe(true);
        clients++;
      }
    }
    const clientRows = await db.selectFrom('clients').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(clientRows.n)).toBe(clients);

    // The pool lost exactly those bytes: what is left is the bytes never given out, each one as shipped.
    for (const sim of sims) {
      const rows = await db.selectFrom('psrd').select(['station', 'segment', 'offset', 'length', 'wrapped_key', 'sealed']).where('station', '=', sim.station).where('purpose', '=', 'pool').execute();
      const left = sim.undelivered();
      let bytes = 0;
      for (const row of rows) {
        expect(left.some((u) => u.segment === row.segment && u.offset <= row.offset && row.offset + row.length <= u.offset + u.length), `${row.segment}+${row.offset}`).toBe(true);
        expect(openPiece(c.master, row).equals(sim.bytesOf(row))).toBe(true);
        bytes += row.length;
      }
      expect(bytes).toBe(left.reduce((s, u) => s + u.length, 0));
      expect(bytes).toBe(sim.poolBytes - sim.deliveredBytes);
    }

    // The audit log verifies, with one entry per batch applied.
    const audit = await verifyAudit(c);
    expect(audit, audit.problem).toMatchObject({ ok: true });
    const byType = await db.selectFrom('audit').select(['type', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('type').execute();
    const count = (t: string): number => Number(byType.find((x) => x.type === t)?.n ?? 0);
    expect(count('reports.applied')).toBe(A.tally.batches + B.tally.batches);
    expect(count('reports.refused')).toBe(0);
    // Replays are noted in the bounded refusal log, not the audit log (anyone who saw a batch can resend it).
    expect((await recentRefusals(db, 10_000)).filter((r) => r.code === 'replay')).toHaveLength(A.tally.replays + B.tally.replays);
    expect(A.tally.batches + B.tally.batches).toBe(sent.batches);
    expect(A.tally.replays + B.tally.replays).toBe(sent.bothAtOnce + sent.again);

    // Both processes did part of the work.
    expect(A.tally.reports).toBeGreaterThan(0);
    expect(B.tally.reports).toBeGreaterThan(0);
    expect(A.tally.reports + B.tally.reports).toBe(STATIONS * REPORTS);
    console.log(`scale-out: ${sent.batches} batches (${sent.bothAtOnce} sent to both at once, ${sent.again} sent again after success); A applied ${A.tally.batches} batches (${A.tally.reports} reports) and refused ${A.tally.replays} replays, B applied ${B.tally.batches} (${B.tally.reports}) and refused ${B.tally.replays}; ${clients} clients; audit ${audit.entries} entries`);

    // Both stop cleanly on SIGTERM.
    expect(await Promise.all(servers.map(stopServer))).toEqual([0, 0]);
    expect(servers.flatMap((s) => s.stderr).join('')).toBe('');
  });
});
