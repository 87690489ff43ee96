// The drives a package could go to (issue S6, part 4a), described for the drive-safety policy
// (src-shared/psrd/drive-safety.ts): drivelist's listing (lsblk on Linux), plus the loop devices that
// drivelist leaves out (the tests' volumes; refused at the desk as fixed drives), each with its
// serial, size, mountpoints (read-only or not, from /proc/self/mountinfo) and free space. A watcher
// says 'changed' when USB devices come and go (the `usb` package's connect/disconnect, debounced, then
// a fresh listing) and, where there is no USB bus to watch or for card readers that raise no USB
// event, on a slow poll.
import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { readFile, realpath, stat, statfs } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { isUnder, type DriveDescription, type DriveMountpoint } from '../../src-shared/psrd/drive-safety';

const run = promisify(execFile);

async function readText(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
const unescapeMount = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

interface MountEntry {
  readonly path: string;
  readonly source: string;
  readonly fsType: string;
  readonly readOnly: boolean;
}

/** The mounts this process sees, in mount order. */
export async function readMounts(): Promise<MountEntry[]> {
  const text = (await readText('/proc/self/mountinfo')) ?? '';
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const f = left.split(' ');
    const r = right.split(' ');
    const options = (f[5] ?? '').split(',');
    out.push({ path: unescapeMount(f[4] ?? ''), fsType: r[0] ?? '', source: unescapeMount(r[1] ?? ''), readOnly: options.includes('ro') });
  }
  return out;
}

/** The whole-disk name in /sys/block for a device node (sdb1 → sdb, loop3 → loop3). */
async function diskName(device: string): Promise<string | undefined> {
  const name = basename(device);
  if (existsSync(`/sys/block/${name}`)) return name;
  try {
    const sys = await realpath(`/sys/class/block/${name}`);
    return existsSync(join(sys, 'partition')) ? basename(dirname(sys)) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A serial for a drive, where the system tells one: lsblk's, the device's own sysfs attribute, the USB
 * device's above it in sysfs, udev's database. A loop device has none; it is named by its backing
 * file's device and inode, so that another image attached to the same node is another drive.
 */
export async function driveSerial(device: string, fromLsblk?: string | null): Promise<string | undefined> {
  if (fromLsblk) return fromLsblk.trim();
  const name = await diskName(device);
  if (!name) return undefined;
  if (name.startsWith('loop')) {
    const backing = await readText(`/sys/block/${name}/loop/backing_file`);
    if (!backing) return undefined;
    try {
      const s = await stat(backing.replace(/ \(deleted\)$/, ''));
      return `loop:${s.dev}:${s.ino}`;
    } catch {
      return `loop:${backing}`;
    }
  }
  const own = await readText(`/sys/block/${name}/device/serial`);
  if (own) return own;
  try {
    // Up from the SCSI device to the USB device, whose `serial` is the stick's iSerialNumber.
    let dir = await realpath(`/sys/block/${name}/device`);
    for (let i = 0; i < 8 && dir.startsWith('/sys/devices/'); i++, dir = dirname(dir)) {
      if (existsSync(join(dir, 'idVendor'))) return await readText(join(dir, 'serial'));
    }
  } catch {
    // no device link (a virtual disk)
  }
  const devNo = await readText(`/sys/block/${name}/dev`);
  const udev = devNo ? await readText(`/run/udev/data/b${devNo}`) : undefined;
  return udev?.match(/^E:ID_SERIAL_SHORT=(.*)$/m)?.[1];
}

/** How long a listing waits for a mountpoint's free space, or for drivelist, before going on without it. */
export const HUNG_WAIT_MS = 1500;
/**
 * Calls still waiting, by what they ask about. A file system that hangs (a stick failing mid-I/O, a
 * stalled FUSE daemon) holds one of libuv's four pool threads for each statfs sent to it, for as long as
 * it hangs, and every asynchronous file access of the station waits behind them once all four are held;
 * drivelist, which looks at every mountpoint, then never answers at all. So at most one call per
 * question is ever waiting, and no listing waits for one longer than HUNG_WAIT_MS: it goes on without
 * the answer (the free space not known; the drives as lsblk alone describes them).
 */
const waiting = new Map<string, Promise<unknown>>();

async function bounded<T>(key: string, call: () => Promise<T>, fallback: T): Promise<T> {
  let answer = waiting.get(key) as Promise<T> | undefined;
  if (!answer) {
    answer = call()
      .catch(() => fallback)
      .finally(() => waiting.delete(key));
    waiting.set(key, answer);
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), HUNG_WAIT_MS);
    timer.unref();
  });
  try {
    return await Promise.race([answer, late]);
  } finally {
    clearTimeout(timer);
  }
}

function freeBytes(path: string): Promise<number | undefined> {
  return bounded(`statfs:${path}`, async () => {
    const s = await statfs(path);
    return s.bavail * s.bsize;
  }, undefined);
}

function withMountState(points: readonly { path: string; label?: string | null }[], mounts: readonly MountEntry[]): DriveMountpoint[] {
  return points.map((p) => {
    // The last mount on a path is the one in effect.
    const m = [...mounts].reverse().find((e) => e.path === p.path);
    return { path: p.path, label: p.label ?? null, readOnly: m?.readOnly ?? false };
  });
}

interface DrivelistDrive {
  device: string;
  description: string;
  size: number | null;
  isSystem: boolean;
  isRemovable: boolean;
  isReadOnly: boolean;
  isVirtual: boolean | null;
  mountpoints: { path: string; label?: string | null }[];
}

interface LsblkDevice {
  name: string;
  type?: string;
  size?: number | string | null;
  ro?: boolean | string | number;
  rm?: boolean | string | number;
  model?: string | null;
  serial?: string | null;
  mountpoints?: (string | null)[];
  children?: LsblkDevice[];
}

const truthy = (v: unknown): boolean => v === true || v === 1 || v === '1';

/** A disk as lsblk alone describes it, when drivelist cannot be asked: fixed means system (refused). */
function fromLsblk(b: LsblkDevice): DrivelistDrive {
  const removable = truthy(b.rm);
  return {
    device: b.name,
    description: b.model?.trim() || b.name,
    size: Number(b.size),
    isSystem: !removable,
    isRemovable: removable,
    isReadOnly: truthy(b.ro),
    isVirtual: false,
    mountpoints: lsblkMounts(b).map((path) => ({ path })),
  };
}

async function lsblk(): Promise<LsblkDevice[]> {
  try {
    const { stdout } = await run('lsblk', ['--json', '--bytes', '--paths', '--output', 'NAME,TYPE,SIZE,RO,RM,MODEL,SERIAL,MOUNTPOINTS']);
    return (JSON.parse(stdout) as { blockdevices?: LsblkDevice[] }).blockdevices ?? [];
  } catch {
    return [];
  }
}

function lsblkMounts(d: LsblkDevice): string[] {
  const own = (d.mountpoints ?? []).filter((m): m is string => typeof m === 'string' && m.length > 0);
  return [...own, ...(d.children ?? []).flatMap(lsblkMounts)];
}

/** Every drive the station can see, described for the drive-safety policy. Never throws. */
export async function listDrives(): Promise<DriveDescription[]> {
  const [mounts, blk, drivelisted] = await Promise.all([
    readMounts(),
    lsblk(),
    bounded<DrivelistDrive[] | undefined>('drivelist', () => import('drivelist').then((m) => m.list() as Promise<DrivelistDrive[]>), undefined),
  ]);
  // drivelist did not answer (a hung file system somewhere): the disks as lsblk describes them, each
  // fixed one taken for a system drive (refused), so that a good stick can still be chosen.
  const listed = drivelisted ?? blk.filter((b) => b.type === 'disk' && Number(b.size)).map(fromLsblk);
  const byName = new Map(blk.map((d) => [d.name, d]));
  const out: DriveDescription[] = [];
  for (const d of listed) {
    const b = byName.get(d.device);
    const mountpoints = withMountState(d.mountpoints, mounts);
    out.push({
      device: d.device,
      description: d.description,
      size: d.size,
      isSystem: d.isSystem,
      isRemovable: d.isRemovable,
      isReadOnly: d.isReadOnly,
      isVirtual: d.isVirtual ?? false,
      mountpoints,
      ...opt('serial', await driveSerial(d.device, b?.serial)),
      ...opt('model', b?.model?.trim() || undefined),
      ...opt('freeBytes', mountpoints[0] ? await freeBytes(mountpoints[0].path) : undefined),
    });
  }
  // drivelist omits loop devices; they are listed here as what they are: fixed, virtual drives.
  for (const b of blk) {
    if (b.type !== 'loop' || !Number(b.size)) continue;
    const backing = await readText(`/sys/block/${basename(b.name)}/loop/backing_file`);
    const mountpoints = withMountState(lsblkMounts(b).map((path) => ({ path })), mounts);
    out.push({
      device: b.name,
      description: backing ? `loop device (${basename(backing)})` : 'loop device',
      size: Number(b.size),
      isSystem: false,
      isRemovable: truthy(b.rm),
      isReadOnly: truthy(b.ro),
      isVirtual: true,
      mountpoints,
      ...opt('serial', await driveSerial(b.name)),
      ...opt('freeBytes', mountpoints[0] ? await freeBytes(mountpoints[0].path) : undefined),
    });
  }
  return out;
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * The drive that holds `path` (the station's data directory): the one whose mountpoint is the longest
 * that contains the path, links resolved. Undefined where no listed drive holds it (a tmpfs, a network
 * file system).
 */
export async function driveHolding(path: string, drives: readonly DriveDescription[]): Promise<DriveDescription | undefined> {
  let real = path;
  for (let p = path; ; p = dirname(p)) {
    try {
      real = join(await realpath(p), real.slice(p.length));
      break;
    } catch {
      if (p === dirname(p)) break;
    }
  }
  let best: { drive: DriveDescription; len: number } | undefined;
  for (const drive of drives) {
    for (const m of drive.mountpoints) {
      if (isUnder(real, m.path) && (!best || m.path.length > best.len)) best = { drive, len: m.path.length };
    }
  }
  return best?.drive;
}

/** The device node for a path as the operator typed it (a link in /dev/disk/by-id resolved). */
export async function canonicalDevice(device: string): Promise<string> {
  try {
    return await realpath(device);
  } catch {
    return device;
  }
}

export interface DriveWatcherOptions {
  /** How a listing is made (tests give their own). */
  readonly list?: () => Promise<DriveDescription[]>;
  /** The quiet time after a USB event before listing again. */
  readonly debounceMs?: number;
  /** The slow poll, for readers that raise no USB event and machines without a USB bus; 0 for none. */
  readonly pollMs?: number;
  /** Watch USB connect/disconnect (the `usb` package); off where /sys/bus/usb is missing. */
  readonly usb?: boolean;
}

type ConnectTarget = {
  addEventListener(type: 'connect' | 'disconnect', l: () => void): void;
  removeEventListener(type: 'connect' | 'disconnect', l: () => void): void;
};

/** Emits 'changed' (with the new listing) whenever the set of drives or their state changes. */
export class DriveWatcher extends EventEmitter<{ changed: [DriveDescription[]]; error: [unknown] }> {
  private last: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private poll: ReturnType<typeof setInterval> | undefined;
  private usbTarget: ConnectTarget | undefined;
  private readonly onUsb = (): void => this.soon();
  private stopped = false;
  private listing = false;
  private again = false;
  private readonly list: () => Promise<DriveDescription[]>;
  private readonly debounceMs: number;

  private constructor(opts: DriveWatcherOptions) {
    super();
    this.list = opts.list ?? listDrives;
    this.debounceMs = opts.debounceMs ?? 750;
    const pollMs = opts.pollMs ?? 5000;
    if (pollMs > 0) {
      this.poll = setInterval(() => void this.look(), pollMs);
      this.poll.unref();
    }
  }

  static async start(opts: DriveWatcherOptions = {}): Promise<DriveWatcher> {
    const w = new DriveWatcher(opts);
    // usb's listener setup lists the bus and throws (unhandled) where there is none: look first.
    if ((opts.usb ?? true) && existsSync('/sys/bus/usb/devices')) {
      try {
        const { usb } = await import('usb');
        w.usbTarget = usb as unknown as ConnectTarget;
        w.usbTarget.addEventListener('connect', w.onUsb);
        w.usbTarget.addEventListener('disconnect', w.onUsb);
      } catch {
        w.usbTarget = undefined; // no native module for this platform: the poll remains
      }
    }
    await w.look();
    return w;
  }

  /** Lists again after the debounce (called on a USB event; the station may call it after it unmounts). */
  soon(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.look();
    }, this.debounceMs);
    this.timer.unref();
  }

  private async look(): Promise<void> {
    if (this.stopped) return;
    if (this.listing) {
      this.again = true;
      return;
    }
    this.listing = true;
    try {
      const drives = await this.list();
      const key = JSON.stringify(drives.map((d) => ({ ...d, freeBytes: undefined })));
      if (key !== this.last && !this.stopped) {
        this.last = key;
        this.emit('changed', drives);
      }
    } catch (e) {
      if (this.listenerCount('error') > 0) this.emit('error', e);
    } finally {
      this.listing = false;
      if (this.again) {
        this.again = false;
        void this.look();
      }
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.poll) clearInterval(this.poll);
    this.usbTarget?.removeEventListener('connect', this.onUsb);
    this.usbTarget?.removeEventListener('disconnect', this.onUsb);
    this.usbTarget = undefined;
  }
}
