// Device events (issue S1, part 3): a configured source that appears, and one latched FAILED, reach
// subscribers as `devices.changed` without anyone asking.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SourceReport } from '../../src-shared/api/devices';
import { openStation, type Station } from '../../src-main/station/station';
import { OP, tempDir } from '../support/station';

let station: Station | undefined;
let dir: string;
afterEach(async () => {
  await station?.close();
  rmSync(dir, { recursive: true, force: true });
});

function next(s: Station, pred: (r: SourceReport) => boolean): Promise<SourceReport> {
  return new Promise((resolve) => {
    const off = s.events.on('devices.changed', (r) => {
      if (pred(r)) {
        off();
        resolve(r);
      }
    });
  });
}

describe('device events', () => {
  it('report a configured device that appears, and one that fails its test', async () => {
    dir = tempDir('dske-watch-');
    const device = join(dir, 'rng-device');
    writeFileSync(join(dir, 'station.json'), JSON.stringify({ sources: ['os', `file:${device}`] }));
    station = openStation({ dataDir: dir, host: 'test', watchDevicesMs: 50 });
    const spec = `file:${device}`;
    const state = (r: SourceReport): string | undefined => r.sources.find((x) => x.spec === spec)?.state;
    expect(state(await station.handlers.devices.listSources({}, OP))).toBe('absent');

    const appeared = next(station, (r) => state(r) === 'ok');
    writeFileSync(device, Buffer.alloc(1 << 16, 7)); // present, and stuck at one value
    expect(state(await appeared)).toBe('ok');

    const failed = next(station, (r) => state(r) === 'failed');
    expect((await station.handlers.devices.testSource({ spec }, OP)).passed).toBe(false);
    expect(state(await failed)).toBe('failed');
  });
});
