// Which drives a client package may be written to (issue S6, part 4a), after balenaEtcher's
// drive-constraints: a pure policy over a description of the drive, so that the desk's drive list, the
// preflight of the removable-volume carrier and the tests all apply one set of rules. Errors forbid the
// drive; warnings are shown and the operator decides. The station never pre-selects a drive: this
// only says what is wrong with the one the operator chose.

export interface DriveMountpoint {
  readonly path: string;
  readonly label?: string | null;
  /** Mounted read-only (the drive itself may still be writable). */
  readonly readOnly?: boolean;
}

/** A drive as the listing (hardware/carriers/drives.ts) describes it. */
export interface DriveDescription {
  /** The whole-disk device node, e.g. /dev/sdb or /dev/loop3. */
  readonly device: string;
  /** Vendor, model and label, for the operator. */
  readonly description: string;
  /** Bytes of the whole device; null where the system does not say. */
  readonly size: number | null;
  readonly isSystem: boolean;
  readonly isRemovable: boolean;
  readonly isReadOnly: boolean;
  readonly isVirtual: boolean;
  /** Its mounted file systems, the first being where a package goes. */
  readonly mountpoints: readonly DriveMountpoint[];
  readonly serial?: string;
  readonly model?: string;
  /** Free bytes on the first mountpoint's file system, where known (statfs). */
  readonly freeBytes?: number;
}

export interface DriveSafetyOptions {
  /** The station's data directory: the drive that holds it is never written to. */
  readonly stationDataDir: string;
  /** The device holding the data directory, where the listing could tell; else mountpoints decide. */
  readonly stationDataDevice?: string;
  readonly packageBytes: number;
  /** Accept fixed (non-removable) drives: a test setting (loop devices), never a desk one. */
  readonly allowFixedDrives: boolean;
}

export type DriveStatusCode =
  | 'system-drive'
  | 'station-drive'
  | 'read-only'
  | 'too-small'
  | 'no-room'
  | 'not-removable'
  | 'not-mounted'
  | 'very-large'
  | 'virtual';

export interface DriveStatus {
  readonly code: DriveStatusCode;
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

/** Above this a "removable drive" is more likely a backup disk than a stick for one client. */
export const LARGE_DRIVE_BYTES = 128 * 2 ** 30;

function size(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} bytes` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

function normalize(path: string): string {
  const parts: string[] = [];
  for (const p of path.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return '/' + parts.join('/');
}

/** True when `dir` is `mount` or lies under it (path-wise; links are the caller's to resolve). */
export function isUnder(dir: string, mount: string): boolean {
  const d = normalize(dir);
  const m = normalize(mount);
  return m === '/' || d === m || d.startsWith(m + '/');
}

function holdsStationData(drive: DriveDescription, opts: DriveSafetyOptions): boolean {
  if (opts.stationDataDevice !== undefined) return opts.stationDataDevice === drive.device;
  // Without the device: a mountpoint at or above the data directory, other than the root (which the
  // system-drive rule covers and which every path lies under).
  return drive.mountpoints.some((m) => normalize(m.path) !== '/' && isUnder(opts.stationDataDir, m.path));
}

/** Everything that speaks against writing a package of `opts.packageBytes` to `drive`. */
export function driveStatuses(drive: DriveDescription, opts: DriveSafetyOptions): DriveStatus[] {
  const out: DriveStatus[] = [];
  const name = drive.description ? `${drive.device} (${drive.description})` : drive.device;
  const error = (code: DriveStatusCode, message: string): void => void out.push({ code, severity: 'error', message });
  const warning = (code: DriveStatusCode, message: string): void => void out.push({ code, severity: 'warning', message });

  if (drive.isSystem || drive.mountpoints.some((m) => normalize(m.path) === '/')) error('system-drive', `${name} is the system drive.`);
  if (holdsStationData(drive, opts)) error('station-drive', `${name} holds the station’s own data.`);
  if (!drive.isRemovable && !opts.allowFixedDrives) error('not-removable', `${name} is a fixed drive, not a removable one.`);
  if (drive.isReadOnly) error('read-only', `${name} is write-protected.`);
  else if (drive.mountpoints[0]?.readOnly) error('read-only', `${name} is mounted read-only.`);
  if (drive.mountpoints.length === 0) error('not-mounted', `${name} has no mounted file system; format it (exFAT or ext4) and plug it in again.`);
  if (drive.size !== null && drive.size < opts.packageBytes) error('too-small', `${name} holds ${size(drive.size)}; the package needs ${size(opts.packageBytes)}.`);
  else if (drive.freeBytes !== undefined && drive.freeBytes < opts.packageBytes) error('no-room', `${name} has ${size(drive.freeBytes)} free; the package needs ${size(opts.packageBytes)}.`);
  if (drive.size !== null && drive.size > LARGE_DRIVE_BYTES) warning('very-large', `${name} holds ${size(drive.size)}: is this really the client’s stick, and not a backup disk?`);
  if (drive.isVirtual && !drive.isSystem) warning('virtual', `${name} is a virtual drive (an image file or a memory disk), not a physical medium.`);
  return out;
}

/** True when no status forbids the drive (warnings do not). */
export function isDeliverable(statuses: readonly DriveStatus[]): boolean {
  return statuses.every((s) => s.severity !== 'error');
}
