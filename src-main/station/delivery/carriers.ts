// The medium an operator names, opened as a carrier (hardware/carriers): usb:/dev/sdX, hsm:LABEL (or
// hsm:serial=XXXX), qr:FILE.pdf, file:PATH. Paths must be absolute: a relative path would land wherever
// the station happened to start.
import { isAbsolute } from 'node:path';
import { StationFailure } from '../../../src-shared/api/result';
import type { Carrier } from '../../../hardware/carriers/carrier';
import { FileCarrier } from '../../../hardware/carriers/file';
import { HsmTokenCarrier } from '../../../hardware/carriers/hsm-token';
import { QrSheetCarrier } from '../../../hardware/carriers/qr-sheet';
import { RemovableVolumeCarrier } from '../../../hardware/carriers/removable-volume';
import type { DeliverySettings } from '../config';
import { isInside, SYSTEM_TREES } from '../paths';

export interface CarrierContext {
  readonly settings: DeliverySettings;
  readonly dataDir: string;
  /** The token's PIN, for hsm: only; used to log in and dropped. */
  readonly pin?: string;
  readonly profile?: 'data' | 'secret';
}

export function openCarrier(target: string, c: CarrierContext): Carrier {
  const at = target.indexOf(':');
  if (at < 0) throw new StationFailure('bad-request', `"${target.slice(0, 80)}" names no medium: write usb:/dev/sdX, hsm:LABEL, qr:/path/sheet.pdf or file:/path/name.pkg.`);
  const kind = target.slice(0, at);
  const rest = target.slice(at + 1);
  const absolute = (what: string): string => {
    if (!isAbsolute(rest)) throw new StationFailure('bad-request', `${what} must be an absolute path (it was "${rest}").`);
    return rest;
  };
  // A package file never lands in the station's own data (it would be a copy the station keeps beside the
  // keys that open it) nor in a system tree.
  const outside = (path: string): string => {
    if (isInside(path, c.dataDir)) throw new StationFailure('medium-not-allowed', `${path} is inside the station's own data directory; the PSRD must leave the station. Choose a path on the client's medium.`);
    const tree = SYSTEM_TREES.find((t) => isInside(path, t));
    if (tree) throw new StationFailure('medium-not-allowed', `${path} is in ${tree}, a system folder; choose a path on the client's medium.`);
    return path;
  };
  switch (kind) {
    case 'file':
      return FileCarrier.open(outside(absolute('The file to write')));
    case 'qr':
      if (!rest.toLowerCase().endsWith('.pdf')) throw new StationFailure('bad-request', 'A QR sheet is written as a PDF: name a file ending in .pdf.');
      return QrSheetCarrier.open(outside(absolute('The QR sheet')), { maxPackageBytes: c.settings.qrMaxBytes });
    case 'usb':
      return RemovableVolumeCarrier.open(absolute('The drive (e.g. /dev/sdb)'), { stationDataDir: c.dataDir, allowFixedDrives: c.settings.allowFixedDrives });
    case 'hsm':
      if (c.pin === undefined) throw new StationFailure('bad-request', 'Delivering to an HSM token needs its PIN.');
      return HsmTokenCarrier.open({ module: c.settings.pkcs11Module, token: rest, pin: c.pin, ...(c.profile ? { profile: c.profile } : {}) });
    default:
      throw new StationFailure('bad-request', `"${kind}" is not a medium the station writes to (usb, hsm, qr or file).`);
  }
}
