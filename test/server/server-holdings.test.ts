// What the Security Server holds, attacked from outside (issue S8, parts 1 and 4): a lost package, a
// revoked client and a voided range make it destroy its copy; a row of PSRD altered or moved in the
// database is refused, not served; a deleted or foreign master key stops the server with its reason; a
// cut or rewritten audit log is caught; and a range moved out of the pool leaves no old key behind in
// the SQLite file.
import { randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRegistration } from '../../src-shared/sync/registration-file';
import { sealReportBatch, type RangeReport } from '../../src-shared/sync/report-batch';
import { entryHash } from '../../src-node/ledger/entry';
import { verifyAudit } from '../../src-server/audit-log';
import { loadConfig } from '../../src-server/config';
import { openServer } from '../../src-server/core';
import { clientPsrd, serverStatus } from '../../src-server/holdings';
import { applyReportBatch } from '../../src-server/reports';
import { recentRefusals } from '../../src-server/refusal-log';
import { registerStation } from '../../src-server/registration';
import { enrolClient } from '../support/enrol';
import { shipTo, startTestServer, type TestServer } from '../support/server';
import { OP, openTestStation, tempDir, type TestStation } from '../support/station';

let ts: TestStation;
let server: TestServer;
let work: string;
let reportKey: Uint8Array;
beforeAll(async () => {
  ts = openTestStation();
  work = tempDir('dske-holdings-');
  await ts.station.handlers.pool.generate({ bytes: 2 << 20, sources: ['os'] }, OP);
  server = await startTestServer();
  await server.listen();
  const reg = await ts.station.handlers.sync.register({ out: join(work, 'station.dskereg') }, OP);
  reportKey = decodeRegistration(readFileSync(reg.path)).keys.report;
  await registerStation(server.core, readFileSync(reg.path), reg.confirmationCode);
  await shipTo(ts.station, server, work);
});
afterAll(async () => {
  await server?.close();
  await ts?.cleanup();
});

const h = (): TestStation['station']['handlers'] => ts.station.handlers;

/**
 * A batch the station never made, sealed with its report key and its real ledger checkpoint, numbered
 * and witnessed from where the server stands (as an insider with the registration file could).
 */
async function forged(reports: Omit<RangeReport, 'seq' | 'time'>[]): Promise<Uint8Array> {
  const core = ts.station.core;
  const at = (await serverStatus(server.core)).stations[0];
  const first = at.appliedUpTo + 1;
  const from = at.witnessedTreeSize;
  const { checkpoint, proof } = core.ledger.witnessCheckpoint(from, core.now);
  const numbered = reports.map((r, i) => ({ ...r, seq: first + i, time: new Date().toISOString() }));
  return sealReportBatch({ format: 1, hub: 'hub', station: checkpoint.station, first, last: first + reports.length - 1, checkpoint, witness: from && proof ? { from, proof } : null }, numbered, reportKey, randomBytes(12));
}

describe("the server's copy is destroyed when the station says so", () => {
  it('a lost package, a revoked client, a voided range', async () => {
    const a = await enrolClient(ts.station, OP, { keysDir: join(work, 'keys-a'), name: 'A' });
    const b = await enrolClient(ts.station, OP, { keysDir: join(work, 'keys-b'), name: 'B' });
    const p1 = await h().delivery.deliver({ client: a.client, bytes: 40_000, to: `file:${join(tempDir('dske-h-'), 'p1.pkg')}` }, OP);
    const p2 = await h().delivery.deliver({ client: a.client, bytes: 50_000, to: `file:${join(tempDir('dske-h-'), 'p2.pkg')}` }, OP);
    await h().delivery.deliver({ client: b.client, bytes: 30_000, to: `file:${join(tempDir('dske-h-'), 'p3.pkg')}` }, OP);
    await h().sync.push({ server: server.url }, OP);
    expect((await clientPsrd(server.core, a.client)).length).toBe(90_000);

    await h().clients.reportLoss({ client: a.client, package: p1.package, reason: 'left on a train' }, OP);
    await h().clients.revoke({ client: b.client, reason: 'left the company' }, OP);
    expect(await h().sync.push({ server: server.url }, OP)).toMatchObject({ reportsSent: 2, waiting: 0 });
    expect((await clientPsrd(server.core, a.client, { package: p1.package })).length).toBe(0);
    expect((await clientPsrd(server.core, a.client, { package: p2.package })).length).toBe(50_000);
    expect((await clientPsrd(server.core, b.client)).length).toBe(0);
    expect((await clientPsrd(server.core, b.client, { purpose: 'initial-keys' })).length).toBe(0);

    // Nothing more goes to a revoked client; a voided range is destroyed, and cannot be handed out after.
    const seg = [...ts.station.core.sync.acknowledged][0];
    const pool = (await serverStatus(server.core)).stations[0].poolBytes;
    const toRevoked = await applyReportBatch(server.core, await forged([{ kind: 'delivered', client: b.client, package: `pkg-${'1'.repeat(32)}`, ranges: [{ segment: seg, offset: 200_000, length: 100 }], bytes: 100, tableOffset: 0 }]));
    expect(toRevoked).toMatchObject({ applied: 0, refused: { code: 'client-revoked' } });
    const voided = await applyReportBatch(server.core, await forged([{ kind: 'voided', client: a.client, ranges: [{ segment: seg, offset: 200_000, length: 1000 }], bytes: 1000 }]));
    expect(voided).toMatchObject({ applied: 1, refused: null });
    expect((await serverStatus(server.core)).stations[0].poolBytes).toBe(pool - 1000);
    const overlapping = await applyReportBatch(server.core, await forged([{ kind: 'delivered', client: a.client, package: `pkg-${'2'.repeat(32)}`, ranges: [{ segment: seg, offset: 200_500, length: 10 }], bytes: 10, tableOffset: 90_000 }]));
    expect(overlapping).toMatchObject({ applied: 0, refused: { code: 'not-in-pool' } });
    // A package placed where the client's table does not end is refused: A's table holds 90,000 bytes
    // (p1, lost but keeping its place, and p2).
    const misplaced = await applyReportBatch(server.core, await forged([{ kind: 'delivered', client: a.client, package: `pkg-${'3'.repeat(32)}`, ranges: [{ segment: seg, offset: 250_000, length: 10 }], bytes: 10, tableOffset: 40_000 }]));
    expect(misplaced).toMatchObject({ applied: 0, refused: { code: 'table-offset' } });
    // The station never made that voided report: it refuses the acknowledgement that counts it, and says so.
    writeFileSync(join(work, 'forged.dskeack'), voided.ack);
    await expect(h().sync.import({ file: join(work, 'forged.dskeack') }, OP)).rejects.toMatchObject({ code: 'acknowledgement-refused', message: expect.stringMatching(/has made only/) });
    expect((await h().sync.status({}, OP)).lastRejected?.reason).toMatch(/has made only/);
  });
});

describe('the database attacked by someone who can write to it', () => {
  it('an altered or moved PSRD row is refused, never served', async () => {
    const db = server.core.sdb.db;
    const row = await db.selectFrom('psrd').select(['id', 'owner', 'sealed']).where('purpose', '=', 'psrd').orderBy('id').executeTakeFirstOrThrow();
    const sealed = Buffer.from(row.sealed);
    sealed[20] ^= 1;
    await db.updateTable('psrd').set({ sealed }).where('id', '=', row.id).execute();
    await expect(clientPsrd(server.core, row.owner!)).rejects.toMatchObject({ code: 'io', message: expect.stringMatching(/does not authenticate/) });
    sealed[20] ^= 1;
    await db.updateTable('psrd').set({ sealed, offset: sql`"offset" + 1` as never }).where('id', '=', row.id).execute();
    await expect(clientPsrd(server.core, row.owner!)).rejects.toMatchObject({ code: 'master-key' });
    await db.updateTable('psrd').set({ offset: sql`"offset" - 1` as never }).where('id', '=', row.id).execute();
    expect((await clientPsrd(server.core, row.owner!)).length).toBeGreaterThan(0);
  });

  it('a cut or rewritten audit log is caught', async () => {
    const db = server.core.sdb.db;
    expect((await verifyAudit(server.core)).ok).toBe(true);
    const last = await db.selectFrom('audit').selectAll().orderBy('seq', 'desc').executeTakeFirstOrThrow();
    await db.deleteFrom('audit').where('seq', '=', last.seq).execute();
    expect((await verifyAudit(server.core)).problem).toMatch(/cut from the end or rewritten/);
    // Cut, and the head rewritten to match without the audit key.
    const before = await db.selectFrom('audit').selectAll().orderBy('seq', 'desc').executeTakeFirstOrThrow();
    await db.updateTable('audit_head').set({ seq: before.seq, hash: before.hash }).where('id', '=', 1).execute();
    expect((await verifyAudit(server.core)).problem).toMatch(/not authentic/);
    // An entry's data rewritten and its hash recomputed: the next entry no longer names it.
    const first = await db.selectFrom('audit').selectAll().where('seq', '=', 0).executeTakeFirstOrThrow();
    const data = { ...JSON.parse(first.data), hub: 'elsewhere' };
    await db.updateTable('audit').set({ data: JSON.stringify(data), hash: entryHash(first.prev, 0, first.time, first.type, data) }).where('seq', '=', 0).execute();
    expect((await verifyAudit(server.core)).problem).toMatch(/audit entry 1: does not name the hash/);
  });

  it('junk sent by anyone grows no audit log: it is noted, with its reason, in the bounded refusal log', async () => {
    const db = server.core.sdb.db;
    const audit = async (): Promise<number> => Number((await db.selectFrom('audit').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const before = await audit();
    for (let i = 0; i < 50; i++) {
      const r = await fetch(`${server.url}/v1/reports`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from(`not a batch ${i}`) });
      expect(r.status).toBe(400);
    }
    expect(await audit()).toBe(before);
    const noted = await recentRefusals(db, 50);
    expect(noted).toHaveLength(50);
    expect(noted.every((n) => n.code === 'malformed' && n.station === null && /not a DSKE report batch/.test(n.reason))).toBe(true);
  });

  it('a database of another version, or from before versions, is refused with its reason, never half-used', async () => {
    const config = loadConfig({}, { dataDir: server.dataDir });
    const db = server.core.sdb.db;
    await db.updateTable('meta').set({ value: '2' }).where('key', '=', 'schema').execute();
    await expect(openServer(config)).rejects.toMatchObject({ code: 'bad-config', message: expect.stringMatching(/tables of version 2; this dske-server knows version 1/) });
    await db.deleteFrom('meta').execute();
    await expect(openServer(config)).rejects.toMatchObject({ code: 'bad-config', message: expect.stringMatching(/earlier build of dske-server/) });
    await db.insertInto('meta').values({ key: 'schema', value: '1' }).execute();
    await (await openServer(config)).close();
  });

  it('a deleted or foreign master key stops the server with its reason', async () => {
    const config = loadConfig({}, { dataDir: server.dataDir });
    const keep = join(work, 'master.key.saved');
    copyFileSync(config.masterKeyPath, keep);
    rmSync(config.masterKeyPath);
    await expect(openServer(config)).rejects.toMatchObject({ code: 'master-key', message: expect.stringMatching(/master key .* cannot be used: .*missing/) });
    const other = tempDir('dske-other-');
    const foreign = loadConfig({}, { dataDir: server.dataDir, hub: 'hub' });
    await expect(openServer({ ...foreign, masterKeyPath: join(other, 'master.key') }, { create: true })).rejects.toMatchObject({ code: 'master-key', message: expect.stringMatching(/another server's/) });
    copyFileSync(keep, config.masterKeyPath);
  });

  it('a range moved out of the pool leaves no copy of its old key in the SQLite file', async () => {
    const db = server.core.sdb.db;
    const seg = [...ts.station.core.sync.acknowledged][1];
    const row = await db.selectFrom('psrd').select(['id', 'offset', 'length', 'wrapped_key', 'sealed']).where('segment', '=', seg).where('purpose', '=', 'pool').orderBy('offset').executeTakeFirstOrThrow();
    const oldKey = Buffer.from(row.wrapped_key);
    const oldSealed = Buffer.from(row.sealed).subarray(12, 60);
    const file = (): Buffer => readFileSync(join(server.dataDir, 'server.sqlite'));
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
    expect(file().indexOf(oldKey)).toBeGreaterThan(-1);
    // Ten bytes in the middle of the row voided: the row is split, each part re-sealed, the old row deleted.
    const r = await applyReportBatch(server.core, await forged([{ kind: 'voided', client: 'c-000001', ranges: [{ segment: seg, offset: row.offset + 10, length: 10 }], bytes: 10 }]));
    expect(r).toMatchObject({ applied: 1, refused: null });
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
    expect(file().indexOf(oldKey)).toBe(-1);
    expect(file().indexOf(oldSealed)).toBe(-1);
  });
});
