// The contract every entropy driver meets, its provenance record and its typed errors.
// Drivers deliver raw samples only: health tests and conditioning live in src-main/station/entropy.
import type { DeviceIdentity } from '../device-identity';

export type SourceKind = 'os' | 'device-file' | 'serial' | 'usb' | 'hid';

/** What a pool segment records about where its entropy came from: the unit's identity (../device-identity.ts) and more. */
export interface SourceProvenance extends Pick<DeviceIdentity, 'path' | 'vendorId' | 'productId' | 'serial' | 'model'> {
  readonly kind: SourceKind;
  /** For people: "TrueRNG 04d8:f5fe serial 12345 on /dev/ttyACM0". */
  readonly label: string;
  /** The canonical spec string the source was opened from (see spec.ts). */
  readonly spec: string;
  readonly mode?: string;
}

export type EntropySourceErrorCode =
  | 'bad-spec' // the spec string or an option is malformed
  | 'not-found' // no such device, path or port
  | 'ambiguous' // several devices match a spec without a serial
  | 'permission' // the OS refused access
  | 'wrong-type' // the path is there but is not what the spec names (a directory; a file where a serial port is expected)
  | 'unsupported' // the bus or native module is not available on this machine (e.g. no USB bus)
  | 'unplugged' // the device vanished while open: the block in flight is invalid
  | 'stalled' // no byte arrived within the read timeout
  | 'exhausted' // a finite source (a plain file) reached its end
  | 'not-open' // read() before open() or after close()
  | 'io'; // any other I/O failure

export class EntropySourceError extends Error {
  override readonly name = 'EntropySourceError';
  constructor(
    readonly code: EntropySourceErrorCode,
    message: string,
    /** The spec of the source concerned, when known. Never contains sample data. */
    readonly spec?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface OpenReport {
  /** Things the operator should know that did not stop the source (e.g. DTR could not be set on a pty). */
  readonly warnings: readonly string[];
}

/**
 * A source of raw samples. Samples are `sampleBits` wide: 8 = one sample per byte; 1 = eight binary
 * samples per byte, most significant bit first.
 *
 * Contract: `read(maxBytes)` resolves with 1..maxBytes fresh bytes (a short read is normal), or rejects
 * with an EntropySourceError; it settles within the source's read timeout ('stalled'), and after a
 * hot-unplug it rejects with 'unplugged'. `open()` may be called again after `close()`; every open
 * is followed by a fresh SP 800-90B start-up test in the health monitor.
 */
export interface EntropySource {
  readonly provenance: SourceProvenance;
  readonly sampleBits: 1 | 8;
  /** The min-entropy per raw sample the station relies on (from the unit's SP 800-90B assessment). */
  readonly claimedMinEntropyPerSample: number;
  /** True for a DRBG (the OS CSPRNG): its output is computationally secure only. */
  readonly computational: boolean;
  open(): Promise<OpenReport>;
  read(maxBytes: number): Promise<Uint8Array>;
  /**
   * Optional, for fast sources: fills `target` (all of it) with fresh samples and resolves with the
   * count. Lets the caller reuse one buffer instead of a fresh allocation per read, whose page faults
   * cost more than the health tests at GB/s.
   */
  readInto?(target: Uint8Array): Promise<number>;
  close(): Promise<void>;
}

/** Maps a Node system error to a typed source error (errno names only: messages never carry data). */
export function sourceErrorFrom(err: unknown, spec: string, context: string): EntropySourceError {
  if (err instanceof EntropySourceError) return err;
  const e = err as { code?: unknown; errno?: unknown; message?: unknown; disconnected?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const text = `${context}: ${message}`;
  if (e?.disconnected === true) return new EntropySourceError('unplugged', text, spec, { cause: err });
  switch (code) {
    case 'ENOENT':
      return new EntropySourceError('not-found', text, spec, { cause: err });
    case 'EACCES':
    case 'EPERM':
    case 'EBUSY':
      return new EntropySourceError('permission', text, spec, { cause: err });
    case 'ENODEV':
    case 'ENXIO':
    case 'EIO':
    case 'EPIPE':
    case 'ESHUTDOWN':
      return new EntropySourceError('unplugged', text, spec, { cause: err });
    case 'EISDIR':
    case 'ENOTTY':
      return new EntropySourceError('wrong-type', text, spec, { cause: err });
    case 'EAGAIN':
    case 'ETIMEDOUT':
      return new EntropySourceError('stalled', text, spec, { cause: err });
  }
  if (/no such file|cannot open .*no such/i.test(message)) return new EntropySourceError('not-found', text, spec, { cause: err });
  if (/is a directory|inappropriate ioctl|not a typewriter/i.test(message)) return new EntropySourceError('wrong-type', text, spec, { cause: err });
  if (/permission denied|access denied|cannot lock port|resource busy/i.test(message)) return new EntropySourceError('permission', text, spec, { cause: err });
  if (/timed? ?out/i.test(message)) return new EntropySourceError('stalled', text, spec, { cause: err });
  if (/disconnect|no such device|device not configured|input\/output error/i.test(message)) return new EntropySourceError('unplugged', text, spec, { cause: err });
  return new EntropySourceError('io', text, spec, { cause: err });
}

/** Validates a read size at the door: a positive safe integer no larger than 64 MiB. */
export function checkReadSize(maxBytes: number, spec: string): void {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1 || maxBytes > 64 << 20) {
    throw new EntropySourceError('bad-spec', `read size must be an integer in 1..${64 << 20}, got ${String(maxBytes)}`, spec);
  }
}

/** A Uint8Array view of a Node Buffer, so sample bytes do not carry Buffer's toString into the core. */
export function plainBytes(b: Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
