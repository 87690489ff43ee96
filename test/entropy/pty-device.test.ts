// Failure injection through a real pty pair (socat) playing a TrueRNG-like device into the serial
// driver, health monitor and pipeline. Bounds at H = 8, α = 2^-30: C_RCT = 5, C_APT = 16, W = 512;
// which test catches which pattern, and why, is set out in health.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { createSource, EntropySourceError, type CreateSourceOptions } from '../../hardware/entropy';
import { expectedHmac } from './helpers/conditioned';
import { EntropyFailure, EntropyPipeline, type EntropyEvent } from '../../src-main/station/entropy/pipeline';
import { concatBytes, keystream, periodic } from './helpers/bytes';
import { PtyDevice, socatMissing } from './helpers/pty-device';


async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

interface Rig {
  dev: PtyDevice;
  pipeline: EntropyPipeline;
  events: EntropyEvent[];
  /** Resolves at the next 'source-opened' (the driver flushes stale input at open, so write after it). */
  opened: () => Promise<void>;
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.pipeline.close();
    await r.dev.dispose();
  }
});

async function rig(options: CreateSourceOptions = {}): Promise<Rig> {
  const dev = await PtyDevice.start();
  const events: EntropyEvent[] = [];
  let waiters: (() => void)[] = [];
  const source = createSource(`serial:${dev.devicePath}:truerng`, { claimedMinEntropyPerSample: 8, readTimeoutMs: 400, ...options });
  const pipeline = new EntropyPipeline([{ id: 'trng', source }], {
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'source-opened') {
        for (const w of waiters) w();
        waiters = [];
      }
    },
  });
  const r: Rig = { dev, pipeline, events, opened: () => new Promise<void>((res) => waiters.push(res)) };
  rigs.push(r);
  return r;
}

/**
 * What every failure must leave behind: nothing output, no raw byte released from the failing window
 * (nor after it), the source latched FAILED, and exactly one source-failed event for the ledger.
 */
function expectContained(r: Rig, f: EntropyFailure['info']): void {
  const s = r.pipeline.stats()[0];
  expect(s).toMatchObject({ state: 'failed', bytesOutput: 0, failures: 1 });
  const released = s?.bytesReleased ?? 0;
  if (released > 0) expect(1024 + released).toBeLessThanOrEqual(f.windowStartSample);
  expect(r.events.filter((e) => e.type === 'source-failed')).toEqual([{ type: 'source-failed', failure: f }]);
}

/** Starts a read, plays `bytes` into the device once the port is open, returns the read's outcome. */
async function playRead(r: Rig, n: number, bytes: Uint8Array): Promise<Uint8Array> {
  const opened = r.opened();
  const reading = r.pipeline.read(n);
  reading.catch(() => undefined);
  await opened;
  await r.dev.write(bytes);
  return reading;
}

describe.skipIf(socatMissing)('serial RNG on a real pty (socat)', () => {
  it('streams: DTR refused on a pty is a warning, and the output is HMAC over passing windows after start-up', async () => {
    const r = await rig();
    const raw = keystream('pty-good', 1024 + 128 * 40 + 600);
    const out = await playRead(r, 2000, raw);
    expect(out).toEqual(expectedHmac(raw, 2000));
    const opened = r.events.find((e) => e.type === 'source-opened');
    expect(opened).toMatchObject({ source: { kind: 'serial', model: 'truerng', path: r.dev.devicePath } });
    expect(r.events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message).join()).toMatch(/DTR/);
  });

  it('a stuck value: RCT at the 5th identical sample, nothing from the failing window out, latched, one event', async () => {
    const r = await rig();
    const good = keystream('pty-stuck', 1024 + 512 * 4 + 100);
    const e = await rejection(playRead(r, 1 << 16, concatBytes(good, new Uint8Array(64).fill(0x5a))));
    expect(e).toBeInstanceOf(EntropyFailure);
    const f = (e as EntropyFailure).info;
    expect(f).toMatchObject({ test: 'rct', cutoff: 5, sourceId: 'trng' });
    expect(f.sampleIndex - good.length).toBe(4);
    expectContained(r, f);
    const again = await rejection(r.pipeline.read(64));
    expect(again).toMatchObject({ latched: true, code: 'rct' });
  });

  it('a two-valued (heavily biased) stream: caught within the first whole window after onset', async () => {
    const r = await rig();
    const good = keystream('pty-bias', 1024 + 512 * 2 + 200);
    const bits = keystream('pty-bias-bits', 2048).map((b) => (b & 1 ? 0xf0 : 0x0f));
    const f = ((await rejection(playRead(r, 1 << 16, concatBytes(good, bits)))) as EntropyFailure).info;
    const nextWindow = Math.ceil(good.length / 512) * 512;
    expect(['rct', 'apt']).toContain(f.test);
    expect(f.sampleIndex).toBeGreaterThanOrEqual(good.length);
    expect(f.sampleIndex).toBeLessThan(nextWindow + 512);
    expectContained(r, f);
  });

  it('a period-2 pattern: caught by the APT within 2·(16 − 1) samples of the next window start', async () => {
    const r = await rig();
    const good = keystream('pty-period', 1024 + 512 + 77);
    const f = ((await rejection(playRead(r, 1 << 16, concatBytes(good, periodic([0xa5, 0x3c], 2048))))) as EntropyFailure).info;
    const nextWindow = Math.ceil(good.length / 512) * 512;
    expect(f.test).toBe('apt');
    expect(f.sampleIndex).toBeLessThanOrEqual(nextWindow + 30);
    expectContained(r, f);
  });

  it('short reads that keep coming are reassembled into exact output', async () => {
    const r = await rig();
    const raw = keystream('pty-dribble', 1024 + 128 * 12 + 600);
    const opened = r.opened();
    const reading = r.pipeline.read(700);
    await opened;
    for (let off = 0; off < raw.length; off += 37) {
      await r.dev.write(raw.subarray(off, off + 37));
      if (off % (37 * 20) === 0) await new Promise((res) => setTimeout(res, 5));
    }
    expect(await reading).toEqual(expectedHmac(raw, 700));
  });

  it('a device that delivers less than asked and goes quiet: a typed stalled failure within the read timeout', async () => {
    const r = await rig({ readTimeoutMs: 300 });
    const t0 = Date.now();
    const f = ((await rejection(playRead(r, 4096, keystream('pty-short', 700)))) as EntropyFailure).info;
    expect(f).toMatchObject({ test: 'source', code: 'stalled', phase: 'start-up' });
    expect(Date.now() - t0).toBeLessThan(3000);
    expectContained(r, f);
  });

  it('a disconnect mid-block (socat killed) invalidates the block in flight', async () => {
    const r = await rig({ readTimeoutMs: 5000 });
    const raw = keystream('pty-unplug', 1024 + 512 * 2 + 300);
    const opened = r.opened();
    const reading = r.pipeline.read(1 << 16);
    reading.catch(() => undefined);
    await opened;
    await r.dev.write(raw);
    for (let i = 0; i < 200 && (r.pipeline.stats()[0]?.bytesRead ?? 0) < raw.length; i++) await new Promise((res) => setTimeout(res, 10));
    await r.dev.unplug();
    const f = ((await rejection(reading)) as EntropyFailure).info;
    expect(f).toMatchObject({ test: 'source', code: 'unplugged' });
    expect(f.droppedBytes).toBe(300);
    expect(r.pipeline.stats()[0]?.bytesReleased).toBe(1024);
    expectContained(r, f);
  });

  it('after the operator acknowledges, the port is reopened and the start-up test runs again', async () => {
    const r = await rig();
    await rejection(playRead(r, 1 << 16, concatBytes(keystream('pty-ack', 3000), new Uint8Array(16))));
    expect(await r.pipeline.acknowledge('trng', 'hub operator')).toBe(true);
    const raw = keystream('pty-ack-2', 1024 + 128 * 20 + 600);
    expect(await playRead(r, 1000, raw)).toEqual(expectedHmac(raw, 1000));
    expect(r.pipeline.stats()[0]).toMatchObject({ opens: 2, failures: 1, state: 'running' });
  });

  it('a source bound by VID:PID and serial opens the matching port, and refuses a wrong serial or an ambiguous match', async () => {
    const dev = await PtyDevice.start();
    rigs.push({ dev, pipeline: new EntropyPipeline([createSource('os')]), events: [], opened: async () => undefined });
    const listSerialPorts = async () => [
      { path: dev.devicePath, vendorId: '04D8', productId: 'F5FE', serialNumber: 'TR-1' },
      { path: '/dev/ttyUSB9', vendorId: '0403', productId: '6001', serialNumber: 'X' },
    ];
    const src = createSource('serial:04d8:f5fe:TR-1', { listSerialPorts });
    const report = await src.open();
    expect(src.provenance).toMatchObject({ kind: 'serial', path: dev.devicePath, vendorId: '04d8', productId: 'f5fe', serial: 'TR-1', model: 'truerng' });
    expect(report.warnings.join()).toMatch(/DTR/);
    await src.close();
    const wrong = await rejection(createSource('serial:04d8:f5fe:TR-2', { listSerialPorts }).open());
    expect((wrong as EntropySourceError).code).toBe('not-found');
    const twice = async () => [...(await listSerialPorts()), { path: '/dev/ttyACM7', vendorId: '04d8', productId: 'f5fe', serialNumber: 'TR-3' }];
    const amb = await rejection(createSource('serial:04d8:f5fe', { listSerialPorts: twice }).open());
    expect((amb as EntropySourceError).code).toBe('ambiguous');
  });

  it('a TrueRNGpro mode change knocks at 110/300/110 baud and the mode rate before streaming', async () => {
    const dev = await PtyDevice.start();
    rigs.push({ dev, pipeline: new EntropyPipeline([createSource('os')]), events: [], opened: async () => undefined });
    const src = createSource(`serial:${dev.devicePath}:truerngpro:unwhitened`, { knockPauseMs: 10 });
    await src.open();
    expect(src.provenance).toMatchObject({ model: 'truerngpro', mode: 'unwhitened' });
    expect(src.claimedMinEntropyPerSample).toBe(2);
    await src.close();
  });

  it('a OneRNG is started with its noise-source command and cmdO, and stopped with cmdo', async () => {
    const dev = await PtyDevice.start();
    rigs.push({ dev, pipeline: new EntropyPipeline([createSource('os')]), events: [], opened: async () => undefined });
    const src = createSource(`serial:${dev.devicePath}:onerng:avalanche`);
    await src.open();
    expect(await dev.received(10)).toBe('cmd1\ncmdO\n');
    await src.close();
    expect(await dev.received(5)).toBe('cmdo\n');
  });

  it('a port already held by another reader is refused, never shared', async () => {
    const dev = await PtyDevice.start();
    rigs.push({ dev, pipeline: new EntropyPipeline([createSource('os')]), events: [], opened: async () => undefined });
    const first = createSource(`serial:${dev.devicePath}:raw`);
    await first.open();
    const second = await rejection(createSource(`serial:${dev.devicePath}:raw`).open());
    expect((second as EntropySourceError).code).toBe('permission');
    await first.close();
  });
});
