// The station and the reference Security Server over loopback HTTP, on SQLite and on a real PostgreSQL
// cluster started here (issue S8, "Done when", first point): register → ship → import → acknowledge →
// allocate → report → the server's PSRD table for that client is byte-equal to what the client's
// package holds, and its initial keys to what the client's keys file holds.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPackage } from '../../src-shared/psrd/package-reader';
import { nodeCipher } from '../../src-node/psrd-store/package-cipher-node';
import { verifyAudit } from '../../src-server/audit-log';
import { clientPsrd, serverStatus } from '../../src-server/holdings';
import { registerStation } from '../../src-server/registration';
import { importShipment } from '../../src-server/shipments';
import { runServerCli } from '../../src-server/cli';
import { enrolClient, keysIn } from '../support/enrol';
import { startPostgres, type PostgresCluster } from '../support/postgres';
import { refusal } from '../support/refusal';
import { startTestServer, type TestServer } from '../support/server';
import { OP, openTestStation, tempDir, type TestStation } from '../support/station';

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(async () => cluster?.stop());

describe.each(['sqlite', 'postgres'] as const)('station and Security Server on %s', (database) => {
  let ts: TestStation;
  let server: TestServer;
  let work: string;
  beforeAll(async () => {
    ts = openTestStation();
    work = tempDir('dske-e2e-');
    await ts.station.handlers.pool.generate({ bytes: 3 << 20, sources: ['os'] }, OP);
    server = await startTestServer(database === 'postgres' ? { databaseUrl: await cluster.createDatabase(`e2e_${Date.now()}`) } : {});
    await server.listen();
  });
  afterAll(async () => {
    await server?.close();
    await ts?.cleanup();
  });

  it('register → ship → import → acknowledge → allocate → report: the server holds exactly what the client holds', async () => {
    const h = ts.station.handlers;
    const reg = await h.sync.register({ out: join(work, 'station.dskereg') }, OP);
    // A code mistyped at the server registers nothing.
    const wrong = String((Number(reg.confirmationCode) + 1) % 1e8).padStart(8, '0');
    await expect(registerStation(server.core, readFileSync(reg.path), wrong)).rejects.toMatchObject({ code: 'code-mismatch' });
    expect((await serverStatus(server.core)).stations).toHaveLength(0);
    expect((await registerStation(server.core, readFileSync(reg.path), reg.confirmationCode)).added).toBe(true);

    // Nothing the server does not hold reaches a client.
    expect((await refusal(h.clients.create({}, OP))).message).toMatch(/wait to be shipped to the Security Server/);

    const shipped = await h.sync.ship({ out: join(work, 'pool.dskeshp'), bytes: 2 << 20 }, OP);
    expect(shipped).toMatchObject({ segments: 8, bytes: 2 << 20, resumed: false });
    const imported = await importShipment(server.core, shipped.path);
    expect(imported).toMatchObject({ added: true, shipment: shipped.shipment, bytes: 2 << 20 });
    if (database === 'sqlite') {
      writeFileSync(join(work, 'pool.dskeack'), imported.ack);
      expect(await h.sync.import({ file: join(work, 'pool.dskeack') }, OP)).toMatchObject({ kind: 'shipment', changed: true });
    } else {
      // The server acknowledges online: push fetches it.
      expect((await h.sync.push({ server: server.url }, OP)).shipmentsAcknowledged).toEqual([shipped.shipment]);
    }
    const status = await h.sync.status({}, OP);
    expect(status).toMatchObject({ shippedBytes: 2 << 20, unshippedBytes: 1 << 20 });
    expect(status.shipments).toEqual([expect.objectContaining({ shipment: shipped.shipment, state: 'acknowledged' })]);

    const { client, keysFile } = await enrolClient(ts.station, OP, { keysDir: join(work, 'keys') });
    const pkgPath = join(tempDir('dske-e2e-pkg-'), 'client.pkg');
    const d = await h.delivery.deliver({ client, bytes: 300_000, to: `file:${pkgPath}` }, OP);
    expect((await h.sync.status({}, OP)).reportsWaiting).toBe(2);

    const pushed = await h.sync.push({ server: server.url }, OP);
    expect(pushed).toMatchObject({ batches: 1, reportsSent: 2, appliedUpTo: 2, waiting: 0 });
    const after = await h.sync.status({}, OP);
    expect(after).toMatchObject({ reportsWaiting: 0, acknowledgedUpTo: 2, lastRefusal: null });
    expect(after.witnessedTreeSize).toBeGreaterThan(0);

    const initialKeys = keysIn(readFileSync(keysFile));
    const pkg = openPackage(readFileSync(pkgPath), initialKeys, nodeCipher);
    expect(pkg.header.package).toBe(d.package);
    const held = await clientPsrd(server.core, client, { package: d.package });
    expect(held.length).toBe(300_000);
    expect(held.equals(Buffer.from(pkg.psrd))).toBe(true);
    expect((await clientPsrd(server.core, client, { purpose: 'initial-keys' })).equals(initialKeys)).toBe(true);

    // The server's pool lost exactly those bytes; its record and the station's agree; its audit log verifies.
    const s = await serverStatus(server.core);
    expect(s.database).toBe(database);
    expect(s.stations[0]).toMatchObject({ appliedUpTo: 2, poolBytes: (2 << 20) - 300_000 - 64, shipmentsHeld: 1 });
    expect(s.clientBytes).toBe(300_000);
    expect((await h.sync.reconcile({ server: server.url }, OP)).differences).toEqual([]);
    expect((await verifyAudit(server.core)).ok).toBe(true);

    // A second package goes after the first in the client's PSRD table, at the same offset on both sides.
    const pkg2Path = join(tempDir('dske-e2e-pkg-'), 'second.pkg');
    const d2 = await h.delivery.deliver({ client, bytes: 5000, to: `file:${pkg2Path}` }, OP);
    expect(openPackage(readFileSync(pkg2Path), initialKeys, nodeCipher).header.tableOffset).toBe(300_000);
    await h.sync.push({ server: server.url }, OP);
    const placed = await server.core.sdb.db.selectFrom('psrd').select(['table_offset', 'length']).where('package', '=', d2.package).orderBy('table_offset').execute();
    expect(placed[0].table_offset).toBe(300_000);
    expect(placed.reduce((a, r) => a + r.length, 0)).toBe(5000);

    // Pushing again sends nothing; the same shipment imported again changes nothing.
    expect(await h.sync.push({ server: server.url }, OP)).toMatchObject({ batches: 0, appliedUpTo: 3 });
    expect((await importShipment(server.core, shipped.path)).added).toBe(false);
    // The operator's vacuum (deleted rows' pages reclaimed) runs on either database beside a serving process.
    let said = '';
    expect(await runServerCli(['vacuum', '--data', server.dataDir], { out: (t) => (said += t), err: (t) => (said += t) }, {})).toBe(0);
    expect(said).toMatch(database === 'postgres' ? /Vacuumed the PostgreSQL database/ : /Vacuumed the SQLite database/);
    expect((await clientPsrd(server.core, client, { package: d.package })).equals(Buffer.from(pkg.psrd))).toBe(true);
  });
});
