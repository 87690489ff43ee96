// The removable-volume carrier (issue S6, part 4a): a client package as `dske-<packageId>.pkg` at the
// root of a USB stick's (first) mounted file system. balenaEtcher's lessons, kept here:
//   - drive constraints: the drive-safety policy (src-shared/psrd/drive-safety.ts) refuses the system
//     drive, the station's own drive, read-only, too small, fixed and unmounted drives;
//   - never pre-select: the operator names the device; this carrier only judges it;
//   - re-check identity right before writing: serial and size as at preflight, else 'wrong-device';
//   - verify by reading back, the page cache bypassed (package-file.ts).
// Release syncs, then unmounts and powers the stick off through udisksctl where the system has it.
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { StationFailure } from '../../src-shared/api/result';
import { driveStatuses, isDeliverable, type DriveDescription, type DriveStatus } from '../../src-shared/psrd/drive-safety';
import type { MediaFaultCode } from '../../src-shared/psrd/media-faults';
import type { Carrier, CarrierProgress, MediumRecord, PackageStream, Written } from './carrier';
import { canonicalDevice, driveHolding, listDrives, readMounts } from './drives';
import { digestsFrom, discardPackageFile, mediaFailure, verifyPackageFile, writePackageFile, type PackageFileVerified } from './package-file';

const run = promisify(execFile);

export interface RemovableVolumeOptions {
  /** The station's data directory: its drive is never written to. */
  readonly stationDataDir: string;
  /** Accept fixed drives (loop devices): a test setting read from station.json, never offered at the desk. */
  readonly allowFixedDrives: boolean;
  /** How drives are listed (tests give their own). */
  readonly listDrives?: () => Promise<DriveDescription[]>;
}

interface Identity {
  readonly device: string;
  readonly serial?: string;
  readonly size: number | null;
  readonly mountpoint: string;
  /** st_dev of the mounted file system: a package never lands on another one. */
  readonly dev: number;
  /** The mounted node (a partition, or the disk itself) and its file system type, for unmounting. */
  readonly source?: string;
  readonly fsType?: string;
}

/** A package file name from its id; an id that is not a plain name is refused rather than cleaned. */
export function packageFileName(packageId: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(packageId)) throw new StationFailure('bad-request', 'The package id cannot be used as a file name.');
  return `dske-${packageId}.pkg`;
}

/** Which media fault a drive-safety error stands for. */
function faultFor(statuses: readonly DriveStatus[]): MediaFaultCode {
  const errors = statuses.filter((s) => s.severity === 'error');
  if (errors.some((s) => s.code === 'system-drive' || s.code === 'station-drive' || s.code === 'not-removable' || s.code === 'not-mounted')) return 'medium-not-allowed';
  if (errors.some((s) => s.code === 'read-only')) return 'medium-read-only';
  return 'medium-full';
}

async function hasCommand(name: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${name}`]);
    return true;
  } catch {
    return false;
  }
}

const NO_UDISKS = 'udisksctl is not installed: the volume was synced but stays mounted; unmount it before pulling it out.';

export class RemovableVolumeCarrier implements Carrier {
  readonly kind = 'usb' as const;
  private chosen: Identity | undefined;
  private target: string | undefined;
  /** How the last read-back went (O_DIRECT or not), for the job's log. */
  lastVerify: PackageFileVerified | undefined;
  /** What release() did, in words. */
  releaseNote: string | undefined;
  private readonly list: () => Promise<DriveDescription[]>;

  private constructor(
    readonly device: string,
    private readonly opts: RemovableVolumeOptions,
  ) {
    this.list = opts.listDrives ?? listDrives;
  }

  static open(device: string, opts: RemovableVolumeOptions): RemovableVolumeCarrier {
    return new RemovableVolumeCarrier(device, opts);
  }

  private async lookUp(): Promise<{ drive: DriveDescription | undefined; drives: DriveDescription[] }> {
    const device = await canonicalDevice(this.device);
    const drives = await this.list();
    return { drive: drives.find((d) => d.device === device || d.device === this.device), drives };
  }

  async describe(): Promise<MediumRecord> {
    const { drive } = await this.lookUp().catch(() => ({ drive: undefined }));
    return {
      kind: 'usb',
      target: this.device,
      ...(drive?.serial !== undefined ? { serial: drive.serial } : {}),
      ...(drive?.description ? { model: drive.description } : {}),
      ...(drive?.size != null ? { sizeBytes: drive.size } : {}),
    };
  }

  /** The policy's verdict on the drive as it is now; throws the media fault its first errors stand for. */
  private async judge(packageBytes: number): Promise<Identity> {
    const { drive, drives } = await this.lookUp();
    if (!drive) throw mediaFailure('medium-unplugged', `there is no drive at ${this.device}`);
    const holding = await driveHolding(this.opts.stationDataDir, drives);
    const statuses = driveStatuses(drive, {
      stationDataDir: this.opts.stationDataDir,
      ...(holding ? { stationDataDevice: holding.device } : {}),
      packageBytes,
      allowFixedDrives: this.opts.allowFixedDrives,
    });
    if (!isDeliverable(statuses)) {
      throw mediaFailure(faultFor(statuses), statuses.filter((s) => s.severity === 'error').map((s) => s.message).join(' '));
    }
    const mountpoint = drive.mountpoints[0]!.path;
    let dev: number;
    try {
      dev = (await stat(mountpoint)).dev;
    } catch {
      throw mediaFailure('medium-unplugged', `${mountpoint} cannot be reached`);
    }
    const mount = (await readMounts()).reverse().find((m) => m.path === mountpoint);
    return {
      device: drive.device,
      ...(drive.serial !== undefined ? { serial: drive.serial } : {}),
      size: drive.size,
      mountpoint,
      dev,
      ...(mount ? { source: mount.source, fsType: mount.fsType } : {}),
    };
  }

  async preflight(packageBytes: number): Promise<void> {
    this.chosen = await this.judge(packageBytes);
  }

  /** Right before writing or reading back: the same drive (serial, size) still there and mounted. */
  private async recheck(packageBytes: number): Promise<Identity> {
    const chosen = this.chosen;
    if (!chosen) throw new Error('preflight() comes before write()');
    const { drive } = await this.lookUp();
    if (!drive) throw mediaFailure('medium-unplugged', `${this.device} is gone`);
    if (drive.serial !== chosen.serial || drive.size !== chosen.size) {
      throw mediaFailure('wrong-device', `${this.device} was ${chosen.serial ?? 'without serial'}, ${chosen.size ?? '?'} bytes; it is now ${drive.serial ?? 'without serial'}, ${drive.size ?? '?'} bytes`);
    }
    const now = await this.judge(packageBytes);
    if (now.mountpoint !== chosen.mountpoint || now.dev !== chosen.dev) throw mediaFailure('medium-unplugged', `${this.device} was unmounted or mounted elsewhere`);
    return now;
  }

  async write(pkg: PackageStream, progress: (p: CarrierProgress) => void, signal: AbortSignal): Promise<Written> {
    const name = packageFileName(pkg.packageId);
    const id = await this.recheck(pkg.length);
    const path = join(id.mountpoint, name);
    this.target = path;
    const w = await writePackageFile(path, pkg, progress, signal, { dev: id.dev });
    const udisks = await hasCommand('udisksctl');
    return {
      ...w,
      sha256: [...w.sha256],
      device: id.device,
      ...(id.serial !== undefined ? { serial: id.serial } : {}),
      mountpoint: id.mountpoint,
      ...(udisks ? {} : { release: NO_UDISKS }),
    };
  }

  async verify(pkg: PackageStream, written: Written, progress: (p: CarrierProgress) => void, signal: AbortSignal): Promise<void> {
    const digests = digestsFrom(written, pkg);
    const id = await this.recheck(0);
    const path = join(id.mountpoint, packageFileName(pkg.packageId));
    let flushed: string | undefined;
    if (id.fsType?.startsWith('fuse') && id.source?.startsWith('/dev/')) {
      // A FUSE daemon reads the block device through its page cache, which O_DIRECT on the file does
      // not reach; BLKFLSBUF empties it (it needs CAP_SYS_ADMIN; without it the note says so).
      flushed = await run('blockdev', ['--flushbufs', id.source]).then(
        () => undefined,
        () => `The read-back went through a FUSE file system whose daemon may have read ${id.source} from the block-device cache (it could not be flushed).`,
      );
    }
    const v = await verifyPackageFile(path, digests, progress, signal, { dev: id.dev });
    const note = [v.note, flushed].filter(Boolean).join(' ');
    this.lastVerify = note ? { ...v, note } : v;
  }

  async discard(pkg: Pick<PackageStream, 'packageId'>): Promise<void> {
    if (!this.target) return;
    try {
      if (this.target.endsWith(packageFileName(pkg.packageId))) await discardPackageFile(this.target);
    } catch {
      // never throws
    }
  }

  async release(): Promise<void> {
    try {
      await run('sync', [], { timeout: 120_000 });
    } catch {
      // the files were fsynced already; sync is for the rest of the volume
    }
    // Unmounted and powered off only after a verified write: a stick whose delivery failed stays mounted
    // for the desk to look at (and a drive that was refused was never chosen).
    const id = this.chosen;
    if (!id || !this.lastVerify) return;
    if (!(await hasCommand('udisksctl'))) {
      this.releaseNote = NO_UDISKS;
      return;
    }
    const notes: string[] = [];
    try {
      await run('udisksctl', ['unmount', '--no-user-interaction', '-b', id.source ?? id.device], { timeout: 60_000 });
      notes.push(`unmounted ${id.source ?? id.device}`);
      try {
        await run('udisksctl', ['power-off', '--no-user-interaction', '-b', id.device], { timeout: 60_000 });
        notes.push(`powered off ${id.device}; it can be pulled out`);
      } catch {
        notes.push(`${id.device} could not be powered off; it can be pulled out now that it is unmounted`);
      }
    } catch {
      notes.push(`${id.source ?? id.device} could not be unmounted; unmount it before pulling it out`);
    }
    this.releaseNote = notes.join('; ') + '.';
  }
}
