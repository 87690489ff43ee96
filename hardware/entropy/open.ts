// Turns a spec (string or parsed) into a driver, not yet opened.
import { defaultClaimedEntropy } from './devices';
import { DeviceFileEntropySource } from './device-file';
import { OsEntropySource } from './os';
import { SerialEntropySource, type ListSerialPorts } from './serial';
import { EntropySourceError, type EntropySource } from './source';
import { formatSourceSpec, parseSourceSpec, type SourceSpec } from './spec';
import { UsbBulkEntropySource, type UsbLike } from './usb-bulk';

export interface CreateSourceOptions {
  /** Min-entropy per raw sample from the unit's SP 800-90B assessment; defaults per model (devices.ts). */
  readonly claimedMinEntropyPerSample?: number;
  /** 1 for a device that streams packed binary samples (MSB first); default 8. Not for os or usb. */
  readonly sampleBits?: 1 | 8;
  /** A read with no byte for this long fails as 'stalled'. Default 2000 ms. */
  readonly readTimeoutMs?: number;
  /** Overrides the computational label of a device file (the kernel DRBG nodes are computational). */
  readonly computational?: boolean;
  /** Test seams: serial port enumeration, the WebUSB entry point, the TrueRNGpro knock pause. */
  readonly listSerialPorts?: ListSerialPorts;
  readonly usb?: UsbLike;
  readonly knockPauseMs?: number;
}

export const DEFAULT_READ_TIMEOUT_MS = 2000;

export function createSource(spec: string | SourceSpec, options: CreateSourceOptions = {}): EntropySource {
  const parsed = typeof spec === 'string' ? parseSourceSpec(spec) : spec;
  const specText = formatSourceSpec(parsed);
  const sampleBits = options.sampleBits ?? 8;
  if (sampleBits !== 1 && sampleBits !== 8) throw new EntropySourceError('bad-spec', 'sampleBits must be 1 or 8.', specText);
  if (sampleBits === 1 && (parsed.kind === 'os' || parsed.kind === 'usb')) throw new EntropySourceError('bad-spec', `${parsed.kind} sources deliver byte samples.`, specText);
  const readTimeoutMs = options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
  if (!Number.isFinite(readTimeoutMs) || readTimeoutMs < 1 || readTimeoutMs > 600_000) throw new EntropySourceError('bad-spec', 'readTimeoutMs must be 1..600000.', specText);
  const fallbackH =
    parsed.kind === 'os' ? 8 : parsed.kind === 'device-file' ? (options.computational ?? /^\/dev\/u?random$/.test(parsed.path) ? 8 : defaultClaimedEntropy('device-file')) : defaultClaimedEntropy(parsed.model, parsed.kind === 'serial' ? parsed.mode : undefined);
  const h = options.claimedMinEntropyPerSample ?? (sampleBits === 1 ? Math.min(1, fallbackH / 8) : fallbackH);
  if (!Number.isFinite(h) || h <= 0 || h > sampleBits) {
    throw new EntropySourceError('bad-spec', `claimed min-entropy per sample must be in (0, ${sampleBits}], got ${String(h)}.`, specText);
  }
  switch (parsed.kind) {
    case 'os':
      return new OsEntropySource(h);
    case 'device-file':
      return new DeviceFileEntropySource({ spec: specText, path: parsed.path, claimedMinEntropyPerSample: h, sampleBits, readTimeoutMs, ...(options.computational !== undefined ? { computational: options.computational } : {}) });
    case 'serial':
      return new SerialEntropySource({
        spec: parsed,
        specText,
        claimedMinEntropyPerSample: h,
        sampleBits,
        readTimeoutMs,
        ...(options.listSerialPorts ? { listPorts: options.listSerialPorts } : {}),
        ...(options.knockPauseMs !== undefined ? { knockPauseMs: options.knockPauseMs } : {}),
      });
    case 'usb':
      return new UsbBulkEntropySource({ spec: parsed, specText, claimedMinEntropyPerSample: h, readTimeoutMs, ...(options.usb ? { usb: options.usb } : {}) });
  }
}
