// The station's side of the link to its Security Server (issue S8, parts 2 and 4): registration without
// public-key cryptography (keys made here, written to a file for a medium, a code confirmed on both
// sides), and the waiting range reports exported, sealed under the report key, for an air-gapped server.
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { confirmationCode, decodeRegistration } from '../../src-shared/sync/registration-file';
import { openReportBatch } from '../../src-shared/sync/report-batch';
import type { Ctx } from '../../src-main/station/core';
import { OP, openTestStation, tempDir, type TestStation } from '../support/station';
import { enrolClient } from '../support/enrol';
import { refusal } from '../support/refusal';
import { shipTo, startTestServer, type TestServer } from '../support/server';
import { registerStation } from '../../src-server/registration';

let ts: TestStation;
let out: string;
let server: TestServer | undefined;
const h = (): TestStation['station']['handlers'] => ts.station.handlers;
const two: Ctx = { ...OP, approver: { name: 'Sam Second', roles: ['operator'] } };

beforeEach(async () => {
  ts = openTestStation();
  out = tempDir('dske-sync-out-');
  await h().pool.generate({ bytes: 1 << 20, sources: ['os'] }, OP);
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await ts.cleanup();
});

/** The registration file carried to a real Security Server, and the pool shipped there. */
async function serverFor(path: string, code: string): Promise<void> {
  server = await startTestServer();
  await registerStation(server.core, readFileSync(path), code);
  await shipTo(ts.station, server, out);
}

describe('registration and report export', () => {
  it('registers once, with a code both sides can read; exports the outbox sealed, checkpoint included', async () => {
    expect((await refusal(h().sync.export({ out: join(out, 'early.dskereports') }, OP))).code).toBe('not-registered');
    const reg = await h().sync.register({ out: join(out, 'station.dskereg') }, two);
    const file = decodeRegistration(readFileSync(reg.path));
    // The file holds the keys the station shares with its server: no other local user may read it.
    expect(statSync(reg.path).mode & 0o777).toBe(0o600);
    expect(file).toMatchObject({ hub: 'hub', station: reg.station, createdAt: reg.createdAt });
    expect(confirmationCode(file)).toBe(reg.confirmationCode);
    expect(reg.confirmationCode).toMatch(/^\d{8}$/);
    expect((await refusal(h().sync.register({ out: join(out, 'again.dskereg') }, two))).code).toBe('already-registered');
    // The ledger has no key, only a check value; the status shows the same code after a restart.
    const entry = ts.station.ledger.entries().find((e) => e.type === 'sync.registered')!;
    for (const k of [file.keys.shipment, file.keys.report, file.keys.ack]) expect(JSON.stringify(entry.data)).not.toContain(Buffer.from(k).toString('hex'));
    await ts.reopen();
    expect((await h().sync.status({}, OP)).registration).toEqual({ station: reg.station, hub: 'hub', createdAt: reg.createdAt, confirmationCode: reg.confirmationCode });
    await serverFor(reg.path, reg.confirmationCode);

    const { client } = await enrolClient(ts.station, OP, { keysDir: join(out, 'keys') });
    const d = await h().delivery.deliver({ client, bytes: 10_000, to: `file:${join(tempDir('dske-sync-pkg-'), 'p.pkg')}` }, OP);
    const exported = await h().sync.export({ out: join(out, 'batch.dskereports') }, OP);
    expect(exported).toMatchObject({ first: 1, last: 2, reports: 2 });
    const batch = openReportBatch(readFileSync(exported.path), file.keys.report);
    expect(batch.header).toMatchObject({ hub: 'hub', station: reg.station, first: 1, last: 2 });
    expect(batch.header.checkpoint.station).toBe(reg.station);
    expect((await h().audit.verifyAgainst({ checkpoint: batch.header.checkpoint }, OP)).ok).toBe(true);
    expect(batch.reports.map((r) => [r.seq, r.kind, r.client, r.bytes])).toEqual([[1, 'initial-keys', client, 64], [2, 'delivered', client, 10_000]]);
    expect(batch.reports[1]).toMatchObject({ package: d.package, ranges: d.ranges });
    // Still waiting: only the server's acknowledgement takes reports out of the outbox.
    const status = await h().sync.status({}, OP);
    expect(status).toMatchObject({ reportsWaiting: 2, lastExport: { first: 1, last: 2 } });
    expect((await refusal(h().sync.export({ out: exported.path }, OP))).message).toMatch(/already exists/);
  });

  it('refuses a registration file named by a relative path', async () => {
    expect((await refusal(h().sync.register({ out: 'relative.dskereg' }, two))).code).toBe('bad-request');
  });

  it('a registration file that cannot be written registers nothing and locks nothing; a lost key file is said, not crashed on', async () => {
    writeFileSync(join(out, 'taken.dskereg'), 'someone else\'s');
    expect((await refusal(h().sync.register({ out: join(out, 'taken.dskereg') }, two))).message).toMatch(/already exists/);
    expect((await h().sync.status({}, OP)).registration).toBeNull();
    const reg = await h().sync.register({ out: join(out, 'station.dskereg') }, two);
    expect(decodeRegistration(readFileSync(reg.path)).station).toBe(reg.station);
    await serverFor(reg.path, reg.confirmationCode);
    // Someone deletes the station's registration keys: the status still answers; the export says what is wrong.
    rmSync(join(ts.dataDir, 'sync', 'registration.key'));
    expect((await h().sync.status({}, OP)).registration).toEqual({ station: reg.station, hub: 'hub', createdAt: reg.createdAt, confirmationCode: '' });
    await enrolClient(ts.station, OP, { keysDir: join(out, 'keys') }); // a report waits
    expect((await refusal(h().sync.export({ out: join(out, 'batch.dskereports') }, OP))).code).toBe('not-registered');
  });
});

