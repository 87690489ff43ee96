// Source spec strings: what the operator writes, what the station understands, what it refuses.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntropySourceError, formatSourceSpec, parseSourceSpec } from '../../hardware/entropy';

describe('source spec', () => {
  it('parses each form into a typed spec', () => {
    expect(parseSourceSpec('os')).toEqual({ kind: 'os' });
    expect(parseSourceSpec('hwrng')).toEqual({ kind: 'device-file', path: '/dev/hwrng' });
    expect(parseSourceSpec('file:/dev/chaoskey0')).toEqual({ kind: 'device-file', path: '/dev/chaoskey0' });
    expect(parseSourceSpec('serial:/dev/ttyACM0:truerng')).toEqual({ kind: 'serial', path: '/dev/ttyACM0', model: 'truerng' });
    expect(parseSourceSpec('serial:/dev/ttyACM1:truerngpro:unwhitened')).toEqual({ kind: 'serial', path: '/dev/ttyACM1', model: 'truerngpro', mode: 'unwhitened' });
    expect(parseSourceSpec('serial:/dev/ttyACM2:onerng')).toEqual({ kind: 'serial', path: '/dev/ttyACM2', model: 'onerng', mode: 'avalanche-whitened' });
    expect(parseSourceSpec('serial:com3')).toEqual({ kind: 'serial', path: 'COM3', model: 'raw' });
    expect(parseSourceSpec('usb:1D50:60C6:ABC123')).toEqual({ kind: 'usb', vendorId: '1d50', productId: '60c6', serial: 'ABC123', model: 'chaoskey' });
    expect(parseSourceSpec('usb:0aba:0102')).toEqual({ kind: 'usb', vendorId: '0aba', productId: '0102', model: 'quantis' });
  });

  it('binds a serial device by VID:PID and serial, taking the model from the VID:PID', () => {
    expect(parseSourceSpec('serial:04d8:f5fe:TR1234')).toEqual({ kind: 'serial', vendorId: '04d8', productId: 'f5fe', serial: 'TR1234', model: 'truerng' });
    expect(parseSourceSpec('serial:1d50:6086:*:onerng:avalanche')).toEqual({ kind: 'serial', vendorId: '1d50', productId: '6086', model: 'onerng', mode: 'avalanche' });
    expect(parseSourceSpec('serial:16d0:0aa0')).toMatchObject({ model: 'truerngpro' });
  });

  it('formats canonically, and parsing the canonical form gives the same spec', () => {
    for (const s of ['os', 'hwrng', 'file:/tmp/x:y', 'serial:/dev/ttyACM0:raw', 'serial:04d8:f5fe:*:truerng', 'serial:04d8:ebb5:S1:truerngpro:rng1', 'usb:1d50:60c6:X']) {
      expect(formatSourceSpec(parseSourceSpec(s))).toBe(s);
    }
    expect(formatSourceSpec(parseSourceSpec('serial:04d8:f5fe'))).toBe('serial:04d8:f5fe:*:truerng');
  });

  it.each([
    ['', 'empty'],
    ['OS', 'unknown scheme'],
    ['file:relative/path', 'relative path'],
    ['serial:/dev/ttyACM0:truerng:normal', 'a mode for a model without modes'],
    ['serial:/dev/ttyACM0:onerng:bogus', 'an unknown OneRNG mode'],
    ['serial:/dev/ttyACM0:geiger', 'an unknown model'],
    ['serial:4d8:f5fe', 'a short VID'],
    ['serial:1d50:60c6', 'a vendor-bulk device on serial:'],
    ['usb:04d8:f5fe', 'a serial device on usb:'],
    ['usb:1234:5678', 'an unknown vendor-bulk device'],
    ['usb:1d50:60c6:bad serial', 'a serial with a space'],
    ['serial:/dev/tty\u0000', 'a control character'],
    ['x'.repeat(600), 'too long'],
  ])('refuses %j (%s) with a bad-spec error', (text) => {
    expect(() => parseSourceSpec(text)).toThrow(EntropySourceError);
    try {
      parseSourceSpec(text);
    } catch (e) {
      expect((e as EntropySourceError).code).toBe('bad-spec');
    }
  });

  it('never throws anything but a bad-spec error on arbitrary input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string().map((s) => `serial:${s}`), fc.string().map((s) => `usb:${s}`)), (text) => {
        try {
          const spec = parseSourceSpec(text);
          expect(parseSourceSpec(formatSourceSpec(spec))).toEqual(spec);
        } catch (e) {
          expect(e).toBeInstanceOf(EntropySourceError);
          expect((e as EntropySourceError).code).toBe('bad-spec');
        }
      }),
      { numRuns: 500 },
    );
  });
});
