// Source spec strings, as the operator writes them in the configuration:
//
//   os                                       the OS CSPRNG (computational)
//   hwrng                                    /dev/hwrng
//   file:/abs/path                           any readable device node or file
//   serial:/dev/ttyACM0[:MODEL[:MODE]]       a CDC-ACM port by path (or COMn)
//   serial:VID:PID[:SERIAL|*[:MODEL[:MODE]]] a CDC-ACM device bound by USB identity, found at open
//   usb:VID:PID[:SERIAL]                     a vendor-bulk device (ChaosKey 1d50:60c6, Quantis 0aba:0102)
//
// MODEL is truerng | truerngpro | onerng | raw (default: from VID:PID, else raw). MODE is a TrueRNGpro
// mode (normal | rng1 | rng2 | unwhitened) or a OneRNG noise source (see devices.ts).
import { knownDevice, ONERNG_MODES, TRUERNGPRO_MODES, type SerialModel, type UsbBulkModel } from './devices';
import { EntropySourceError } from './source';

export type SourceSpec =
  | { readonly kind: 'os' }
  | { readonly kind: 'device-file'; readonly path: string }
  | {
      readonly kind: 'serial';
      readonly path?: string;
      readonly vendorId?: string;
      readonly productId?: string;
      readonly serial?: string;
      readonly model: SerialModel;
      readonly mode?: string;
    }
  | { readonly kind: 'usb'; readonly vendorId: string; readonly productId: string; readonly serial?: string; readonly model: UsbBulkModel };

const MAX_SPEC = 512;
const HEX4 = /^[0-9a-fA-F]{4}$/;
const SERIAL_NO = /^[\x21-\x7e]{1,126}$/;
const COM_PORT = /^COM[1-9][0-9]{0,2}$/i;
const SERIAL_MODELS: readonly SerialModel[] = ['truerng', 'truerngpro', 'onerng', 'raw'];

function bad(text: string, why: string): EntropySourceError {
  return new EntropySourceError('bad-spec', `Bad entropy source spec ${JSON.stringify(text.slice(0, 80))}: ${why}.`);
}

function checkPath(text: string, path: string, allowColon: boolean): string {
  if (!path.startsWith('/')) throw bad(text, 'the path must be absolute');
  if (path.length > 4096) throw bad(text, 'the path is too long');
  if (/[\x00-\x1f\x7f]/.test(path)) throw bad(text, 'the path holds control characters');
  if (!allowColon && path.includes(':')) throw bad(text, 'a serial port path cannot contain ":"');
  return path;
}

function checkSerialNo(text: string, s: string): string {
  if (!SERIAL_NO.test(s) || s.includes(':') || s.includes('*')) throw bad(text, 'a device serial is 1..126 printable ASCII characters without ":" or "*"');
  return s;
}

function checkMode(text: string, model: SerialModel, mode: string | undefined): string | undefined {
  if (mode === undefined) return model === 'onerng' ? 'avalanche-whitened' : undefined;
  if (model === 'truerngpro' && Object.hasOwn(TRUERNGPRO_MODES, mode)) return mode;
  if (model === 'onerng' && Object.hasOwn(ONERNG_MODES, mode)) return mode;
  const allowed = model === 'truerngpro' ? Object.keys(TRUERNGPRO_MODES) : model === 'onerng' ? Object.keys(ONERNG_MODES) : [];
  throw bad(text, allowed.length ? `mode must be one of ${allowed.join(', ')}` : `model ${model} has no modes`);
}

function parseModel(text: string, token: string | undefined, fallback: SerialModel): SerialModel {
  if (token === undefined) return fallback;
  const m = SERIAL_MODELS.find((x) => x === token);
  if (!m) throw bad(text, `model must be one of ${SERIAL_MODELS.join(', ')}`);
  return m;
}

/** Parses a spec string; anything malformed gets EntropySourceError('bad-spec'). */
export function parseSourceSpec(text: string): SourceSpec {
  if (typeof text !== 'string') throw new EntropySourceError('bad-spec', 'An entropy source spec must be a string.');
  if (text.length === 0 || text.length > MAX_SPEC) throw bad(text, `length must be 1..${MAX_SPEC}`);
  if (text === 'os') return { kind: 'os' };
  if (text === 'hwrng') return { kind: 'device-file', path: '/dev/hwrng' };
  const colon = text.indexOf(':');
  const scheme = colon < 0 ? text : text.slice(0, colon);
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  switch (scheme) {
    case 'file':
      return { kind: 'device-file', path: checkPath(text, rest, true) };
    case 'serial':
      return parseSerial(text, rest.split(':'));
    case 'usb':
      return parseUsb(text, rest.split(':'));
    default:
      throw bad(text, 'expected os, hwrng, file:PATH, serial:… or usb:VID:PID[:SERIAL]');
  }
}

function parseSerial(text: string, parts: string[]): SourceSpec {
  const first = parts[0] ?? '';
  if (first.startsWith('/') || COM_PORT.test(first)) {
    if (parts.length > 3) throw bad(text, 'expected serial:PATH[:MODEL[:MODE]]');
    const path = COM_PORT.test(first) ? first.toUpperCase() : checkPath(text, first, false);
    const model = parseModel(text, parts[1], 'raw');
    const mode = checkMode(text, model, parts[2]);
    return { kind: 'serial', path, model, ...(mode ? { mode } : {}) };
  }
  if (parts.length < 2 || parts.length > 5 || !HEX4.test(parts[0] ?? '') || !HEX4.test(parts[1] ?? '')) {
    throw bad(text, 'expected serial:PATH[:MODEL[:MODE]] or serial:VID:PID[:SERIAL|*[:MODEL[:MODE]]] with 4-digit hex VID and PID');
  }
  const vendorId = (parts[0] as string).toLowerCase();
  const productId = (parts[1] as string).toLowerCase();
  const known = knownDevice(vendorId, productId);
  if (known && known.transport !== 'serial') throw bad(text, `${known.name} is a vendor-bulk device: use usb:${vendorId}:${productId}`);
  const serialToken = parts[2];
  const serial = serialToken === undefined || serialToken === '*' ? undefined : checkSerialNo(text, serialToken);
  const model = parseModel(text, parts[3], known ? (known.model as SerialModel) : 'raw');
  const mode = checkMode(text, model, parts[4]);
  return { kind: 'serial', vendorId, productId, ...(serial ? { serial } : {}), model, ...(mode ? { mode } : {}) };
}

function parseUsb(text: string, parts: string[]): SourceSpec {
  if (parts.length < 2 || parts.length > 3 || !HEX4.test(parts[0] ?? '') || !HEX4.test(parts[1] ?? '')) {
    throw bad(text, 'expected usb:VID:PID[:SERIAL] with 4-digit hex VID and PID');
  }
  const vendorId = (parts[0] as string).toLowerCase();
  const productId = (parts[1] as string).toLowerCase();
  const known = knownDevice(vendorId, productId);
  if (!known || known.transport !== 'usb-bulk') {
    throw bad(text, 'only the vendor-bulk devices ChaosKey (1d50:60c6) and Quantis (0aba:0102) are read over usb:; serial devices use serial:');
  }
  const serial = parts[2] === undefined ? undefined : checkSerialNo(text, parts[2]);
  return { kind: 'usb', vendorId, productId, ...(serial ? { serial } : {}), model: known.model as UsbBulkModel };
}

/** The canonical string of a spec: parseSourceSpec(formatSourceSpec(s)) deep-equals s. */
export function formatSourceSpec(spec: SourceSpec): string {
  switch (spec.kind) {
    case 'os':
      return 'os';
    case 'device-file':
      return spec.path === '/dev/hwrng' ? 'hwrng' : `file:${spec.path}`;
    case 'serial': {
      const where = spec.path ?? `${spec.vendorId}:${spec.productId}:${spec.serial ?? '*'}`;
      return `serial:${where}:${spec.model}${spec.mode ? `:${spec.mode}` : ''}`;
    }
    case 'usb':
      return `usb:${spec.vendorId}:${spec.productId}${spec.serial ? `:${spec.serial}` : ''}`;
  }
}
