// A failing hardware source end to end (issue S3): a TrueRNG-like device played through a real pty
// pair goes stuck mid-generation. Nothing from it reaches the pool, the ledger records the failure, the
// source stays latched across a restart until an operator acknowledges it, and then works again.
import { closeSync, constants, openSync, readdirSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStation, type Station } from '../../src-main/station/station';
import { StationFailure } from '../../src-shared/api/result';
import { PtyDevice, socatMissing } from '../entropy/helpers/pty-device';
import { keystream } from '../entropy/helpers/bytes';
import { OP, SMALL_POLICY, tempDir } from '../support/station';

let device: PtyDevice;
let dir: string;
let stations: Station[] = [];
let feeding = true;

/** Plays the device: good samples, then (if told) a stuck value from byte `stuckAfter` on. */
function feed(stuckAfter = Infinity): Promise<void> {
  feeding = true;
  return (async () => {
    const good = keystream(`device-${Math.random()}`, 8 * 1024 * 1024);
    const stuck = new Uint8Array(4096).fill(0x55);
    let sent = 0;
    while (feeding) {
      const piece = sent >= stuckAfter ? stuck : good.subarray(sent % good.length, (sent % good.length) + 4096);
      await device.write(piece).catch(() => (feeding = false));
      sent += piece.length;
    }
  })();
}

/** Reads whatever the device end holds, without blocking (what a source left unread after closing). */
function drainOnce(): void {
  const fd = openSync(device.devicePath, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  const buf = Buffer.alloc(65536);
  try {
    for (;;) if (readSync(fd, buf) === 0) return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
  } finally {
    closeSync(fd);
  }
}

/** Stops the device and empties the line, so the next phase starts from fresh samples. */
async function stopFeeding(feeder: Promise<void>): Promise<void> {
  feeding = false;
  let settled = false;
  void feeder.then(() => (settled = true));
  while (!settled) {
    drainOnce();
    await new Promise((r) => setTimeout(r, 20));
  }
  drainOnce();
}

function open(): Station {
  const s = openStation({ dataDir: dir, host: 'test', policy: SMALL_POLICY });
  stations.push(s);
  return s;
}

beforeEach(async () => {
  dir = tempDir('dske-entropy-station-');
  device = await PtyDevice.start();
});
afterEach(async () => {
  feeding = false;
  drainOnce();
  for (const s of stations) await s.close().catch(() => undefined);
  stations = [];
  await device.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(socatMissing)('a hardware source that fails mid-generation', () => {
  it('adds nothing to the pool, records the failure, latches the source until acknowledged', async () => {
    const spec = `serial:${device.devicePath}:truerng`;
    const feeder = feed();
    let station = open();
    const good = await station.handlers.pool.generate({ bytes: 64 * 1024, sources: [spec] }, OP);
    expect(good.label).toBe('information-theoretic');
    const before = (await station.handlers.pool.status({}, OP)).unallocatedBytes;
    await stopFeeding(feeder);

    const failing = feed(200 * 1024);
    const err = await station.handlers.pool.generate({ bytes: 200 * 1024, sources: [spec] }, OP).catch((e: unknown) => e);
    await stopFeeding(failing);
    expect(err).toBeInstanceOf(StationFailure);
    expect(err).toMatchObject({ code: 'entropy-failed' });
    expect((await station.handlers.pool.status({}, OP)).unallocatedBytes).toBe(before);
    expect(readdirSync(join(dir, 'pool')).filter((f) => f.endsWith('.partial'))).toEqual([]);
    const types = station.ledger.entries().map((e) => e.type);
    expect(types.filter((t) => !t.startsWith('job.')).slice(-2)).toEqual(['entropy.source-failed', 'pool.generation-failed']);
    const failed = station.ledger.entries().find((e) => e.type === 'entropy.source-failed')!;
    expect(failed.data).toMatchObject({ source: spec, test: 'rct' });

    // Latched across a restart: refused before the device is even opened.
    await station.close();
    station = open();
    await expect(station.handlers.pool.generate({ bytes: 1024, sources: [spec] }, OP)).rejects.toMatchObject({ code: 'entropy-failed', message: expect.stringContaining('latched FAILED') });
    const listed = (await station.handlers.devices.listSources({}, OP)).sources.find((s) => s.spec === spec);
    expect(listed).toMatchObject({ state: 'failed' });

    const approved = { ...OP, approver: { name: 'R. Approver', roles: ['operator' as const] } };
    expect(await station.handlers.devices.acknowledgeSource({ spec }, approved)).toEqual({ acknowledged: true });
    expect(station.ledger.entries().at(-1)).toMatchObject({ type: 'entropy.source-acknowledged', data: { source: spec, operator: OP.operator!.name, approver: 'R. Approver', failureSeq: failed.seq } });
    await expect(station.handlers.devices.acknowledgeSource({ spec }, approved)).rejects.toMatchObject({ code: 'bad-request' });

    const again = feed();
    const after = await station.handlers.pool.generate({ bytes: 64 * 1024, sources: [spec] }, OP);
    await stopFeeding(again);
    expect(after.bytes).toBe(64 * 1024);
    expect((await station.ledger.verify()).ok).toBe(true);
  }, 60_000);

  it('records the device and its health parameters with every segment', async () => {
    const spec = `serial:${device.devicePath}:truerng`;
    const feeder = feed();
    const station = open();
    await station.handlers.pool.generate({ bytes: 32 * 1024, sources: [spec, 'os'] }, OP);
    await stopFeeding(feeder);
    const seg = station.ledger.entries().find((e) => e.type === 'pool.segment-added')!;
    expect(seg.data).toMatchObject({ label: 'information-theoretic', sources: [spec, 'os'] });
    const prov = seg.data.provenance as { combiner: string; sources: { kind: string; health: { alpha: number }; conditioner: { name: string } }[] };
    expect(prov.combiner).toBe('xor');
    expect(prov.sources.map((s) => s.kind)).toEqual(['serial', 'os']);
    expect(prov.sources[0].health.alpha).toBe(2 ** -30);
    expect(prov.sources[1].health.alpha).toBe(2 ** -40);
  }, 60_000);
});
