// One identity per unit (hardware/device-identity.ts): a device node named through a symlink or a
// `..` path is the same unit; USB ids and a serial name a unit wherever it is plugged in.
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { identifyPath, identityKey } from '../../hardware/device-identity';
import { tempDir } from '../support/station';

describe('device identity', () => {
  it('resolves links and dot-dot paths to one device number', () => {
    const link = join(tempDir('dske-ident-'), 'null-link');
    symlinkSync('/dev/null', link);
    const direct = identifyPath('/dev/null', 'entropy')!;
    expect(direct).toEqual({ deviceClass: 'entropy', path: '/dev/null', deviceNumber: '1:3' });
    expect(identityKey(identifyPath(link, 'entropy')!)).toBe(identityKey(direct));
    expect(identityKey(identifyPath('/dev/../dev/./null', 'entropy')!)).toBe(identityKey(direct));
    expect(identifyPath('/dev/no-such-device', 'entropy')).toBeUndefined();
  });

  it('names a USB unit by its ids and serial, and keeps classes apart', () => {
    const unit = { deviceClass: 'entropy' as const, vendorId: '04d8', productId: 'f5fe', serial: 'ABC123', path: '/dev/ttyACM0' };
    expect(identityKey(unit)).toBe('entropy:usb:04d8:f5fe:ABC123');
    expect(identityKey({ ...unit, path: '/dev/ttyACM1', deviceNumber: '166:1' })).toBe(identityKey(unit));
    expect(identityKey({ ...unit, deviceClass: 'drive' })).not.toBe(identityKey(unit));
  });
});
