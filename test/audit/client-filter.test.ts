// An auditor asking for everything about a client gets a delivery's whole path: the reservation names
// the client, but its later entries (written, verified, delivered; a void; its ranges destroyed) name
// only the allocation. The index finds them under the client too, after a restart as well (from the
// snapshot, and rebuilt from the log when the snapshot holds an index of the older form).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OP, openTestStation, tempDir, type TestStation } from '../support/station';
import { shipWholePool } from '../support/server';
import { enrolClient } from '../support/enrol';

let ts: TestStation;
let client: string;
beforeAll(async () => {
  ts = openTestStation();
  const out = tempDir('dske-audit-client-');
  await ts.station.handlers.pool.generate({ bytes: 1 << 20, sources: ['os'] }, OP);
  await shipWholePool(ts.station);
  client = (await enrolClient(ts.station, OP, { name: 'Ada Example', keysDir: join(out, 'keys') })).client;
  await ts.station.handlers.delivery.deliver({ client, bytes: 100_000, to: `file:${join(out, 'ada.pkg')}` }, OP);
});
afterAll(async () => ts.cleanup());

const PATH = ['allocation.reserved', 'allocation.written', 'allocation.verified', 'allocation.delivered'];

async function typesFor(c: string): Promise<string[]> {
  return (await ts.station.handlers.audit.rows({ client: c, from: 0, limit: 1000 }, OP)).entries.map((e) => e.type);
}

describe('filtering the ledger by client', () => {
  it("finds every step of the client's delivery, also those that name only the allocation", async () => {
    const found = await typesFor(client);
    for (const t of PATH) expect(found.filter((x) => x === t).length, t).toBeGreaterThanOrEqual(1);
    // The same through the paged query, combined with a type.
    const q = await ts.station.handlers.audit.query({ client, type: 'allocation.delivered' }, OP);
    expect(q.entries.map((e) => e.type)).toContain('allocation.delivered');
    expect(await typesFor('c-999999')).toEqual([]);
  });

  it('after a restart: from the snapshot, and rebuilt from the log', async () => {
    const before = await typesFor(client);
    await ts.reopen();
    expect(await typesFor(client)).toEqual(before);
  });
});
