// The drivers below the health tests: OS CSPRNG, device files, vendor-bulk USB (through a fake of the
// WebUSB shape, since this machine has no USB bus), HID enumeration, and the enumeration of everything.
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createSource,
  EntropySourceError,
  enumerateSources,
  listHidDevices,
  listUsbDevices,
  loadUsb,
  OsEntropySource,
  type UsbDeviceLike,
  type UsbLike,
} from '../../hardware/entropy';
import { EntropyPipeline } from '../../src-main/station/entropy/pipeline';
import { keystream } from './helpers/bytes';

const hwrngReadable = (() => {
  try {
    accessSync('/dev/hwrng', constants.R_OK);
    return true;
  } catch {
    return false;
  }
})();

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return e instanceof EntropySourceError ? e.code : `untyped: ${String(e)}`;
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'dske-ent-'));
  dirs.push(d);
  return d;
}

class FakeUsbDevice implements UsbDeviceLike {
  calls: string[] = [];
  configuration: UsbDeviceLike['configuration'] = null;
  constructor(
    readonly vendorId: number,
    readonly productId: number,
    readonly serialNumber: string | null,
    private readonly endpoints: { endpointNumber: number; direction: string; type: string; packetSize: number }[],
    private readonly data: Uint8Array,
  ) {}
  async open() {
    this.calls.push('open');
  }
  async close() {
    this.calls.push('close');
  }
  async selectConfiguration(v: number) {
    this.calls.push(`config ${v}`);
    this.configuration = { interfaces: [{ interfaceNumber: 0, alternate: { endpoints: this.endpoints } }] };
  }
  async claimInterface(n: number) {
    this.calls.push(`claim ${n}`);
  }
  async releaseInterface(n: number) {
    this.calls.push(`release ${n}`);
  }
  async transferIn(ep: number, length: number) {
    this.calls.push(`in ${ep} ${length}`);
    const chunk = this.data.slice(0, length);
    return { status: 'ok', data: new DataView(chunk.buffer) };
  }
  async controlTransferOut(setup: { request: number; requestType: string; recipient: string }) {
    this.calls.push(`control ${setup.requestType} ${setup.recipient} 0x${setup.request.toString(16)}`);
    return { status: 'ok' };
  }
}

class FakeUsb implements UsbLike {
  listeners = new Set<(ev: { device?: unknown }) => void>();
  constructor(readonly devices: UsbDeviceLike[] | Error) {}
  async getDevices() {
    if (this.devices instanceof Error) throw this.devices;
    return this.devices;
  }
  addEventListener(_t: 'disconnect', l: (ev: { device?: unknown }) => void) {
    this.listeners.add(l);
  }
  removeEventListener(_t: 'disconnect', l: (ev: { device?: unknown }) => void) {
    this.listeners.delete(l);
  }
  unplug(device: UsbDeviceLike) {
    for (const l of this.listeners) l({ device });
  }
}

const quantisEndpoints = [{ endpointNumber: 6, direction: 'in', type: 'bulk', packetSize: 512 }];
const chaosEndpoints = [
  { endpointNumber: 2, direction: 'out', type: 'bulk', packetSize: 64 },
  { endpointNumber: 6, direction: 'in', type: 'bulk', packetSize: 64 },
  { endpointNumber: 5, direction: 'in', type: 'bulk', packetSize: 64 },
];

describe('OS CSPRNG driver', () => {
  it('delivers the bytes asked for, labelled computational', async () => {
    const os = new OsEntropySource();
    expect(await codeOf(os.read(16))).toBe('not-open');
    await os.open();
    const b = await os.read(4096);
    expect(b).toBeInstanceOf(Uint8Array);
    expect(b.length).toBe(4096);
    expect(b.byteOffset).toBe(0);
    expect(os.computational).toBe(true);
    expect(os.provenance).toMatchObject({ kind: 'os', spec: 'os' });
  });
});

describe('device-file driver', () => {
  it('reads a file through a file handle and reports its end as exhausted', async () => {
    const dir = tempDir();
    const data = keystream('file', 10_000);
    writeFileSync(join(dir, 'samples.bin'), data);
    const src = createSource(`file:${join(dir, 'samples.bin')}`);
    await src.open();
    const a = await src.read(6000);
    const b = await src.read(6000);
    expect(a).toEqual(data.subarray(0, 6000));
    expect(b).toEqual(data.subarray(6000));
    expect(await codeOf(src.read(10))).toBe('exhausted');
    await src.close();
    expect(src.provenance).toMatchObject({ kind: 'device-file', path: join(dir, 'samples.bin') });
    expect(src.computational).toBe(false);
  });

  it('reports a missing device node as not-found', async () => {
    expect(await codeOf(createSource(`file:${join(tempDir(), 'nope')}`).open())).toBe('not-found');
  });

  it.skipIf(!hwrngReadable)('reads /dev/hwrng through the health tests and HMAC conditioning (where this machine has one)', async () => {
    const p = EntropyPipeline.fromSpecs(['hwrng']);
    expect((await p.read(1024)).length).toBe(1024);
    expect(p.provenance()).toMatchObject({ label: 'information-theoretic', sources: [{ kind: 'device-file', path: '/dev/hwrng', conditioner: { name: 'HMAC-SHA-512' } }] });
    await p.close();
  });

  it('labels the kernel DRBG nodes computational and /dev/hwrng not', () => {
    expect(createSource('file:/dev/urandom').computational).toBe(true);
    expect(createSource('hwrng').computational).toBe(false);
  });
});

describe('createSource', () => {
  it('claims conservative min-entropy by default and takes the configured value', () => {
    expect(createSource('os').claimedMinEntropyPerSample).toBe(8);
    expect(createSource('hwrng').claimedMinEntropyPerSample).toBe(6);
    expect(createSource('serial:/dev/ttyACM0:truerngpro:unwhitened').claimedMinEntropyPerSample).toBe(2);
    expect(createSource('serial:/dev/ttyACM0:truerng', { claimedMinEntropyPerSample: 7.2 }).claimedMinEntropyPerSample).toBe(7.2);
  });

  it('refuses a claimed H outside (0, sampleBits] and binary samples where they cannot be', () => {
    expect(() => createSource('hwrng', { claimedMinEntropyPerSample: 9 })).toThrow(EntropySourceError);
    expect(() => createSource('hwrng', { sampleBits: 1, claimedMinEntropyPerSample: 2 })).toThrow(/\(0, 1\]/);
    expect(() => createSource('os', { sampleBits: 1 })).toThrow(EntropySourceError);
  });
});

describe('serial driver', () => {
  it('reports a port that does not exist as not-found', async () => {
    expect(await codeOf(createSource(`serial:${join(tempDir(), 'ttyACM9')}:truerng`).open())).toBe('not-found');
  });
});

describe('vendor-bulk USB driver (WebUSB-shaped fake)', () => {
  it('opens a Quantis by VID:PID and serial, enables its module, reads bulk IN 0x86, disables on close', async () => {
    const data = keystream('quantis', 1024);
    const dev = new FakeUsbDevice(0x0aba, 0x0102, 'Q1', quantisEndpoints, data);
    const other = new FakeUsbDevice(0x0aba, 0x0102, 'Q2', quantisEndpoints, data);
    const src = createSource('usb:0aba:0102:Q1', { usb: new FakeUsb([other, dev]) });
    await src.open();
    const got = await src.read(700);
    expect(got).toEqual(data.subarray(0, 512));
    expect(await src.read(100)).toEqual(data.subarray(0, 100));
    await src.close();
    expect(dev.calls).toEqual(['open', 'config 1', 'claim 0', 'control vendor interface 0x12', 'in 6 512', 'in 6 512', 'control vendor interface 0x11', 'release 0', 'close']);
    expect(other.calls).toEqual([]);
    expect(src.provenance).toMatchObject({ kind: 'usb', vendorId: '0aba', productId: '0102', serial: 'Q1', model: 'quantis' });
  });

  it('reads a ChaosKey from the first bulk IN endpoint of interface 0', async () => {
    const dev = new FakeUsbDevice(0x1d50, 0x60c6, 'CK', chaosEndpoints, keystream('ck', 64));
    const src = createSource('usb:1d50:60c6', { usb: new FakeUsb([dev]) });
    await src.open();
    await src.read(4096);
    expect(dev.calls).toContain('in 6 4096');
  });

  it('says not-found, ambiguous, or unsupported (no USB bus) instead of guessing', async () => {
    const a = new FakeUsbDevice(0x1d50, 0x60c6, 'A', chaosEndpoints, new Uint8Array(64));
    const b = new FakeUsbDevice(0x1d50, 0x60c6, 'B', chaosEndpoints, new Uint8Array(64));
    expect(await codeOf(createSource('usb:1d50:60c6:C', { usb: new FakeUsb([a, b]) }).open())).toBe('not-found');
    expect(await codeOf(createSource('usb:1d50:60c6', { usb: new FakeUsb([a, b]) }).open())).toBe('ambiguous');
    expect(await codeOf(createSource('usb:1d50:60c6', { usb: new FakeUsb(new Error('getDevices error: /sys/bus/usb/devices/ not found')) }).open())).toBe('unsupported');
  });

  it('turns a disconnect event into unplugged on the next read', async () => {
    const dev = new FakeUsbDevice(0x1d50, 0x60c6, 'A', chaosEndpoints, new Uint8Array(64));
    const usb = new FakeUsb([dev]);
    const src = createSource('usb:1d50:60c6', { usb });
    await src.open();
    usb.unplug(dev);
    expect(await codeOf(src.read(64))).toBe('unplugged');
  });

  it('on this machine, the real usb module either lists devices or reports the missing bus as unsupported', async () => {
    const outcome = await codeOf(loadUsb().then((u) => listUsbDevices(u)));
    expect(['resolved', 'unsupported']).toContain(outcome);
  });
});

describe('enumeration', () => {
  it('HID listing never throws: devices, or a warning', async () => {
    const r = await listHidDevices();
    expect(Array.isArray(r.devices)).toBe(true);
  });

  it('lists the OS source, device nodes and known serial RNGs, and reports a bus it cannot see as a warning', async () => {
    const dev = tempDir();
    writeFileSync(join(dev, 'hwrng'), '');
    writeFileSync(join(dev, 'chaoskey0'), '');
    const r = await enumerateSources({
      devDir: dev,
      listSerialPorts: async () => [
        { path: '/dev/ttyACM0', vendorId: '04D8', productId: 'F5FE', serialNumber: 'TR1' },
        { path: '/dev/ttyS0' },
      ],
      usb: new FakeUsb(new Error('getDevices error: /sys/bus/usb/devices/ not found')),
      listHid: async () => ({ devices: [], warning: 'node-hid does not load' }),
    });
    const specs = r.sources.map((s) => s.spec);
    expect(specs).toEqual(['os', `file:${dev}/chaoskey0`, `file:${dev}/hwrng`, 'serial:04d8:f5fe:TR1:truerng', 'serial:/dev/ttyS0:raw']);
    expect(r.sources.find((s) => s.spec === 'serial:04d8:f5fe:TR1:truerng')).toMatchObject({ known: true, vendorId: '04d8', serial: 'TR1' });
    expect(r.warnings.map((w) => [w.bus, w.code])).toEqual([
      ['usb', 'unsupported'],
      ['hid', 'unsupported'],
    ]);
    expect(r.warnings[0]?.message).toMatch(/No USB bus/);
  });

  it('never throws, whatever the buses do, and lists known vendor-bulk devices with their serial', async () => {
    const r = await enumerateSources({
      devDir: join(tempDir(), 'absent'),
      listSerialPorts: () => Promise.reject(new Error('boom')),
      usb: new FakeUsb([new FakeUsbDevice(0x0aba, 0x0102, 'Q9', quantisEndpoints, new Uint8Array(0)), new FakeUsbDevice(0x046d, 0xc077, null, [], new Uint8Array(0))]),
      listHid: () => new Promise(() => undefined),
      timeoutMs: 200,
    });
    expect(r.sources.map((s) => s.spec)).toEqual(['os', 'usb:0aba:0102:Q9']);
    expect(r.warnings.map((w) => w.bus).sort()).toEqual(['hid', 'hwrng', 'serial']);
  });

  it('runs against the real buses of this machine without throwing', async () => {
    const r = await enumerateSources();
    expect(r.sources[0]?.spec).toBe('os');
  });
});
