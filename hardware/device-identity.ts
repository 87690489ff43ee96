// Who a device is, stated the same way for entropy units, removable drives and HSM tokens. Whatever
// binds to a device — a latched entropy source, a drive chosen for a delivery, a token holding the
// master key — binds to this identity, never to the name it was asked for by: `/dev/ttyACM0`,
// `/dev/pts/../ttyACM0` and a by-id symlink are one unit.
import { realpathSync, statSync } from 'node:fs';

export type DeviceClass = 'entropy' | 'drive' | 'token';

export interface DeviceIdentity {
  readonly deviceClass: DeviceClass;
  /** USB vendor and product id, 4-digit lowercase hex. */
  readonly vendorId?: string;
  readonly productId?: string;
  /** The unit's own serial number (USB iSerial, a drive's serial, a token's serial). */
  readonly serial?: string;
  readonly model?: string;
  /** The device node or file, with symbolic links and `..` resolved. */
  readonly path?: string;
  /** A character or block device's number, "major:minor". */
  readonly deviceNumber?: string;
  /** A drive's size or a token's label, where they tell units apart. */
  readonly sizeBytes?: number;
  readonly label?: string;
}

const major = (rdev: number): number => Number((BigInt(rdev) >> 8n) & 0xfffn) | Number((BigInt(rdev) >> 32n) & ~0xfffn);
const minor = (rdev: number): number => Number(BigInt(rdev) & 0xffn) | Number((BigInt(rdev) >> 12n) & ~0xffn);

/** The identity of a path: resolved, and for a device node its device number. Undefined when it is not there. */
export function identifyPath(path: string, deviceClass: DeviceClass): DeviceIdentity | undefined {
  try {
    const resolved = realpathSync(path);
    const st = statSync(resolved);
    const node = st.isCharacterDevice() || st.isBlockDevice();
    return { deviceClass, path: resolved, ...(node ? { deviceNumber: `${major(st.rdev)}:${minor(st.rdev)}` } : {}) };
  } catch {
    return undefined;
  }
}

/**
 * One string per physical unit: the USB ids and serial where the unit has a serial, else the device
 * number, else the resolved path. Two identities with the same key are the same unit.
 */
export function identityKey(id: DeviceIdentity): string {
  if (id.vendorId && id.productId && id.serial) return `${id.deviceClass}:usb:${id.vendorId}:${id.productId}:${id.serial}`;
  if (id.deviceNumber) return `${id.deviceClass}:dev:${id.deviceNumber}`;
  if (id.path) return `${id.deviceClass}:path:${id.path}`;
  if (id.label) return `${id.deviceClass}:label:${id.label}`;
  return `${id.deviceClass}:unknown`;
}
