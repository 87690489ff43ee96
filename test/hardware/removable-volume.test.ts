// The removable-volume carrier on real file systems (issue S6, part 4a): loop devices with ext4 and
// exFAT (FUSE), written and read back through RemovableVolumeCarrier, checked by fsck and by reading
// the file after a remount; then the faults a stick has at a desk, each as it really happens at the
// syscall level, mapped to its media fault. Also the drive-safety policy, pure, over etcher-like lists.
import { execFileSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PackageStream } from '../../hardware/carriers/carrier';
import { DriveWatcher, driveHolding, listDrives } from '../../hardware/carriers/drives';
import { RemovableVolumeCarrier, packageFileName } from '../../hardware/carriers/removable-volume';
import { driveStatuses, isDeliverable, type DriveDescription, type DriveSafetyOptions } from '../../src-shared/psrd/drive-safety';
import { refusal as failure } from '../support/refusal';
import { MiB, sh, tryRun } from '../support/media';


const isRoot = process.getuid?.() === 0;
const loopsUsable = ((): boolean => {
  if (!isRoot || !existsSync('/dev/loop-control')) return false;
  const dir = mkdtempSync(join(tmpdir(), 'dske-loopprobe-'));
  try {
    execFileSync('truncate', ['-s', '1M', join(dir, 'probe.img')]);
    const dev = sh('losetup', '-f', '--show', join(dir, 'probe.img')).trim();
    sh('losetup', '-d', dev);
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();
const noLoops = !isRoot ? 'not root' : !loopsUsable ? 'loop devices unavailable' : undefined;
const exfatFuse = existsSync('/usr/sbin/mount.exfat-fuse') || tryRun('sh', '-c', 'command -v mount.exfat-fuse');

/** A fake package: AES-CTR of zeros under a seed, in pieces of 1 MiB plus a tag, as the interface allows. */
function fakePackage(length: number, seed: number, packageId = `p${seed}`): PackageStream {
  return {
    hubId: 'hub-1',
    clientId: 'client-1',
    packageId,
    ranges: [],
    length,
    async *pieces() {
      const c = createCipheriv('aes-256-ctr', Buffer.alloc(32, seed), Buffer.alloc(16));
      const zeros = Buffer.alloc(MiB + 16);
      for (let left = length; left > 0; ) {
        const n = Math.min(left, zeros.length);
        yield c.update(zeros.subarray(0, n));
        left -= n;
      }
    },
  };
}

async function packageBytes(pkg: PackageStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of pkg.pieces()) parts.push(Buffer.from(p));
  return Buffer.concat(parts);
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

interface Volume {
  img: string;
  dev: string;
  mnt: string;
  fs: 'ext4' | 'exfat';
}

const work = mkdtempSync(join(tmpdir(), 'dske-vol-'));
const stationDataDir = join(work, 'station-data');
mkdirSync(stationDataDir);
const mounts = new Set<string>();
const loops = new Set<string>();

function mountVolume(v: Volume, ro = false): void {
  if (v.fs === 'ext4') sh('mount', ...(ro ? ['-o', 'ro'] : []), v.dev, v.mnt);
  else sh('mount.exfat-fuse', ...(ro ? ['-o', 'ro'] : []), v.dev, v.mnt);
  mounts.add(v.mnt);
}

function unmount(v: Volume): void {
  sh('umount', v.mnt);
  mounts.delete(v.mnt);
}

let serial = 0;
function makeVolume(fs: 'ext4' | 'exfat', sizeMiB: number, opts: { ro?: boolean } = {}): Volume {
  const n = serial++;
  const img = join(work, `vol${n}.img`);
  const mnt = join(work, `mnt${n}`);
  mkdirSync(mnt);
  sh('truncate', '-s', `${sizeMiB}M`, img);
  const dev = sh('losetup', '-f', '--show', img).trim();
  loops.add(dev);
  if (fs === 'ext4') sh('mkfs.ext4', '-q', '-F', dev);
  else sh('mkfs.exfat', dev);
  const v = { img, dev, mnt, fs };
  mountVolume(v, opts.ro);
  return v;
}

afterAll(() => {
  for (const m of mounts) tryRun('umount', m) || tryRun('umount', '-l', m);
  for (const d of loops) tryRun('losetup', '-d', d);
  rmSync(work, { recursive: true, force: true });
});

const never = new AbortController().signal;
const quiet = (): void => undefined;

describe.skipIf(noLoops !== undefined)(`removable volumes on loop devices${noLoops ? ` (skipped: ${noLoops})` : ''}`, () => {
  const settings = { stationDataDir, allowFixedDrives: true };

  for (const fs of ['ext4', 'exfat'] as const) {
    it.skipIf(fs === 'exfat' && !exfatFuse)(`writes, verifies and releases a package on ${fs}; fsck is clean and the bytes are the package's after a remount`, async () => {
      const v = makeVolume(fs, 48);
      const pkg = fakePackage(5 * MiB + 777, 3);
      const carrier = RemovableVolumeCarrier.open(v.dev, settings);
      await carrier.preflight(pkg.length);
      const before = await carrier.describe();
      expect(before).toMatchObject({ kind: 'usb', target: v.dev, sizeBytes: 48 * MiB });
      expect(before.serial).toMatch(/^loop:/);
      const seen: string[] = [];
      const written = await carrier.write(pkg, (p) => seen.push(`${p.phase}:${p.bytesDone}/${p.bytesTotal}`), never);
      expect(seen.at(-1)).toBe(`write:${pkg.length}/${pkg.length}`);
      expect(written).toMatchObject({ path: join(v.mnt, packageFileName(pkg.packageId)), length: pkg.length, device: v.dev });
      await carrier.verify(pkg, written, (p) => seen.push(`${p.phase}:${p.bytesDone}`), never);
      expect(seen.at(-1)).toBe(`verify:${pkg.length}`);
      // O_DIRECT worked for the read-back on both (the kernel's FUSE takes O_DIRECT opens).
      expect(carrier.lastVerify?.direct).toBe(true);
      await carrier.release();
      expect(carrier.releaseNote).toMatch(tryRun('sh', '-c', 'command -v udisksctl') ? /unmount/ : /udisksctl is not installed/);
      expect(readdirSync(v.mnt).filter((n) => n.startsWith('dske-'))).toEqual([packageFileName(pkg.packageId)]);
      if (mounts.has(v.mnt)) unmount(v);
      if (fs === 'ext4') sh('fsck.ext4', '-fn', v.dev);
      else sh('fsck.exfat', '-n', v.dev); // a non-zero exit (a fault found) throws
      mountVolume(v);
      expect(sha(readFileSync(join(v.mnt, packageFileName(pkg.packageId))))).toBe(sha(await packageBytes(pkg)));
      unmount(v);
    });
  }

  it('refuses a loop device as a fixed drive unless fixed drives are allowed', async () => {
    const v = makeVolume('ext4', 16);
    const f = await failure(RemovableVolumeCarrier.open(v.dev, { stationDataDir, allowFixedDrives: false }).preflight(MiB));
    expect(f.code).toBe('medium-not-allowed');
    expect(f.message).toMatch(/fixed drive/);
    await RemovableVolumeCarrier.open(v.dev, settings).preflight(MiB);
  });

  it('refuses the system drive and the drive holding the station data', async () => {
    const drives = await listDrives();
    const system = drives.find((d) => d.isSystem || d.mountpoints.some((m) => m.path === '/'));
    if (system) {
      const f = await failure(RemovableVolumeCarrier.open(system.device, settings).preflight(MiB));
      expect(f.code).toBe('medium-not-allowed');
      expect(f.message).toMatch(/system drive/);
    }
    const v = makeVolume('ext4', 16);
    const inside = join(v.mnt, 'station');
    mkdirSync(inside);
    const f = await failure(RemovableVolumeCarrier.open(v.dev, { stationDataDir: inside, allowFixedDrives: true }).preflight(MiB));
    expect(f.code).toBe('medium-not-allowed');
    expect(f.message).toMatch(/station’s own data/);
  });

  it('refuses a volume mounted read-only at preflight (medium-read-only)', async () => {
    const v = makeVolume('ext4', 16, { ro: true });
    const f = await failure(RemovableVolumeCarrier.open(v.dev, settings).preflight(MiB));
    expect(f.code).toBe('medium-read-only');
  });

  it('refuses a package bigger than the volume, or than its free space, and leaves nothing (medium-full)', async () => {
    const v = makeVolume('ext4', 16);
    const small = RemovableVolumeCarrier.open(v.dev, settings);
    expect((await failure(small.preflight(32 * MiB))).code).toBe('medium-full');
    // Room at preflight, gone by the write (someone copied a file meanwhile): re-judged before writing.
    await small.preflight(8 * MiB);
    sh('fallocate', '-l', '10M', join(v.mnt, 'filler'));
    expect((await failure(small.write(fakePackage(8 * MiB, 4), quiet, never))).code).toBe('medium-full');
    expect(readdirSync(v.mnt).filter((n) => n.startsWith('dske-'))).toEqual([]);
  });

  it('says wrong-device when another medium is in the slot by the write (serial changed), unplugged when none is', async () => {
    const v = makeVolume('ext4', 24);
    const pkg = fakePackage(2 * MiB, 5);
    const carrier = RemovableVolumeCarrier.open(v.dev, settings);
    await carrier.preflight(pkg.length);
    // The same node, the same size, another image: what a swapped stick looks like to the listing.
    unmount(v);
    sh('losetup', '-d', v.dev);
    const other = join(work, 'other.img');
    sh('truncate', '-s', '24M', other);
    sh('mkfs.ext4', '-q', '-F', other);
    sh('losetup', v.dev, other);
    mountVolume(v);
    const f = await failure(carrier.write(pkg, quiet, never));
    expect(f.code).toBe('wrong-device');
    expect(readdirSync(v.mnt).filter((n) => n.startsWith('dske-'))).toEqual([]);
    // Pulled out altogether before the write:
    const again = RemovableVolumeCarrier.open(v.dev, settings);
    await again.preflight(pkg.length);
    unmount(v);
    sh('losetup', '-d', v.dev);
    loops.delete(v.dev);
    expect((await failure(again.write(pkg, quiet, never))).code).toBe('medium-unplugged');
  });

  it('fails medium-unplugged when the volume vanishes mid-write (lazy unmount), and writes nothing to the system drive', async () => {
    const v = makeVolume('ext4', 48);
    const pkg = fakePackage(16 * MiB, 6);
    const carrier = RemovableVolumeCarrier.open(v.dev, settings);
    await carrier.preflight(pkg.length);
    let pulled = false;
    const f = await failure(
      carrier.write(
        pkg,
        (p) => {
          if (!pulled && p.bytesDone >= MiB) {
            pulled = true;
            sh('umount', '-l', v.mnt);
            mounts.delete(v.mnt);
          }
        },
        never,
      ),
    );
    expect(pulled).toBe(true);
    // The open file stays writable on the detached file system; the rename by name then finds the
    // mountpoint an empty folder of the system drive: ENOENT, which is the medium gone.
    expect(f.code).toBe('medium-unplugged');
    expect(readdirSync(v.mnt)).toEqual([]);
    // The .partial was removed on the detached file system too (through the folder held open).
    mountVolume(v);
    expect(readdirSync(v.mnt).filter((n) => n.startsWith('dske-'))).toEqual([]);
    unmount(v);
    sh('fsck.ext4', '-fn', v.dev);
  });

  for (const fs of ['ext4', 'exfat'] as const) {
    it.skipIf(fs === 'exfat' && !exfatFuse)(`fails verify-failed when a byte on the device (${fs}) changed after the write, though the page cache still holds the old one`, async () => {
      const v = makeVolume(fs, 48);
      const pkg = fakePackage(6 * MiB + 100, 7);
      const carrier = RemovableVolumeCarrier.open(v.dev, settings);
      await carrier.preflight(pkg.length);
      const written = await carrier.write(pkg, quiet, never);
      const bytes = await packageBytes(pkg);
      const path = join(v.mnt, packageFileName(pkg.packageId));
      // Read through the page cache: the file system's cache now holds the package.
      expect(sha(readFileSync(path))).toBe(sha(bytes));
      // Find MiB 3 of the package on the device and flip a byte there, under the file system.
      const at = 3 * MiB + 4096;
      execFileSync('sync');
      const image = readFileSync(v.img);
      const where = image.indexOf(bytes.subarray(at, at + 4096));
      expect(where).toBeGreaterThan(0);
      const fd = openSync(v.dev, 'r+');
      try {
        writeSync(fd, Buffer.from([image[where + 10]! ^ 0x01]), 0, 1, where + 10);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      if (fs === 'ext4') expect(sha(readFileSync(path))).toBe(sha(bytes)); // the cache did not see it
      const f = await failure(carrier.verify(pkg, written, quiet, never));
      expect(f.code).toBe('verify-failed');
      expect(f.message).toMatch(/MiB 3\b/);
      await carrier.discard(pkg);
      expect(readdirSync(v.mnt).filter((n) => n.startsWith('dske-'))).toEqual([]);
      unmount(v);
    });
  }
});

describe('drive-safety policy', () => {
  // Shaped as drivelist reports them (etcher's drive list), mapped to the station's description.
  const base: DriveDescription = { device: '/dev/sdb', description: 'SanDisk Cruzer Blade', size: 16 * 2 ** 30, isSystem: false, isRemovable: true, isReadOnly: false, isVirtual: false, mountpoints: [{ path: '/media/desk/CRUZER' }], serial: '4C530001230918105', freeBytes: 15 * 2 ** 30 };
  const nvme: DriveDescription = { device: '/dev/nvme0n1', description: 'Samsung SSD 980', size: 1000 * 2 ** 30, isSystem: true, isRemovable: false, isReadOnly: false, isVirtual: false, mountpoints: [{ path: '/' }, { path: '/boot/efi' }, { path: '/home' }] };
  const opts: DriveSafetyOptions = { stationDataDir: '/home/desk/.config/dske-station', packageBytes: 256 * MiB, allowFixedDrives: false };
  const codes = (d: DriveDescription, o = opts): string[] => driveStatuses(d, o).map((s) => `${s.severity}:${s.code}`);

  it('takes a mounted USB stick with room', () => {
    expect(driveStatuses(base, opts)).toEqual([]);
    expect(isDeliverable(driveStatuses(base, opts))).toBe(true);
  });

  it('refuses the system drive, which holds the station data too', () => {
    expect(codes(nvme)).toEqual(['error:system-drive', 'error:station-drive', 'error:not-removable', 'warning:very-large']);
    expect(isDeliverable(driveStatuses(nvme, opts))).toBe(false);
  });

  it('refuses the drive holding the data directory, by device or by mountpoint', () => {
    const data = { ...base, device: '/dev/sdc', mountpoints: [{ path: '/srv/dske' }] };
    expect(codes(data, { ...opts, stationDataDir: '/srv/dske/station' })).toEqual(['error:station-drive']);
    expect(codes(data, { ...opts, stationDataDir: '/srv/dske-other' })).toEqual([]);
    expect(codes(base, { ...opts, stationDataDevice: '/dev/sdb' })).toEqual(['error:station-drive']);
    expect(codes(base, { ...opts, stationDataDevice: '/dev/nvme0n1', stationDataDir: '/media/desk/CRUZER/x' })).toEqual([]);
  });

  it('refuses write-protected, read-only mounted, unmounted, too small and full drives', () => {
    expect(codes({ ...base, isReadOnly: true })).toEqual(['error:read-only']);
    expect(codes({ ...base, mountpoints: [{ path: '/media/desk/CRUZER', readOnly: true }] })).toEqual(['error:read-only']);
    expect(codes({ ...base, mountpoints: [] })).toEqual(['error:not-mounted']);
    expect(codes({ ...base, size: 128 * MiB, freeBytes: 100 * MiB })).toEqual(['error:too-small']);
    expect(codes({ ...base, freeBytes: 10 * MiB })).toEqual(['error:no-room']);
    expect(driveStatuses({ ...base, size: 128 * MiB }, opts)[0]!.message).toBe('/dev/sdb (SanDisk Cruzer Blade) holds 128 MiB; the package needs 256 MiB.');
  });

  it('refuses fixed drives unless allowed; warns of very large and virtual ones', () => {
    const usbDisk = { ...base, device: '/dev/sdd', description: 'WD Elements', isRemovable: false, size: 4 * 2 ** 40 };
    expect(codes(usbDisk)).toEqual(['error:not-removable', 'warning:very-large']);
    expect(codes(usbDisk, { ...opts, allowFixedDrives: true })).toEqual(['warning:very-large']);
    expect(isDeliverable(driveStatuses(usbDisk, { ...opts, allowFixedDrives: true }))).toBe(true);
    const loop = { ...base, device: '/dev/loop3', description: 'loop device (vol.img)', isRemovable: false, isVirtual: true, size: 64 * MiB, freeBytes: 60 * MiB };
    expect(codes(loop, { ...opts, packageBytes: MiB })).toEqual(['error:not-removable', 'warning:virtual']);
    expect(codes(loop, { ...opts, packageBytes: MiB, allowFixedDrives: true })).toEqual(['warning:virtual']);
  });

  it('treats paths by components, not by string prefix', () => {
    const d = { ...base, mountpoints: [{ path: '/media/desk/CRUZER' }] };
    expect(codes(d, { ...opts, stationDataDir: '/media/desk/CRUZER2/x' })).toEqual([]);
    expect(codes(d, { ...opts, stationDataDir: '/media/desk/./CRUZER/../CRUZER/x' })).toEqual(['error:station-drive']);
  });
});

describe('drive listing helpers', () => {
  const stick: DriveDescription = { device: '/dev/sdb', description: 'stick', size: 8 * 2 ** 30, isSystem: false, isRemovable: true, isReadOnly: false, isVirtual: false, mountpoints: [{ path: '/media/desk/STICK' }] };
  const disk: DriveDescription = { device: '/dev/vda', description: 'disk', size: 2 ** 38, isSystem: true, isRemovable: false, isReadOnly: false, isVirtual: false, mountpoints: [{ path: '/' }, { path: '/srv' }] };

  it('finds the drive that holds a path by its longest mountpoint', async () => {
    expect((await driveHolding('/srv/dske/data', [stick, disk]))?.device).toBe('/dev/vda');
    expect((await driveHolding('/media/desk/STICK/station', [disk, stick]))?.device).toBe('/dev/sdb');
    expect((await driveHolding('/media/desk/STICKER', [stick]))).toBeUndefined();
  });

  it('says changed once per change, debounced, and stops', async () => {
    let drives = [disk];
    const seen: string[][] = [];
    const w = await DriveWatcher.start({ list: () => Promise.resolve(drives), usb: false, pollMs: 0, debounceMs: 20 });
    w.on('changed', (d) => seen.push(d.map((x) => x.device)));
    drives = [disk, stick];
    w.soon();
    w.soon();
    await new Promise((r) => setTimeout(r, 80));
    w.soon(); // nothing changed: nothing said
    await new Promise((r) => setTimeout(r, 80));
    drives = [disk];
    w.stop();
    w.soon();
    await new Promise((r) => setTimeout(r, 80));
    expect(seen).toEqual([['/dev/vda', '/dev/sdb']]);
  });
});
