// The station and the reference Security Server (SQLite) when things go wrong (issue S8, "Done when",
// second point): a server that is down, a network that drops, duplicates and reorders requests and
// replies (test/support/fault-proxy.ts, seeded), tampered and replayed report batches, reports naming
// ranges the server never held, and a station ledger rewritten after the server witnessed it. Every case
// ends with the same check: nothing lost, nothing applied twice — the server's reports are 1..N once
// each and are the station's own, every delivered client's PSRD on the server is byte-equal to its
// package, the station's outbox holds exactly what the server lacks, and the server's audit log verifies.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openPackage } from '../../src-shared/psrd/package-reader';
import { nodeCipher } from '../../src-node/psrd-store/package-cipher-node';
import { decodeRegistration } from '../../src-shared/sync/registration-file';
import { sealReportBatch, type RangeReport } from '../../src-shared/sync/report-batch';
import type { PsrdRange } from '../../src-shared/psrd/range';
import { verifyAudit } from '../../src-server/audit-log';
import { clientList, clientPsrd, serverStatus } from '../../src-server/holdings';
import { registerStation } from '../../src-server/registration';
import { applyReportBatch } from '../../src-server/reports';
import { ServerFailure } from '../../src-server/errors';
import { StationFailure } from '../../src-shared/api/result';
import { actorOf } from '../../src-main/station/core';
import type { Station } from '../../src-main/station/station';
import { push } from '../../src-main/station/sync/push';
import { allReports, waitingReports } from '../../src-main/station/sync/report-batches';
import type { LinkOptions } from '../../src-main/station/sync/server-link';
import { enrolClient, keysIn, type Enrolled } from '../support/enrol';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { refusal } from '../support/refusal';
import { registerWith, shipTo, startTestServer, type TestServer } from '../support/server';
import { OP, openTestStation, tempDir, type TestStation } from '../support/station';
import { recentRefusals } from '../../src-server/refusal-log';

const ACTOR = actorOf(OP);

/** A station registered with a fresh server, its pool (or part of it) shipped and acknowledged. */
interface Env {
  readonly ts: TestStation;
  readonly server: TestServer;
  readonly work: string;
  readonly station: string;
  /** The registration file the station wrote (kept only when asked for). */
  readonly registrationFile?: string;
}

interface Delivery {
  readonly client: string;
  readonly keysFile: string;
  readonly package: string;
  readonly path: string;
  readonly bytes: number;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function openEnv(opts: { poolBytes?: number; keepRegistration?: boolean } = {}): Promise<Env> {
  const ts = openTestStation();
  cleanups.push(() => ts.cleanup());
  const work = tempDir('dske-faults-');
  await ts.station.handlers.pool.generate({ bytes: opts.poolBytes ?? 1 << 20, sources: ['os'] }, OP);
  const server = await startTestServer();
  cleanups.push(() => server.close());
  await server.listen();
  let station: string;
  let registrationFile: string | undefined;
  if (opts.keepRegistration) {
    registrationFile = join(work, 'station.dskereg');
    const r = await ts.station.handlers.sync.register({ out: registrationFile }, OP);
    await registerStation(server.core, readFileSync(registrationFile), r.confirmationCode);
    station = r.station;
  } else {
    station = await registerWith(ts.station, server, work);
  }
  await shipTo(ts.station, server, work);
  return { ts, server, work, station, ...(registrationFile ? { registrationFile } : {}) };
}

async function proxyTo(env: Env, seed: number, opts: Partial<Parameters<typeof startFaultProxy>[1]> = {}): Promise<FaultProxy> {
  const proxy = await startFaultProxy(env.server.url, { seed, ...opts });
  cleanups.push(() => proxy.close());
  return proxy;
}

let enrolled = 0;
/** Enrols a client; each station writes its keys files to a folder of its own (client IDs are per station). */
async function enrol(station: Station, env: Env): Promise<Enrolled> {
  return enrolClient(station, OP, { name: `Person ${++enrolled}`, keysDir: join(env.work, `keys-${basename(station.core.config.dataDir)}`) });
}

async function deliver(station: Station, env: Env, e: Enrolled, bytes: number): Promise<Delivery> {
  const dir = join(env.work, 'packages');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${randomBytes(6).toString('hex')}.pkg`);
  const d = await station.handlers.delivery.deliver({ client: e.client, bytes, to: `file:${path}` }, OP);
  return { client: e.client, keysFile: e.keysFile, package: d.package, path, bytes };
}

const seqs = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

async function stationRow(env: Env): Promise<{ appliedUpTo: number; witnessed: number | null; root: string | null }> {
  const r = await env.server.core.sdb.db.selectFrom('stations').select(['applied_up_to', 'witnessed_tree_size', 'witnessed_root']).where('station', '=', env.station).executeTakeFirstOrThrow();
  return { appliedUpTo: Number(r.applied_up_to), witnessed: r.witnessed_tree_size === null ? null : Number(r.witnessed_tree_size), root: r.witnessed_root };
}

async function appliedSeqs(env: Env): Promise<number[]> {
  const rows = await env.server.core.sdb.db.selectFrom('reports').select(['seq']).orderBy('seq').execute();
  return rows.map((r) => Number(r.seq));
}

/** What the server holds, to show that a refused or replayed batch changed none of it. */
async function serverSnapshot(env: Env): Promise<unknown> {
  const db = env.server.core.sdb.db;
  return {
    station: await stationRow(env),
    reports: await db.selectFrom('reports').selectAll().orderBy('seq').execute(),
    psrd: (await db.selectFrom('psrd').select(['id', 'segment', 'offset', 'length', 'purpose', 'owner', 'package']).orderBy('id').execute()),
    clients: await clientList(env.server.core),
    poolBytes: (await serverStatus(env.server.core)).stations[0].poolBytes,
  };
}

/**
 * Every refusal the server logged, oldest first: those of authentic batches from the audit log, and those
 * anyone could provoke (malformed, forged, replayed) from the bounded refusal log (src-server/refusal-log.ts).
 */
async function refusalsLogged(env: Env): Promise<{ code: string; reason: string; station?: string }[]> {
  const db = env.server.core.sdb.db;
  const audited = (await db.selectFrom('audit').select(['time', 'data']).where('type', '=', 'reports.refused').orderBy('seq').execute())
    .map((r) => ({ time: r.time, ...(JSON.parse(r.data) as { code: string; reason: string; station?: string }) }));
  const noted = (await recentRefusals(db, 10_000)).map((r) => ({ time: r.time, code: r.code, reason: r.reason, ...(r.station ? { station: r.station } : {}) }));
  return [...audited, ...noted].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0)).map(({ time: _time, ...r }) => r);
}

/**
 * Nothing lost, nothing applied twice: the server's reports are 1..N, once each, and are this station's
 * (same kind, client, package, size); the outbox holds exactly N+1..last; each delivery's PSRD and each
 * client's initial keys on the server are byte-equal to what the client holds, and no client holds more;
 * the audit log verifies. Returns N.
 */
async function expectConsistent(env: Env, deliveries: readonly Delivery[], station: Station = env.ts.station): Promise<number> {
  const core = env.server.core;
  const rows = await core.sdb.db.selectFrom('reports').select(['station', 'seq', 'kind', 'client', 'package', 'bytes']).orderBy('seq').execute();
  const n = rows.length;
  expect(rows.map((r) => Number(r.seq))).toEqual(seqs(1, n));
  expect((await stationRow(env)).appliedUpTo).toBe(n);
  const made = allReports(station.core);
  for (const r of rows) {
    const m = made.get(Number(r.seq));
    expect(r.station).toBe(env.station);
    expect({ kind: r.kind, client: r.client, package: r.package ?? undefined, bytes: Number(r.bytes) }).toEqual({ kind: m?.kind, client: m?.client, package: m?.package, bytes: m?.bytes });
  }
  const a = station.core.allocations;
  expect([...a.outbox.keys()].sort((x, y) => x - y)).toEqual(seqs(n + 1, a.lastReport));
  const perClient = new Map<string, { keysFile: string; bytes: number }>();
  for (const d of deliveries) {
    const initialKeys = keysIn(readFileSync(d.keysFile));
    const pkg = openPackage(readFileSync(d.path), initialKeys, nodeCipher);
    expect(pkg.header.package).toBe(d.package);
    const held = await clientPsrd(core, d.client, { package: d.package });
    expect(held.length).toBe(d.bytes);
    expect(held.equals(Buffer.from(pkg.psrd))).toBe(true);
    const c = perClient.get(d.client) ?? { keysFile: d.keysFile, bytes: 0 };
    perClient.set(d.client, { ...c, bytes: c.bytes + d.bytes });
  }
  for (const [client, c] of perClient) {
    expect((await clientPsrd(core, client)).length).toBe(c.bytes);
    expect((await clientPsrd(core, client, { purpose: 'initial-keys' })).equals(keysIn(readFileSync(c.keysFile)))).toBe(true);
  }
  const audit = await verifyAudit(core);
  expect(audit.problem).toBeUndefined();
  expect(audit.ok).toBe(true);
  return n;
}

/** The same bytes with one bit changed at `at`. */
function flipped(bytes: Uint8Array, at: number): Buffer {
  const out = Buffer.from(bytes);
  out[at] ^= 0x01;
  return out;
}

/** Where the clear header's checkpoint root hash has a character that stays a hex digit with its low bit flipped. */
function hexFlipInHeader(bytes: Uint8Array): number {
  const headerLength = Buffer.from(bytes).readUInt32BE(8);
  const header = Buffer.from(bytes).subarray(12, 12 + headerLength).toString('latin1');
  const start = header.indexOf('"rootHash":"') + '"rootHash":"'.length;
  for (let i = start; i < start + 64; i++) if (/[0-9b-e]/.test(header[i])) return 12 + i;
  throw new Error('no flippable hex digit in the root hash');
}

async function postReports(url: string, body: Uint8Array): Promise<{ status: number; json: unknown; body: Buffer; appliedUpTo: string | null }> {
  const res = await fetch(`${url}/v1/reports`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body });
  const buf = Buffer.from(await res.arrayBuffer());
  let json: unknown = null;
  try {
    json = JSON.parse(buf.toString('utf8'));
  } catch {
    // a sealed acknowledgement
  }
  return { status: res.status, json, body: buf, appliedUpTo: res.headers.get('x-dske-applied-up-to') };
}

async function serverFailure(p: Promise<unknown>): Promise<ServerFailure> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ServerFailure) return e;
    throw e;
  }
  throw new Error('expected a ServerFailure');
}

/** Seals reports as sealBatch does (the station's own ledger checkpoint and proof), but from the given witnessed size. */
function sealFrom(station: Station, env: Env, reportKey: Uint8Array, reports: readonly RangeReport[], from: number | null): Uint8Array {
  const { checkpoint, proof } = station.core.ledger.witnessCheckpoint(from, station.core.now);
  const header = {
    format: 1 as const, hub: station.core.settings.hubId, station: env.station, first: reports[0].seq, last: reports[reports.length - 1].seq, checkpoint,
    witness: from !== null && proof ? { from, proof } : null,
  };
  return sealReportBatch(header, reports, reportKey, randomBytes(12));
}

describe('sync with the Security Server through faults (SQLite)', () => {
  it('a server that is down (no answer, or 502) leaves the outbox and the server as they were; once it is back, push catches up', async () => {
    const env = await openEnv();
    const h = env.ts.station.handlers;
    const proxy = await proxyTo(env, 1, { mode: 'down' });
    const a = await enrol(env.ts.station, env);
    const deliveries = [await deliver(env.ts.station, env, a, 40_000), await deliver(env.ts.station, env, a, 25_000)];
    const b = await enrol(env.ts.station, env);
    deliveries.push(await deliver(env.ts.station, env, b, 30_000));
    const outbox = [...env.ts.station.core.allocations.outbox.keys()];
    expect(outbox).toEqual([1, 2, 3, 4, 5]);
    const before = await serverSnapshot(env);
    const auditBefore = (await serverStatus(env.server.core)).auditEntries;
    const link: LinkOptions = { attempts: 3, firstDelayMs: 10, maxDelayMs: 40, timeoutMs: 5000 };

    for (const mode of ['down', 'down-502'] as const) {
      proxy.setMode(mode);
      const refusedBefore = proxy.counters.refused;
      const failure = await refusal(push(env.ts.station.core, proxy.url, ACTOR, link));
      expect(failure.code).toBe('server-unreachable');
      expect(failure.message).toMatch(/after 3 attempts/);
      expect(proxy.counters.refused - refusedBefore).toBe(3);
      expect([...env.ts.station.core.allocations.outbox.keys()]).toEqual(outbox);
      expect(await serverSnapshot(env)).toEqual(before);
      expect((await serverStatus(env.server.core)).auditEntries).toBe(auditBefore);
      expect(await expectConsistent(env, [])).toBe(0);
    }
    expect(proxy.counters.forwarded).toBe(0);

    proxy.setMode('pass');
    const pushed = await push(env.ts.station.core, proxy.url, ACTOR, link);
    expect(pushed).toMatchObject({ batches: 1, reportsSent: 5, appliedUpTo: 5, waiting: 0, attempts: 1 });
    expect((await h.sync.status({}, OP)).lastRefusal).toBeNull();
    expect(await expectConsistent(env, deliveries)).toBe(5);
  });

  it('dropped requests, dropped replies, duplicates and reordering (30 % of requests): every report is applied exactly once', async () => {
    const env = await openEnv();
    const deliveries: Delivery[] = [];
    for (let c = 0; c < 6; c++) {
      const e = await enrol(env.ts.station, env);
      for (let d = 0; d < 4; d++) deliveries.push(await deliver(env.ts.station, env, e, 5_000 + 1_000 * c + 100 * d));
    }
    const made = env.ts.station.core.allocations.lastReport;
    expect(made).toBe(30);
    // Seed 72 draws duplicate, dropReply, reorder, dropReply, dropRequest first. A held (reordered) request
    // outlives the client's deadline, so the client's retry reaches the server first and the held one after it.
    const proxy = await proxyTo(env, 72, { faults: { dropRequest: 0.1, dropReply: 0.1, duplicate: 0.05, reorder: 0.05 }, holdMs: 1200 });
    const link: LinkOptions = { attempts: 3, firstDelayMs: 5, maxDelayMs: 20, timeoutMs: 800, batchReports: 3 };

    const failures: string[] = [];
    let calls = 0;
    let batches = 0;
    while (env.ts.station.core.allocations.outbox.size > 0 && calls < 25) {
      calls++;
      try {
        batches += (await push(env.ts.station.core, proxy.url, ACTOR, link)).batches;
      } catch (e) {
        if (!(e instanceof StationFailure)) throw e;
        failures.push(e.code);
      }
    }
    const c = proxy.counters;
    console.log(`fault proxy: ${JSON.stringify(c)}; push called ${calls} times (${failures.length} failed: ${failures.join(', ') || 'none'}); ${batches} batches answered`);
    expect(env.ts.station.core.allocations.outbox.size).toBe(0);
    expect(new Set(failures)).toEqual(new Set(failures.length > 0 ? ['server-unreachable'] : []));
    expect(c.droppedRequests).toBeGreaterThanOrEqual(1);
    expect(c.droppedReplies).toBeGreaterThanOrEqual(1);
    expect(c.duplicated).toBeGreaterThanOrEqual(1);
    expect(c.reordered).toBeGreaterThanOrEqual(1);
    // The server saw more than 10 batches of 3 (retries, duplicates), yet applied each report once.
    expect(c.forwarded).toBeGreaterThan(10);
    expect(await expectConsistent(env, deliveries)).toBe(30);
    const logged = await refusalsLogged(env);
    expect(logged.length).toBeGreaterThanOrEqual(1);
    expect(new Set(logged.map((l) => l.code))).toEqual(new Set(['replay']));
    const st = await env.ts.station.handlers.sync.status({}, OP);
    expect(st).toMatchObject({ acknowledgedUpTo: 30, reportsWaiting: 0, lastRefusal: null, lastRejected: null });
  });

  it('a report batch altered in its sealed body or in its clear header is refused as forged (function and HTTP), logged, and nothing is applied', async () => {
    const env = await openEnv();
    const h = env.ts.station.handlers;
    const proxy = await proxyTo(env, 3);
    const a = await enrol(env.ts.station, env);
    const deliveries = [await deliver(env.ts.station, env, a, 50_000)];
    const file = join(env.work, 'reports.dskerpt');
    expect(await h.sync.export({ out: file }, OP)).toMatchObject({ first: 1, last: 2, reports: 2 });
    const good = readFileSync(file);
    const before = await serverSnapshot(env);

    const tampered = [
      { where: 'sealed body', bytes: flipped(good, good.length - 40) },
      { where: 'clear header', bytes: flipped(good, hexFlipInHeader(good)) },
    ];
    let refusals = 0;
    for (const t of tampered) {
      const direct = await serverFailure(applyReportBatch(env.server.core, t.bytes));
      expect(direct.code, t.where).toBe('forged');
      expect(direct.message).toMatch(/does not authenticate/);
      const http = await postReports(proxy.url, t.bytes);
      expect(http.status, t.where).toBe(401);
      expect(http.json).toEqual({ code: 'forged', message: direct.message });
      refusals += 2;
      const logged = await refusalsLogged(env);
      expect(logged).toHaveLength(refusals);
      for (const l of logged.slice(-2)) expect(l).toMatchObject({ station: env.station, code: 'forged', reason: direct.message });
      expect(await serverSnapshot(env)).toEqual(before);
    }
    expect(await expectConsistent(env, [])).toBe(0);

    // The untouched file still applies, once; its acknowledgement drains the outbox.
    const out = await applyReportBatch(env.server.core, good);
    expect(out).toMatchObject({ applied: 2, appliedUpTo: 2, refused: null });
    writeFileSync(join(env.work, 'reports.dskeack'), out.ack);
    expect(await h.sync.import({ file: join(env.work, 'reports.dskeack') }, OP)).toMatchObject({ kind: 'reports', changed: true, appliedUpTo: 2 });
    expect(await expectConsistent(env, deliveries)).toBe(2);
    expect(proxy.counters).toMatchObject({ received: 2, forwarded: 2 });
  });

  it('a replayed batch changes nothing and answers replay with the same position; the station imports that answer without draining or alarm', async () => {
    const env = await openEnv();
    const h = env.ts.station.handlers;
    const proxy = await proxyTo(env, 4);
    const a = await enrol(env.ts.station, env);
    const deliveries = [await deliver(env.ts.station, env, a, 60_000)];
    const b = await enrol(env.ts.station, env);
    deliveries.push(await deliver(env.ts.station, env, b, 20_000));
    const file = join(env.work, 'reports.dskerpt');
    await h.sync.export({ out: file }, OP);
    const batch = readFileSync(file);

    const first = await applyReportBatch(env.server.core, batch);
    expect(first).toMatchObject({ applied: 4, appliedUpTo: 4, refused: null });
    writeFileSync(join(env.work, 'first.dskeack'), first.ack);
    expect(await h.sync.import({ file: join(env.work, 'first.dskeack') }, OP)).toMatchObject({ changed: true, appliedUpTo: 4 });
    const before = await serverSnapshot(env);

    const again = await applyReportBatch(env.server.core, batch);
    expect(again.applied).toBe(0);
    expect(again.appliedUpTo).toBe(first.appliedUpTo);
    expect(again.refused).toMatchObject({ code: 'replay', seq: 1 });
    expect(again.refused?.reason).toMatch(/applied already/);
    // The same file over HTTP: the same answer.
    const http = await postReports(proxy.url, batch);
    expect(http).toMatchObject({ status: 200, appliedUpTo: '4' });
    expect(await serverSnapshot(env)).toEqual(before);
    expect((await refusalsLogged(env)).map((l) => l.code)).toEqual(['replay', 'replay']);

    const ledgerBefore = env.ts.station.core.ledger.length;
    const outboxBefore = env.ts.station.core.allocations.lastReport;
    for (const [name, ack] of [['again.dskeack', again.ack], ['http.dskeack', http.body]] as const) {
      writeFileSync(join(env.work, name), ack);
      const imported = await h.sync.import({ file: join(env.work, name) }, OP);
      expect(imported).toEqual({ kind: 'reports', changed: false, appliedUpTo: 4 });
    }
    expect(env.ts.station.core.ledger.length).toBe(ledgerBefore);
    expect(env.ts.station.core.allocations.lastReport).toBe(outboxBefore);
    expect(await h.sync.status({}, OP)).toMatchObject({ acknowledgedUpTo: 4, reportsWaiting: 0, lastRefusal: null, lastRejected: null });
    expect(await expectConsistent(env, deliveries)).toBe(4);
  });

  it('reports naming a segment never shipped or unknown, a range past a segment\'s end, or a range another client holds are refused with their reason and apply nothing', async () => {
    const env = await openEnv({ keepRegistration: true });
    const core = env.ts.station.core;
    const a = await enrol(env.ts.station, env);
    const deliveries = [await deliver(env.ts.station, env, a, 70_000)];
    const b = await enrol(env.ts.station, env);
    expect(await push(core, env.server.url, ACTOR, { attempts: 1, firstDelayMs: 1, maxDelayMs: 1, timeoutMs: 5000 })).toMatchObject({ appliedUpTo: 3, waiting: 0 });
    // More pool after the shipment: segments the station has and the server never received.
    const shipped = new Set(core.sync.inShipment.keys());
    await env.ts.station.handlers.pool.generate({ bytes: 512 * 1024, sources: ['os'] }, OP);
    const unshipped = [...core.pool.state.segments.keys()].find((s) => !shipped.has(s))!;
    expect(unshipped).toBeDefined();
    const someShipped = [...shipped][0];
    const shippedBytes = core.pool.state.segments.get(someShipped)!.bytes;
    const given = [...core.allocations.byId.values()].find((x) => x.client === a.client && x.purpose === 'psrd')!;
    const reg = decodeRegistration(readFileSync(env.registrationFile!));
    const before = await serverSnapshot(env);
    const seq = core.allocations.lastReport + 1;
    expect(seq).toBe(4);

    const report = (ranges: PsrdRange[]): RangeReport => ({
      seq, kind: 'delivered', client: b.client, package: `pkg-${randomBytes(16).toString('hex')}`, ranges, bytes: ranges.reduce((s, r) => s + r.length, 0), tableOffset: 0, time: core.now().toISOString(),
    });
    const nowhere = `seg-${randomBytes(12).toString('hex')}`;
    const cases = [
      { code: 'unknown-segment', reason: new RegExp(`report ${seq}: segment ${unshipped} was never shipped`), ranges: [{ segment: unshipped, offset: 0, length: 1000 }] },
      { code: 'unknown-segment', reason: new RegExp(`report ${seq}: segment ${nowhere} was never shipped`), ranges: [{ segment: nowhere, offset: 0, length: 1000 }] },
      { code: 'out-of-range', reason: new RegExp(`runs past the segment's ${shippedBytes} bytes`), ranges: [{ segment: someShipped, offset: shippedBytes - 100, length: 1000 }] },
      { code: 'not-in-pool', reason: /is not all in the shipped pool/, ranges: [{ ...given.ranges[0] }] },
    ];
    for (const c of cases) {
      const from = (await stationRow(env)).witnessed;
      const out = await applyReportBatch(env.server.core, sealFrom(env.ts.station, env, reg.keys.report, [report(c.ranges)], from));
      expect(out.applied, c.code).toBe(0);
      expect(out.appliedUpTo).toBe(3);
      expect(out.refused?.code).toBe(c.code);
      expect(out.refused?.seq).toBe(seq);
      expect(out.refused?.reason).toMatch(c.reason);
      expect((await refusalsLogged(env)).at(-1)).toMatchObject({ code: c.code, reason: out.refused?.reason, station: env.station });
      const after = (await serverSnapshot(env)) as { station: { appliedUpTo: number } };
      expect({ ...after, station: null }).toEqual({ ...(before as object), station: null });
      expect(after.station.appliedUpTo).toBe(3);
    }
    expect(await expectConsistent(env, deliveries)).toBe(3);

    // The station itself goes on: the server witnessed later checkpoints than it knew (stale-witness once), then applies.
    deliveries.push(await deliver(env.ts.station, env, b, 10_000));
    expect(await push(core, env.server.url, ACTOR, { attempts: 1, firstDelayMs: 1, maxDelayMs: 1, timeoutMs: 5000 })).toMatchObject({ batches: 2, appliedUpTo: 4, waiting: 0 });
    expect((await refusalsLogged(env)).at(-1)).toMatchObject({ code: 'stale-witness' });
    expect(await expectConsistent(env, deliveries)).toBe(4);
  });

  it('a station ledger rewritten after the server witnessed it (a restored copy) is refused: stale-witness, then not-extending; its acknowledgement is refused; nothing of it applies', async () => {
    const env = await openEnv();
    const copyDir = tempDir('dske-faults-copy-');
    // The copy point: registered and shipped, nothing delivered yet.
    await env.ts.station.close();
    cpSync(env.ts.dataDir, copyDir, { recursive: true });
    const original = await env.ts.reopen();
    const registered = original.core.sync.state.registered;

    const a = await enrol(original, env);
    const deliveries = [await deliver(original, env, a, 40_000)];
    expect(await push(original.core, env.server.url, ACTOR, { attempts: 1, firstDelayMs: 1, maxDelayMs: 1, timeoutMs: 5000 })).toMatchObject({ appliedUpTo: 2, waiting: 0 });
    const witnessed = await stationRow(env);
    const T = witnessed.witnessed!;
    expect(T).toBeGreaterThan(0);
    expect(await expectConsistent(env, deliveries, original)).toBe(2);
    await original.close();

    const ct = openTestStation({ dataDir: copyDir });
    cleanups.push(() => ct.cleanup());
    const copy = ct.station;
    expect(copy.core.sync.state.registered).toEqual(registered);
    expect(copy.core.sync.state.witnessed).toBeUndefined();
    const copyDeliveries: Delivery[] = [];
    for (let i = 0; i < 2; i++) {
      const e = await enrol(copy, env);
      copyDeliveries.push(await deliver(copy, env, e, 30_000 + i), await deliver(copy, env, e, 15_000 + i));
    }
    expect(copy.core.allocations.lastReport).toBe(6);
    expect(copy.core.ledger.length).toBeGreaterThan(T);
    expect(copy.core.ledger.rootOf(T)?.rootHash).not.toBe(witnessed.root);
    const before = await serverSnapshot(env);
    const ledgerBefore = copy.core.ledger.length;

    // Push: the batch proves from nothing (stale-witness); the answer names a checkpoint this ledger does not have.
    const failure = await refusal(push(copy.core, env.server.url, ACTOR, { attempts: 1, firstDelayMs: 1, maxDelayMs: 1, timeoutMs: 5000 }));
    expect(failure.code).toBe('acknowledgement-refused');
    expect(failure.message).toMatch(new RegExp(`witnessed this station's ledger at ${T} entries with a root this ledger does not have`));
    expect((await refusalsLogged(env)).at(-1)).toMatchObject({ code: 'stale-witness', station: env.station });
    const appended = copy.core.ledger.page(ledgerBefore, 10);
    expect(appended.map((e) => e.type)).toEqual(['sync.acknowledgement-refused']);
    expect(appended[0].data).toMatchObject({ kind: 'reports', via: 'online' });
    expect(copy.core.sync.state.lastRejected).toMatchObject({ kind: 'reports' });
    expect(copy.core.allocations.acknowledgedUpTo).toBe(0);
    expect([...copy.core.allocations.outbox.keys()].sort((x, y) => x - y)).toEqual(seqs(1, 6));
    expect(await serverSnapshot(env)).toEqual(before);

    // Sealed to prove from the witnessed size with this ledger's own proof: it does not extend.
    const keys = copy.core.registration.read(env.station);
    const out = await applyReportBatch(env.server.core, sealFrom(copy, env, keys.report, waitingReports(copy.core), T));
    expect(out).toMatchObject({ applied: 0, appliedUpTo: 2 });
    expect(out.refused).toMatchObject({ code: 'not-extending', seq: 1 });
    expect(out.refused?.reason).toMatch(/rewritten after it was witnessed/);
    expect((await refusalsLogged(env)).at(-1)).toMatchObject({ code: 'not-extending', reason: out.refused?.reason });
    expect(await serverSnapshot(env)).toEqual(before);
    expect(await stationRow(env)).toEqual(witnessed);

    // Nothing of the copy's reports is on the server: only the original's.
    for (const d of copyDeliveries) expect((await clientPsrd(env.server.core, d.client, { package: d.package })).length).toBe(0);
    expect(await appliedSeqs(env)).toEqual([1, 2]);
    const reopened = await env.ts.reopen();
    expect(await expectConsistent(env, deliveries, reopened)).toBe(2);
  });
});

// Two refusals that attacking the server showed missing: a batch whose clear header does not parse is
// refused and logged like any other; and a client ID that another station of the hub enrolled is refused
// (each station numbers its clients from c-000001, so two stations of one hub collide unless each is given
// its own range: the server must never merge two people's PSRD under one name, nor let one station revoke
// the other's client).
describe('refusals found by attacking the server', () => {
  it('a report batch whose clear header no longer parses is refused as malformed and, like any refusal, logged in the audit log with its reason', async () => {
    const env = await openEnv();
    const proxy = await proxyTo(env, 7);
    const a = await enrol(env.ts.station, env);
    await deliver(env.ts.station, env, a, 10_000);
    const file = join(env.work, 'reports.dskerpt');
    await env.ts.station.handlers.sync.export({ out: file }, OP);
    const bad = flipped(readFileSync(file), 12); // '{' → 'z': the header is no longer JSON
    const before = await serverSnapshot(env);
    const direct = await serverFailure(applyReportBatch(env.server.core, bad));
    expect(direct.code).toBe('malformed');
    const http = await postReports(proxy.url, bad);
    expect(http).toMatchObject({ status: 400, json: { code: 'malformed', message: direct.message } });
    expect(await serverSnapshot(env)).toEqual(before);
    // A forged or malformed batch changes nothing and is logged with its reason (in the bounded refusal log).
    expect((await refusalsLogged(env)).map((l) => ({ code: l.code, reason: l.reason }))).toEqual([
      { code: 'malformed', reason: direct.message },
      { code: 'malformed', reason: direct.message },
    ]);
  });

  it('two stations of one hub never merge two people\'s PSRD under one client ID on the server', async () => {
    const env = await openEnv();
    const second = openTestStation();
    cleanups.push(() => second.cleanup());
    await second.station.handlers.pool.generate({ bytes: 512 * 1024, sources: ['os'] }, OP);
    await registerWith(second.station, env.server, env.work);
    await shipTo(second.station, env.server, env.work);
    const a = await enrol(env.ts.station, env);
    const b = await enrol(second.station, env);
    const da = await deliver(env.ts.station, env, a, 10_000);
    const db = await deliver(second.station, env, b, 12_000);
    const link: LinkOptions = { attempts: 1, firstDelayMs: 1, maxDelayMs: 1, timeoutMs: 5000 };
    await push(env.ts.station.core, env.server.url, ACTOR, link);
    await push(second.station.core, env.server.url, ACTOR, link).catch(() => undefined);
    // Whatever the fix (station-unique client IDs, or the server refusing a client another station enrolled),
    // the server must not hold one client's PSRD from two stations, nor give the first client's PSRD more bytes.
    const rows = await env.server.core.sdb.db.selectFrom('psrd').select(['owner', 'station']).where('owner', 'is not', null).execute();
    const stationsOf = new Map<string, Set<string>>();
    for (const r of rows) stationsOf.set(r.owner!, (stationsOf.get(r.owner!) ?? new Set()).add(r.station));
    expect([...stationsOf].filter(([, s]) => s.size > 1).map(([owner]) => owner)).toEqual([]);
    expect((await clientPsrd(env.server.core, da.client)).length).toBe(da.bytes);
    // Both stations numbered their first client c-000001; the server refused the second's, and said why.
    expect(db.client).toBe(da.client);
    expect((await second.station.handlers.sync.status({}, OP)).lastRefusal).toMatchObject({ code: 'client-of-another-station' });
  });
});
