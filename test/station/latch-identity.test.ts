// Issue S5, item 5: a latch binds to the device, not to the words it was named by. A TrueRNG played
// through a real pty pair (socat) goes stuck and latches under `serial:/dev/pts/N:truerng`; then the
// same pty through `..`, through a symlink and as `file:/dev/pts/N` is refused before it is opened (no
// generation is recorded as started), with the refusal naming the spec it was latched under, and an
// acknowledgement under any of those specs clears it for all. A device file and a plain file latched
// under one path are refused through a symlink; a different file is not.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, mkdirSync, openSync, readSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { identifyPath } from '../../hardware/device-identity';
import { SETTINGS_FILE } from '../../src-main/station/config';
import { identifySource, latchedSources, sameUnit, type Units } from '../../src-main/station/devices/source-latches';
import type { Station } from '../../src-main/station/station';
import type { Ledger } from '../../src-node/ledger/ledger';
import type { Fold } from '../../src-node/ledger/fold';
import { StationFailure } from '../../src-shared/api/result';
import { keystream } from '../entropy/helpers/bytes';
import { PtyDevice, socatMissing } from '../entropy/helpers/pty-device';
import { OP, openTestStation, tempDir, type TestStation } from '../support/station';

const APPROVED = { ...OP, approver: { name: 'R. Approver', roles: ['operator' as const] } };

let t: TestStation | undefined;
let device: PtyDevice | undefined;
let dirs: string[] = [];
let feeding = false;

afterEach(async () => {
  feeding = false;
  if (device) drainOnce(device);
  await t?.cleanup();
  t = undefined;
  await device?.dispose();
  device = undefined;
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function scratch(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
}

/** A station whose settings name `sources` (besides os), so that the listing shows each of them. */
function stationWith(sources: readonly string[]): Station {
  const dataDir = tempDir('dske-s5-latch-');
  writeFileSync(join(dataDir, SETTINGS_FILE), JSON.stringify({ sources: ['os', ...sources] }));
  t = openTestStation({ dataDir });
  return t.station;
}

/** Plays the device: good samples, or (stuck) one value over and over. */
function feed(dev: PtyDevice, stuck: boolean): Promise<void> {
  feeding = true;
  return (async () => {
    const good = keystream(`latch-${Math.random()}`, 8 * 1024 * 1024);
    const same = new Uint8Array(4096).fill(0x55);
    let sent = 0;
    while (feeding) {
      const piece = stuck ? same : good.subarray(sent % good.length, (sent % good.length) + 4096);
      await dev.write(piece).catch(() => (feeding = false));
      sent += piece.length;
    }
  })();
}

/** Reads whatever the device end holds, without blocking. */
function drainOnce(dev: PtyDevice): void {
  const fd = openSync(dev.devicePath, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  const buf = Buffer.alloc(65536);
  try {
    for (;;) if (readSync(fd, buf) === 0) return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
  } finally {
    closeSync(fd);
  }
}

async function stopFeeding(dev: PtyDevice, feeder: Promise<void>): Promise<void> {
  feeding = false;
  let settled = false;
  void feeder.then(() => (settled = true));
  while (!settled) {
    drainOnce(dev);
    await new Promise((r) => setTimeout(r, 20));
  }
  drainOnce(dev);
}

async function rejection(p: Promise<unknown>): Promise<StationFailure> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(StationFailure);
  return e as StationFailure;
}

/** Ledger entries other than the job bookkeeping. */
const recorded = (station: Station): string[] => station.ledger.entries().map((e) => e.type).filter((x) => !x.startsWith('job.'));

/**
 * `spec` is refused by generation and by a source test, as latched under `latchedAs`, in plain words,
 * and nothing but job bookkeeping reaches the ledger (no generation is recorded as started).
 */
async function expectRefused(station: Station, spec: string, latchedAs: string): Promise<void> {
  const before = recorded(station);
  const generated = await rejection(station.handlers.pool.generate({ bytes: 16 * 1024, sources: [spec] }, OP));
  const tested = await rejection(station.handlers.devices.testSource({ spec }, OP));
  for (const err of [generated, tested]) {
    expect(err.code).toBe('entropy-failed');
    expect(err.message).toContain('latched FAILED');
    expect(err.message).toContain(latchedAs);
    const words = err.message.split(latchedAs).join('SPEC');
    expect(words).not.toMatch(/\bE[A-Z]{3,}\b|errno|ioctl|dske-station|`|--/);
  }
  expect(recorded(station)).toEqual(before);
  expect(recorded(station)).not.toContain('pool.generation-started');
}

async function stateOf(station: Station, spec: string): Promise<{ state: string; reason?: string } | undefined> {
  return (await station.handlers.devices.listSources({}, OP)).sources.find((s) => s.spec === spec);
}

describe.skipIf(socatMissing)('a latched pty (issue S5, item 5)', () => {
  it('is refused under every spec that names it, and one acknowledgement clears it for all', async () => {
    const dev = (device = await PtyDevice.start());
    const pts = realpathSync(dev.devicePath);
    expect(pts).toMatch(/^\/dev\/pts\/\d+$/);
    const n = pts.slice('/dev/pts/'.length);
    const deviceNumber = identifyPath(pts, 'entropy')?.deviceNumber;
    expect(deviceNumber).toMatch(/^\d+:\d+$/);
    const links = scratch('dske-s5-links-');
    symlinkSync(pts, join(links, 'trng'));

    const spec = `serial:${pts}:truerng`;
    const dotdot = `serial:/dev/pts/../pts/${n}:truerng`;
    const viaLink = `serial:${join(links, 'trng')}:truerng`;
    const viaSocatLink = `serial:${dev.devicePath}:truerng`;
    const asFile = `file:${pts}`;
    const station = stationWith([spec, dotdot, viaLink, asFile]);

    // Stuck from the first byte: the start-up test fails, and the source latches under `spec`.
    const stuck = feed(dev, true);
    const report = await station.handlers.devices.testSource({ spec }, OP);
    await stopFeeding(dev, stuck);
    expect(report).toMatchObject({ spec, passed: false, code: 'entropy-failed' });
    const failed = station.ledger.entries().filter((e) => e.type === 'entropy.source-failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.data).toMatchObject({ source: spec, device: `entropy:dev:${deviceNumber}`, deviceNumber, devicePath: pts, test: 'rct' });

    await expectRefused(station, spec, spec);
    for (const other of [dotdot, viaLink, viaSocatLink, asFile]) await expectRefused(station, other, spec);
    // Beside another source too: the latched unit stops the call before anything opens.
    const both = await rejection(station.handlers.pool.generate({ bytes: 16 * 1024, sources: ['os', dotdot] }, OP));
    expect(both).toMatchObject({ code: 'entropy-failed', message: expect.stringContaining(spec) });
    // The same unit twice is not two independent sources.
    await expect(station.handlers.pool.generate({ bytes: 16 * 1024, sources: [asFile, viaLink] }, OP)).rejects.toMatchObject({ code: 'bad-request' });

    // The listing shows the latch on every spec that names the unit, and where it was latched.
    for (const s of [spec, dotdot, viaLink, asFile]) {
      const listed = await stateOf(station, s);
      expect(listed).toMatchObject({ state: 'failed' });
      expect(listed?.reason).toContain(spec);
    }

    // Acknowledged under `..`: the entry names the unit and the latch; every spec is clear.
    expect(await station.handlers.devices.acknowledgeSource({ spec: dotdot }, APPROVED)).toEqual({ acknowledged: true });
    expect(station.ledger.entries().at(-1)).toMatchObject({
      type: 'entropy.source-acknowledged',
      data: { source: dotdot, device: `entropy:dev:${deviceNumber}`, latchedAs: spec, failureSeq: failed[0]!.seq, approver: 'R. Approver' },
    });
    for (const s of [spec, dotdot, viaLink, asFile]) {
      await expect(station.handlers.devices.acknowledgeSource({ spec: s }, APPROVED)).rejects.toMatchObject({ code: 'bad-request' });
      expect((await stateOf(station, s))?.state).not.toBe('failed');
    }
    const good = feed(dev, false);
    const made = await station.handlers.pool.generate({ bytes: 64 * 1024, sources: [viaLink] }, OP);
    await stopFeeding(dev, good);
    expect(made.bytes).toBe(64 * 1024);
    expect((await station.ledger.verify()).ok).toBe(true);
  }, 60_000);
});

describe('a latched device file', () => {
  it('is refused through a symlink (same device number); acknowledged through it, it is clear', async () => {
    const dir = scratch('dske-s5-dev-');
    symlinkSync('/dev/zero', join(dir, 'zeros'));
    const spec = 'file:/dev/zero';
    const viaLink = `file:${join(dir, 'zeros')}`;
    const station = stationWith([spec]);
    const report = await station.handlers.devices.testSource({ spec }, OP);
    expect(report).toMatchObject({ passed: false, code: 'entropy-failed' });
    expect(station.ledger.entries().find((e) => e.type === 'entropy.source-failed')?.data).toMatchObject({ source: spec, device: `entropy:dev:${identifyPath('/dev/zero', 'entropy')?.deviceNumber}` });
    await expectRefused(station, viaLink, spec);
    expect(await station.handlers.devices.acknowledgeSource({ spec: viaLink }, APPROVED)).toEqual({ acknowledged: true });
    expect((await stateOf(station, spec))?.state).toBe('ok');
  });

  it('a plain file is refused through a symlink and through `..`, and another file is not', async () => {
    const dir = scratch('dske-s5-file-');
    mkdirSync(join(dir, 'sub'));
    const stuckFile = join(dir, 'stuck');
    writeFileSync(stuckFile, Buffer.alloc(1 << 16, 9));
    symlinkSync(stuckFile, join(dir, 'alias'));
    const other = join(dir, 'other');
    writeFileSync(other, randomBytes(4 * 1024 * 1024));
    const spec = `file:${stuckFile}`;
    const station = stationWith([spec]);
    expect(await station.handlers.devices.testSource({ spec }, OP)).toMatchObject({ passed: false, code: 'entropy-failed' });
    await expectRefused(station, `file:${join(dir, 'alias')}`, spec);
    await expectRefused(station, `file:${dir}/sub/../stuck`, spec);
    expect(await station.handlers.devices.testSource({ spec: `file:${other}` }, OP)).toMatchObject({ passed: true });
  });
});

describe('identities of specs (no device needed)', () => {
  const pts = '/dev/null'; // a character device that every machine has, standing in for a port
  const units = (ports: Awaited<ReturnType<Units['serialPorts']>>, usb: Awaited<ReturnType<Units['usbDevices']>> = []): Units => ({ serialPorts: async () => ports, usbDevices: async () => usb });

  it('a serial unit by VID:PID:SERIAL and by its port path is one unit, keyed by its USB identity', async () => {
    const u = units([{ path: pts, vendorId: '04D8', productId: 'F5FE', serialNumber: 'TR-1' }]);
    const byId = await identifySource('serial:04d8:f5fe:TR-1', u);
    const byPath = await identifySource(`serial:/dev/../dev/null:truerng`, u);
    const anyUnit = await identifySource('serial:04d8:f5fe:*:truerng', u);
    expect(byId.device).toBe('entropy:usb:04d8:f5fe:TR-1');
    expect(byPath.device).toBe('entropy:usb:04d8:f5fe:TR-1');
    expect(byId.keys).toContain(`entropy:dev:${identifyPath(pts, 'entropy')?.deviceNumber}`);
    expect(sameUnit(byId, byPath) && sameUnit(anyUnit, byPath)).toBe(true);
    // Moved to another port, the unit is still the unit.
    const moved = await identifySource('serial:04d8:f5fe:TR-1', units([{ path: '/dev/zero', vendorId: '04d8', productId: 'f5fe', serialNumber: 'TR-1' }]));
    expect(sameUnit(moved, byPath)).toBe(true);
    // Another unit of the same model is not.
    const another = await identifySource('serial:04d8:f5fe:TR-2', u);
    expect(sameUnit(another, byId)).toBe(false);
  });

  it('a vendor-bulk unit with and without its serial in the spec is one unit', async () => {
    const u = units([], [{ vendorId: '1d50', productId: '60c6', serial: 'CK-1' }]);
    const bare = await identifySource('usb:1d50:60c6', u);
    const named = await identifySource('usb:1d50:60c6:CK-1', units([]));
    expect(bare.device).toBe('entropy:usb:1d50:60c6:CK-1');
    expect(sameUnit(bare, named)).toBe(true);
  });

  it('old ledger entries (no device) latch by their spec; acknowledgements fold by the unit', async () => {
    const entries = [
      { seq: 1, time: 't1', type: 'entropy.source-failed', data: { source: 'serial:/dev/ttyACM0', test: 'rct', reason: 'x' } },
      { seq: 2, time: 't2', type: 'entropy.source-failed', data: { source: 'serial:04d8:f5fe:TR-1:truerng', device: 'entropy:usb:04d8:f5fe:TR-1', deviceKeys: ['entropy:usb:04d8:f5fe:TR-1', 'entropy:dev:166:3'], test: 'apt', reason: 'y' } },
    ];
    // A stand-in ledger that feeds a restored fold what it holds and, later, what is appended.
    const restored: Fold[] = [];
    const ledger = { restore: (f: Fold) => (entries.forEach((e) => f.apply(e as never, 0)), restored.push(f)) } as unknown as Ledger;
    const add = (e: unknown): void => restored.forEach((f) => f.apply(e as never, 0));
    const latches = latchedSources(ledger);
    expect(latches.all.map((l) => l.source)).toEqual(['serial:/dev/ttyACM0:raw', 'serial:04d8:f5fe:TR-1:truerng']);
    expect(latches.of(await identifySource('serial:/dev/ttyACM0:raw', units([])))?.seq).toBe(1);
    expect(latches.of({ spec: 'serial:/dev/ttyACM3:raw', device: 'entropy:dev:166:3', keys: ['entropy:dev:166:3', 'spec:serial:/dev/ttyACM3:raw'] })?.seq).toBe(2);
    add({ seq: 3, time: 't3', type: 'entropy.source-acknowledged', data: { source: 'serial:/dev/ttyACM0' } });
    add({ seq: 4, time: 't4', type: 'entropy.source-acknowledged', data: { source: 'serial:/dev/ttyACM3:raw', device: 'entropy:usb:04d8:f5fe:TR-1' } });
    expect(latchedSources(ledger).all).toEqual([]);
  });
});
