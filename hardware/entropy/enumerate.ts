// Lists the entropy sources present on this machine: the OS CSPRNG, /dev/hwrng and /dev/chaoskey*,
// serial ports (with USB identity where the OS knows it), vendor-bulk USB RNGs and HID devices.
// Never throws: a bus it cannot see becomes a warning (e.g. 'no USB bus' where /sys/bus/usb is absent).
import { access, readdir } from 'node:fs/promises';
import { constants } from 'node:fs';
import { knownDevice } from './devices';
import { listHidDevices } from './hid';
import { listSerialPorts, type ListSerialPorts } from './serial';
import type { EntropySourceErrorCode, SourceKind } from './source';
import { hex4, listUsbDevices, loadUsb, type UsbLike } from './usb-bulk';
import type { DeviceIdentity } from '../device-identity';

export interface FoundSource extends Pick<DeviceIdentity, 'path' | 'vendorId' | 'productId' | 'serial' | 'model'> {
  readonly kind: SourceKind;
  readonly label: string;
  /** The spec that opens it; absent for what cannot be opened as a source (HID devices). */
  readonly spec?: string;
  /** True when it is a known RNG (devices.ts); unknown serial ports and HID devices are listed too. */
  readonly known: boolean;
}

export interface EnumerationWarning {
  readonly bus: 'hwrng' | 'serial' | 'usb' | 'hid';
  readonly code: EntropySourceErrorCode;
  readonly message: string;
}

export interface Enumeration {
  readonly sources: readonly FoundSource[];
  readonly warnings: readonly EnumerationWarning[];
}

export interface EnumerateOptions {
  readonly listSerialPorts?: ListSerialPorts;
  readonly usb?: UsbLike | (() => Promise<UsbLike>);
  readonly listHid?: typeof listHidDevices;
  readonly devDir?: string;
  /** Per-bus time limit, so that a hung bus cannot hang the listing. Default 5000 ms. */
  readonly timeoutMs?: number;
}

type Part = { sources: FoundSource[]; warnings: EnumerationWarning[] };

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

async function deviceFiles(devDir: string): Promise<Part> {
  const out: Part = { sources: [], warnings: [] };
  let names: string[] = [];
  try {
    names = (await readdir(devDir)).filter((n) => n === 'hwrng' || /^chaoskey\d+$/.test(n)).sort();
  } catch (e) {
    out.warnings.push({ bus: 'hwrng', code: 'io', message: `Cannot list ${devDir}: ${(e as Error).message}` });
  }
  for (const name of names) {
    const path = `${devDir}/${name}`;
    try {
      await access(path, constants.R_OK);
    } catch {
      out.warnings.push({ bus: 'hwrng', code: 'permission', message: `${path} is present but not readable by this user.` });
      continue;
    }
    const spec = path === '/dev/hwrng' ? 'hwrng' : `file:${path}`;
    out.sources.push({ kind: 'device-file', label: name === 'hwrng' ? `Kernel hwrng ${path}` : `ChaosKey ${path}`, spec, path, known: true, ...(name === 'hwrng' ? {} : { model: 'chaoskey' }) });
  }
  return out;
}

async function serialPorts(list: ListSerialPorts): Promise<Part> {
  const out: Part = { sources: [], warnings: [] };
  try {
    for (const p of await list()) {
      const vendorId = p.vendorId?.toLowerCase();
      const productId = p.productId?.toLowerCase();
      const known = knownDevice(vendorId, productId);
      const model = known?.transport === 'serial' ? known.model : 'raw';
      const spec = vendorId && productId && p.serialNumber && !p.serialNumber.includes(':') ? `serial:${vendorId}:${productId}:${p.serialNumber}:${model}` : `serial:${p.path}:${model}`;
      out.sources.push({
        kind: 'serial',
        label: `${known?.name ?? 'Serial port'} ${p.path}`,
        spec,
        path: p.path,
        ...(vendorId ? { vendorId } : {}),
        ...(productId ? { productId } : {}),
        ...(p.serialNumber ? { serial: p.serialNumber } : {}),
        model,
        known: known !== undefined,
      });
    }
  } catch (e) {
    out.warnings.push({ bus: 'serial', code: 'unsupported', message: `Serial ports cannot be listed: ${(e as Error).message}` });
  }
  return out;
}

async function usbBulk(source: UsbLike | (() => Promise<UsbLike>)): Promise<Part> {
  const out: Part = { sources: [], warnings: [] };
  try {
    const usb = typeof source === 'function' ? await source() : source;
    for (const d of await listUsbDevices(usb)) {
      const vendorId = hex4(d.vendorId);
      const productId = hex4(d.productId);
      const known = knownDevice(vendorId, productId);
      if (!known || known.transport !== 'usb-bulk') continue;
      const serial = d.serialNumber ?? undefined;
      out.sources.push({
        kind: 'usb',
        label: `${known.name} ${vendorId}:${productId}${serial ? ` serial ${serial}` : ''}`,
        spec: `usb:${vendorId}:${productId}${serial && !serial.includes(':') ? `:${serial}` : ''}`,
        vendorId,
        productId,
        ...(serial ? { serial } : {}),
        model: known.model,
        known: true,
      });
    }
  } catch (e) {
    const code = (e as { code?: EntropySourceErrorCode }).code ?? 'unsupported';
    out.warnings.push({ bus: 'usb', code, message: (e as Error).message });
  }
  return out;
}

async function hidDevices(list: typeof listHidDevices): Promise<Part> {
  const out: Part = { sources: [], warnings: [] };
  try {
    const r = await list();
    if (r.warning) out.warnings.push({ bus: 'hid', code: 'unsupported', message: r.warning });
    for (const d of r.devices) {
      out.sources.push({
        kind: 'hid',
        label: `HID ${d.product ?? 'device'} ${d.vendorId}:${d.productId}`,
        ...(d.path ? { path: d.path } : {}),
        vendorId: d.vendorId,
        productId: d.productId,
        ...(d.serial ? { serial: d.serial } : {}),
        known: false,
      });
    }
  } catch (e) {
    out.warnings.push({ bus: 'hid', code: 'unsupported', message: `HID devices cannot be listed: ${(e as Error).message}` });
  }
  return out;
}

export async function enumerateSources(options: EnumerateOptions = {}): Promise<Enumeration> {
  const ms = options.timeoutMs ?? 5000;
  const guard = (bus: EnumerationWarning['bus'], p: Promise<Part>): Promise<Part> =>
    withTimeout(p, ms, `the ${bus} listing`).catch((e: Error) => ({ sources: [], warnings: [{ bus, code: 'stalled' as const, message: e.message }] }));
  const parts = await Promise.all([
    guard('hwrng', deviceFiles(options.devDir ?? '/dev')),
    guard('serial', serialPorts(options.listSerialPorts ?? listSerialPorts)),
    guard('usb', usbBulk(options.usb ?? (() => loadUsb()))),
    guard('hid', hidDevices(options.listHid ?? listHidDevices)),
  ]);
  const os: FoundSource = { kind: 'os', label: 'OS CSPRNG (getrandom; computational)', spec: 'os', known: true };
  return { sources: [os, ...parts.flatMap((p) => p.sources)], warnings: parts.flatMap((p) => p.warnings) };
}
