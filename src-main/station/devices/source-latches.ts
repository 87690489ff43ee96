// Which entropy sources are latched FAILED, as the ledger tells it (issue S3, part 2): a source that
// failed its health tests stays failed — across restarts — until an operator's acknowledgement is
// recorded. The ledger is the only record, so an auditor sees every failure and who re-enabled it.
//
// A latch binds to the device, not to the words it was named by (issue S5, item 5): `serial:/dev/pts/5`,
// `serial:/dev/pts/../pts/5`, a symlink to it and `file:/dev/pts/5` are one unit, and so are
// `serial:04d8:f5fe:TR-1` and the port that unit sits on. Each spec is resolved to its unit before anything
// is opened (hardware/device-identity.ts: USB ids and serial, device number, resolved path), and every
// `entropy.source-failed` records the unit's keys; a latch is refused under any spec that resolves to one
// of them. Entries from before this (no `device`) are keyed by their canonical spec, as they were.
import { identifyPath, identityKey, type DeviceIdentity } from '../../../hardware/device-identity';
import {
  formatSourceSpec,
  listSerialPorts,
  listUsbDevices,
  loadUsb,
  parseSourceSpec,
  type Enumeration,
  type FoundSource,
  type ListSerialPorts,
  type SerialPortInfo,
  type SourceProvenance,
  type UsbLike,
} from '../../../hardware/entropy';
import type { Ledger } from '../../../src-node/ledger/ledger';
import type { Fold } from '../../../src-node/ledger/fold';
import type { LedgerEntry } from '../../../src-node/ledger/entry';

export interface Latch {
  /** The canonical spec the source was latched under. */
  readonly source: string;
  /** The unit's identity key (identityKey), or `spec:<source>` for a failure recorded before identities. */
  readonly device: string;
  /** Every key the unit answers to, and `spec:<source>`. */
  readonly keys: readonly string[];
  readonly seq: number;
  readonly time: string;
  readonly test: string;
  readonly code: string;
  readonly reason: string;
}

/** Who a spec names, resolved now. */
export interface SourceIdentity {
  /** The canonical spec. */
  readonly spec: string;
  /** The unit, where the spec could be resolved to one. */
  readonly unit?: DeviceIdentity;
  /** identityKey(unit), or `spec:<spec>` when the unit is not known. */
  readonly device: string;
  /** The unit's keys (USB ids and serial; device number, else resolved path), then `spec:<spec>`. */
  readonly keys: readonly string[];
}

const specKey = (spec: string): string => `spec:${spec}`;

function canonical(spec: string): string {
  try {
    return formatSourceSpec(parseSourceSpec(spec));
  } catch {
    return spec;
  }
}

/** The keys of a unit: one for its USB ids and serial, one for its device number (else its resolved path). */
function unitKeys(u: DeviceIdentity | undefined): string[] {
  if (!u) return [];
  const keys: string[] = [];
  if (u.vendorId && u.productId && u.serial) keys.push(identityKey({ deviceClass: u.deviceClass, vendorId: u.vendorId, productId: u.productId, serial: u.serial }));
  if (u.deviceNumber) keys.push(identityKey({ deviceClass: u.deviceClass, deviceNumber: u.deviceNumber }));
  else if (u.path) keys.push(identityKey({ deviceClass: u.deviceClass, path: u.path }));
  return keys;
}

function identity(spec: string, unit: DeviceIdentity | undefined): SourceIdentity {
  const keys = unitKeys(unit);
  const device = keys.length > 0 && unit ? identityKey(unit) : specKey(spec);
  return { spec, ...(keys.length > 0 ? { unit } : {}), device, keys: [...keys, specKey(spec)] };
}

/** Two identities that name one unit (or one spec). */
export function sameUnit(a: SourceIdentity, b: SourceIdentity): boolean {
  return a.keys.some((k) => b.keys.includes(k));
}

/** What the buses show, asked for at most once per call, and only when a spec needs it. */
export interface Units {
  serialPorts(): Promise<readonly SerialPortInfo[]>;
  usbDevices(): Promise<readonly { readonly vendorId: string; readonly productId: string; readonly serial?: string }[]>;
}

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), ms)))]).finally(() => clearTimeout(timer));
}

function once<T>(f: () => Promise<readonly T[]>): () => Promise<readonly T[]> {
  let p: Promise<readonly T[]> | undefined;
  // A bus that cannot be listed shows nothing: the spec is then known by its own words only.
  return () => (p ??= f().catch(() => []));
}

/** The buses as they are now (the serial port list, the USB devices). */
export function liveUnits(options: { listSerialPorts?: ListSerialPorts; usb?: () => Promise<UsbLike>; timeoutMs?: number } = {}): Units {
  const ms = options.timeoutMs ?? 5000;
  return {
    serialPorts: once(() => withTimeout((options.listSerialPorts ?? listSerialPorts)(), ms)),
    usbDevices: once(async () => {
      const usb = await withTimeout((options.usb ?? (() => loadUsb()))(), ms);
      const devices = await withTimeout(listUsbDevices(usb), ms);
      return devices.map((d) => ({ vendorId: hex4(d.vendorId), productId: hex4(d.productId), ...(d.serialNumber ? { serial: d.serialNumber } : {}) }));
    }),
  };
}

/** The buses as an enumeration already saw them (the listing asks them once). */
export function enumeratedUnits(found: Enumeration): Units {
  const of = (kind: FoundSource['kind']): FoundSource[] => found.sources.filter((f) => f.kind === kind);
  return {
    serialPorts: async () => of('serial').flatMap((f) => (f.path ? [{ path: f.path, vendorId: f.vendorId, productId: f.productId, serialNumber: f.serial }] : [])),
    usbDevices: async () => of('usb').flatMap((f) => (f.vendorId && f.productId ? [{ vendorId: f.vendorId, productId: f.productId, ...(f.serial ? { serial: f.serial } : {}) }] : [])),
  };
}

const lower = (s: string | undefined): string | undefined => s?.toLowerCase();

function withUsb(u: DeviceIdentity, port: SerialPortInfo | undefined): DeviceIdentity {
  if (!port) return u;
  const vendorId = lower(port.vendorId);
  const productId = lower(port.productId);
  return { ...u, ...(vendorId ? { vendorId } : {}), ...(productId ? { productId } : {}), ...(port.serialNumber ? { serial: port.serialNumber } : {}) };
}

/** The serial port (if the port list shows one) that is the device node `u`. */
async function portOf(u: DeviceIdentity, units: Units): Promise<SerialPortInfo | undefined> {
  if (!u.deviceNumber) return undefined;
  const ports = await units.serialPorts();
  return ports.find((p) => p.path === u.path || identifyPath(p.path, 'entropy')?.deviceNumber === u.deviceNumber);
}

/**
 * The unit a spec names, resolved before anything is opened: a path through identifyPath (symlinks and
 * `..` resolved, a device node's number), with the port list's USB ids where it shows that node; a
 * `serial:VID:PID[:SERIAL]` spec through the port list to its one matching port; a `usb:` spec by its
 * ids and serial (the USB bus asked only when the spec names no serial). A spec that resolves to no unit
 * (absent, ambiguous, os) is known by its canonical words only.
 */
export async function identifySource(rawSpec: string, units: Units): Promise<SourceIdentity> {
  const spec = canonical(rawSpec);
  let parsed;
  try {
    parsed = parseSourceSpec(spec);
  } catch {
    return identity(spec, undefined);
  }
  switch (parsed.kind) {
    case 'os':
      return identity(spec, undefined);
    case 'device-file': {
      const u = identifyPath(parsed.path, 'entropy');
      return identity(spec, u && withUsb(u, await portOf(u, units)));
    }
    case 'serial': {
      if (parsed.path !== undefined) {
        const path = parsed.path;
        const u = identifyPath(path, 'entropy');
        if (u) return identity(spec, withUsb(u, await portOf(u, units)));
        // A COM port: no node to resolve; the port list may know its USB identity.
        const port = (await units.serialPorts()).find((p) => p.path.toUpperCase() === path.toUpperCase());
        return identity(spec, port ? withUsb({ deviceClass: 'entropy', path }, port) : undefined);
      }
      const { vendorId, productId, serial } = parsed;
      const matches = (await units.serialPorts()).filter((p) => lower(p.vendorId) === vendorId && lower(p.productId) === productId && (serial === undefined || p.serialNumber === serial));
      const port = matches.length === 1 ? matches[0] : undefined;
      if (port) return identity(spec, withUsb(identifyPath(port.path, 'entropy') ?? { deviceClass: 'entropy', path: port.path }, port));
      return identity(spec, serial ? { deviceClass: 'entropy', vendorId, productId, serial } : undefined);
    }
    case 'usb': {
      const { vendorId, productId } = parsed;
      if (parsed.serial) return identity(spec, { deviceClass: 'entropy', vendorId, productId, serial: parsed.serial });
      const matches = (await units.usbDevices()).filter((d) => d.vendorId === vendorId && d.productId === productId);
      const d = matches.length === 1 ? matches[0] : undefined;
      return identity(spec, d?.serial ? { deviceClass: 'entropy', vendorId, productId, serial: d.serial } : undefined);
    }
  }
}

/** The unit of a source the enumeration listed, from what it saw (nothing is asked again). */
export function identifyFound(f: FoundSource): SourceIdentity | undefined {
  if (!f.spec) return undefined;
  const spec = canonical(f.spec);
  if (f.kind === 'os') return identity(spec, undefined);
  const node = f.path ? identifyPath(f.path, 'entropy') : undefined;
  const base: DeviceIdentity = node ?? { deviceClass: 'entropy', ...(f.path ? { path: f.path } : {}) };
  return identity(spec, { ...base, ...(f.vendorId ? { vendorId: f.vendorId } : {}), ...(f.productId ? { productId: f.productId } : {}), ...(f.serial ? { serial: f.serial } : {}) });
}

/**
 * The identity to record with a failure: the one resolved before the source was opened, completed by
 * what the driver learnt at open (a port's USB ids and serial, the port a VID:PID spec resolved to).
 */
export function failedIdentity(before: SourceIdentity | undefined, source: SourceProvenance): SourceIdentity {
  const spec = before?.spec ?? canonical(source.spec);
  let u: DeviceIdentity | undefined = before?.unit;
  if (!u?.path && source.path) u = { ...(identifyPath(source.path, 'entropy') ?? {}), ...u, deviceClass: 'entropy' };
  if (source.vendorId && source.productId && source.serial && !u?.serial) u = { ...u, deviceClass: 'entropy', vendorId: source.vendorId, productId: source.productId, serial: source.serial };
  return identity(spec, u);
}

/** The fields an `entropy.source-failed` entry carries about the unit. */
export function identityRecord(id: SourceIdentity): Record<string, unknown> {
  return {
    device: id.device,
    deviceKeys: id.keys.filter((k) => !k.startsWith('spec:')),
    ...(id.unit?.path ? { devicePath: id.unit.path } : {}),
    ...(id.unit?.deviceNumber ? { deviceNumber: id.unit.deviceNumber } : {}),
  };
}

export interface Latches {
  readonly all: readonly Latch[];
  /** The latch on the unit `id` names (under whatever spec it was latched), if any. */
  of(id: SourceIdentity): Latch | undefined;
}

/** The latches, as a fold over the ledger's entropy entries (restored on first use, then kept current). */
class LatchFold implements Fold {
  readonly name = 'latches';
  readonly latched = new Map<string, Latch>();

  apply(e: LedgerEntry): void {
    if (e.type !== 'entropy.source-failed' && e.type !== 'entropy.source-acknowledged') return;
    const latched = this.latched;
    const source = canonical(String(e.data.source ?? ''));
    const device = typeof e.data.device === 'string' && e.data.device ? e.data.device : specKey(source);
    if (e.type === 'entropy.source-failed') {
      const recorded = Array.isArray(e.data.deviceKeys) ? e.data.deviceKeys.filter((k): k is string => typeof k === 'string') : [];
      const keys = [...new Set([device, ...recorded, specKey(source)])];
      latched.set(device, { source, device, keys, seq: e.seq, time: e.time, test: String(e.data.test), code: String(e.data.code ?? ''), reason: String(e.data.reason) });
    } else if (!latched.delete(device)) {
      // An acknowledgement from before identities names only a spec.
      for (const [k, l] of latched) if (l.keys.includes(device)) latched.delete(k);
    }
  }

  save(): unknown {
    return [...this.latched];
  }

  load(state: unknown): void {
    for (const [k, l] of state as [string, Latch][]) this.latched.set(k, l);
  }
}

const folds = new WeakMap<Ledger, LatchFold>();

export function latchedSources(ledger: Ledger): Latches {
  let fold = folds.get(ledger);
  if (!fold) {
    fold = new LatchFold();
    ledger.restore(fold);
    folds.set(ledger, fold);
  }
  const latched = fold.latched;
  const all = [...latched.values()];
  return { all, of: (id) => all.find((l) => l.keys.some((k) => id.keys.includes(k))) };
}
