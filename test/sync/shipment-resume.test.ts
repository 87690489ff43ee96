// A bulk shipment interrupted and resumed (issue S8, part 3): the station's write stops anywhere (a
// cancelled job, a torn last write, a damaged byte in what was written); asking for the same file again
// keeps the chunks that authenticate and writes the rest, and the server imports the result whole.
// Also: a shipment never goes over an existing file, and segments in a shipment are never shipped twice.
import { closeSync, existsSync, openSync, readFileSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StationFailure } from '../../src-shared/api/result';
import { writeShipment } from '../../src-main/station/sync/shipment-writer';
import { importShipment } from '../../src-server/shipments';
import { refusal } from '../support/refusal';
import { registerWith, startTestServer, type TestServer } from '../support/server';
import { OP, openTestStation, tempDir, type TestStation } from '../support/station';

let ts: TestStation;
let server: TestServer;
let work: string;
beforeAll(async () => {
  ts = openTestStation({ policy: { segmentBytes: 4 << 20, chunkBytes: 64 * 1024, lowWaterBytes: 0 } });
  work = tempDir('dske-ship-resume-');
  await ts.station.handlers.pool.generate({ bytes: 12 << 20, sources: ['os'] }, OP);
  server = await startTestServer();
  await registerWith(ts.station, server, work);
});
afterAll(async () => {
  await server?.close();
  await ts?.cleanup();
});

/** A job that is cancelled after `chunks` chunks were written. */
const stoppingAfter = (chunks: number) => {
  let n = 0;
  return { id: 'job-0000000000000001', progress: () => undefined, checkCancelled: () => {
    if (++n > chunks) throw new StationFailure('cancelled', 'The shipment was cancelled.');
  } };
};

describe('a shipment resumed', () => {
  it('after a cancel, a torn write and a damaged chunk: the same file finished, imported whole', async () => {
    const out = join(work, 'pool.dskeshp');
    const core = ts.station.core;
    await expect(writeShipment(core, { out, bytes: 8 << 20 }, stoppingAfter(3), { host: 'test' })).rejects.toMatchObject({ code: 'cancelled' });
    const partial = `${out}.partial`;
    expect(existsSync(out)).toBe(false);
    const written = statSync(partial).size;
    expect(written).toBeGreaterThan(2 << 20); // the header and two chunks
    // The shipment's segments are taken: another shipment does not choose them.
    const shipment = Object.values(core.sync.state.shipments)[0];
    expect(shipment.segments).toHaveLength(2);

    // A torn last write (cut mid-chunk), then resumed and cancelled again further on.
    truncateSync(partial, written - 1000);
    await expect(writeShipment(core, { out, bytes: 8 << 20 }, stoppingAfter(2), { host: 'test' })).rejects.toMatchObject({ code: 'cancelled' });
    expect(statSync(partial).size).toBeGreaterThan(written);
    // A byte damaged inside the second chunk: everything from there is written again.
    const fd = openSync(partial, 'r+');
    writeSync(fd, Buffer.from([0xff ^ readFileSync(partial)[(1 << 20) + 4000]]), 0, 1, (1 << 20) + 4000);
    closeSync(fd);
    const done = await writeShipment(core, { out, bytes: 8 << 20 }, stoppingAfter(1e9), { host: 'test' });
    expect(done).toMatchObject({ shipment: shipment.shipment, resumed: true, segments: 2, bytes: 8 << 20 });
    expect(existsSync(partial)).toBe(false);
    const entry = ts.station.ledger.entries().find((e) => e.type === 'sync.shipment-written')!;
    expect(entry.data).toMatchObject({ shipment: shipment.shipment, fileBytes: statSync(out).size });

    const imported = await importShipment(server.core, out);
    expect(imported).toMatchObject({ added: true, bytes: 8 << 20, segments: 2 });
  });

  it('a shipment that never finished can be abandoned (its segments free again); a written one cannot', async () => {
    const h = ts.station.handlers;
    const core = ts.station.core;
    const out = join(work, 'dead-stick.dskeshp');
    await expect(writeShipment(core, { out, bytes: 4 << 20 }, stoppingAfter(1), { host: 'test' })).rejects.toMatchObject({ code: 'cancelled' });
    const sh = Object.values(core.sync.state.shipments).find((s) => s.path === out)!;
    expect(existsSync(`${out}.partial`)).toBe(true);
    expect(core.sync.inShipment.has(sh.segments[0]!)).toBe(true);
    expect(await h.sync.abandonShipment({ shipment: sh.shipment, reason: 'the stick died' }, OP)).toEqual({ shipment: sh.shipment, segments: 1 });
    expect(core.sync.inShipment.has(sh.segments[0]!)).toBe(false);
    expect(existsSync(`${out}.partial`)).toBe(false);
    expect((await refusal(h.sync.abandonShipment({ shipment: sh.shipment, reason: 'again' }, OP))).message).toMatch(/abandoned already/);
    const written = Object.values(core.sync.state.shipments).find((s) => s.written)!;
    expect((await refusal(h.sync.abandonShipment({ shipment: written.shipment, reason: 'no' }, OP))).message).toMatch(/written in full/);
    expect((await h.sync.status({}, OP)).shipments.find((s) => s.shipment === sh.shipment)?.state).toBe('abandoned');
    // The same place later starts a new shipment, never the abandoned one.
    await expect(writeShipment(core, { out, bytes: 4 << 20 }, stoppingAfter(1), { host: 'test' })).rejects.toMatchObject({ code: 'cancelled' });
    const again = Object.values(core.sync.state.shipments).filter((s) => s.path === out);
    expect(again).toHaveLength(2);
    expect(again[1]!.segments).toEqual(sh.segments);
    await h.sync.abandonShipment({ shipment: again[1]!.shipment, reason: 'test done' }, OP);
  });

  it('never over an existing file; the rest of the pool in a new shipment, nothing twice', async () => {
    const h = ts.station.handlers;
    expect((await refusal(h.sync.ship({ out: join(work, 'pool.dskeshp') }, OP))).message).toMatch(/already exists/);
    // A mistyped folder chooses nothing: the segments stay free for the next shipment.
    expect((await refusal(h.sync.ship({ out: join(work, 'no-such-dir', 'x.dskeshp') }, OP))).code).toBe('io');
    expect((await refusal(h.sync.ship({ out: join(work, 'pool.dskeshp', 'x.dskeshp') }, OP))).message).toMatch(/not a folder/);
    const rest = await h.sync.ship({ out: join(work, 'rest.dskeshp') }, OP);
    expect(rest).toMatchObject({ segments: 1, bytes: 4 << 20, resumed: false });
    expect((await refusal(h.sync.ship({ out: join(work, 'none.dskeshp') }, OP))).message).toMatch(/shipped already/);
  });
});
