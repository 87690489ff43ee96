// Refresh and low-water policy (issue S3, part 5): unallocated segments older than the configured age
// are destroyed (and the ledger says so); the status warns below the low-water mark.
import { afterEach, describe, expect, it } from 'vitest';
import { OP, openTestStation, type TestStation } from '../support/station';

const DAY = 86_400_000;
let ts: TestStation;
afterEach(() => ts.cleanup());

describe('pool policy', () => {
  it('destroys only the segments past their refresh age', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    ts = openTestStation({ now: () => new Date(now), policy: { segmentBytes: 256 * 1024, chunkBytes: 64 * 1024, refreshAfterDays: 183, lowWaterBytes: 0 } });
    await ts.station.handlers.pool.generate({ bytes: 512 * 1024 }, OP);
    now += 100 * DAY;
    await ts.station.handlers.pool.generate({ bytes: 256 * 1024 }, OP);
    now += 100 * DAY; // the first two segments are 200 days old, the last 100

    expect((await ts.station.handlers.pool.status({}, OP)).expiredSegments).toBe(2);
    expect(await ts.station.handlers.pool.destroyExpired({}, OP)).toEqual({ destroyedSegments: 2, destroyedBytes: 512 * 1024 });
    const status = await ts.station.handlers.pool.status({}, OP);
    expect(status).toMatchObject({ unallocatedBytes: 256 * 1024, segmentCount: 1, expiredSegments: 0 });
    const destroyed = ts.station.ledger.entries().filter((e) => e.type === 'pool.segment-destroyed');
    expect(destroyed.map((e) => e.data.reason)).toEqual(['expired', 'expired']);
    expect(await ts.station.handlers.pool.destroyExpired({}, OP)).toEqual({ destroyedSegments: 0, destroyedBytes: 0 });
  });

  it('refreshes: destroys what is past its age and generates as much again', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    ts = openTestStation({ now: () => new Date(now), policy: { segmentBytes: 256 * 1024, chunkBytes: 64 * 1024, refreshAfterDays: 183, lowWaterBytes: 0 } });
    const old = await ts.station.handlers.pool.generate({ bytes: 300 * 1024 }, OP);
    now += 200 * DAY;
    expect(await ts.station.handlers.pool.refresh({}, OP)).toEqual({ destroyedSegments: 2, destroyedBytes: 300 * 1024, generatedBytes: 300 * 1024 });
    const status = await ts.station.handlers.pool.status({}, OP);
    expect(status).toMatchObject({ unallocatedBytes: 300 * 1024, expiredSegments: 0 });
    const page = await ts.station.handlers.pool.segments({}, OP);
    expect(page.total).toBe(2);
    expect(page.segments.map((s) => s.id).some((id) => old.segmentIds.includes(id))).toBe(false);
  });

  it('warns below the low-water mark', async () => {
    ts = openTestStation({ policy: { segmentBytes: 256 * 1024, chunkBytes: 64 * 1024, lowWaterBytes: 600 * 1024 } });
    await ts.station.handlers.pool.generate({ bytes: 512 * 1024 }, OP);
    expect((await ts.station.handlers.pool.status({}, OP)).belowLowWater).toBe(true);
    await ts.station.handlers.pool.generate({ bytes: 512 * 1024 }, OP);
    expect((await ts.station.handlers.pool.status({}, OP)).belowLowWater).toBe(false);
  });

  it('refuses a second pool operation while one runs', async () => {
    ts = openTestStation();
    const first = ts.station.handlers.pool.generate({ bytes: 2 * 1024 * 1024 }, OP);
    await expect(ts.station.handlers.pool.generate({ bytes: 1024 }, OP)).rejects.toMatchObject({ code: 'busy' });
    await first;
  });

  it('refuses a second station process on the same data directory', () => {
    ts = openTestStation();
    expect(() => openTestStation({ dataDir: ts.dataDir })).toThrow(/Another station process|could not be locked/);
  });
});
