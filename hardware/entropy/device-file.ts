// A readable device node or file: /dev/hwrng, /dev/chaoskey0, or a recorded sample file.
// /dev/urandom and /dev/random are the kernel's DRBG, so they are labelled computational.
import { open as fsOpen, type FileHandle } from 'node:fs/promises';
import { checkReadSize, EntropySourceError, plainBytes, sourceErrorFrom, type EntropySource, type OpenReport, type SourceProvenance } from './source';

const KERNEL_DRBG = new Set(['/dev/urandom', '/dev/random']);

export interface DeviceFileOptions {
  readonly spec: string;
  readonly path: string;
  readonly claimedMinEntropyPerSample: number;
  readonly sampleBits?: 1 | 8;
  readonly computational?: boolean;
  /** A read that yields nothing for this long is 'stalled'. */
  readonly readTimeoutMs: number;
}

export class DeviceFileEntropySource implements EntropySource {
  readonly provenance: SourceProvenance;
  readonly sampleBits: 1 | 8;
  readonly claimedMinEntropyPerSample: number;
  readonly computational: boolean;
  private handle: FileHandle | undefined;
  private readonly timeoutMs: number;

  constructor(options: DeviceFileOptions) {
    this.sampleBits = options.sampleBits ?? 8;
    this.claimedMinEntropyPerSample = options.claimedMinEntropyPerSample;
    this.computational = options.computational ?? KERNEL_DRBG.has(options.path);
    this.timeoutMs = options.readTimeoutMs;
    const name = options.path === '/dev/hwrng' ? 'Kernel hwrng' : 'Device file';
    this.provenance = { kind: 'device-file', label: `${name} ${options.path}`, spec: options.spec, path: options.path };
  }

  async open(): Promise<OpenReport> {
    if (this.handle) return { warnings: [] };
    let handle: FileHandle;
    try {
      handle = await fsOpen(this.provenance.path as string, 'r');
    } catch (e) {
      throw sourceErrorFrom(e, this.provenance.spec, `Cannot open ${this.provenance.path}`);
    }
    // A directory opens for reading on Linux and fails only at the first read: refuse it here, as a
    // source that cannot be opened rather than one that failed while in use.
    const isDirectory = await handle.stat().then((st) => st.isDirectory(), () => false);
    if (isDirectory) {
      await handle.close().catch(() => undefined);
      throw new EntropySourceError('wrong-type', `${this.provenance.path} is a directory.`, this.provenance.spec);
    }
    this.handle = handle;
    return { warnings: [] };
  }

  async read(maxBytes: number): Promise<Uint8Array> {
    checkReadSize(maxBytes, this.provenance.spec);
    const handle = this.handle;
    if (!handle) throw new EntropySourceError('not-open', `${this.provenance.label} is not open.`, this.provenance.spec);
    const buf = Buffer.allocUnsafeSlow(maxBytes);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new EntropySourceError('stalled', `${this.provenance.label} gave no data within ${this.timeoutMs} ms.`, this.provenance.spec)), this.timeoutMs);
    });
    try {
      const { bytesRead } = await Promise.race([handle.read(buf, 0, maxBytes, null), deadline]);
      if (bytesRead === 0) throw new EntropySourceError('exhausted', `${this.provenance.label} reached its end.`, this.provenance.spec);
      return plainBytes(buf.subarray(0, bytesRead));
    } catch (e) {
      const err = sourceErrorFrom(e, this.provenance.spec, `Reading ${this.provenance.path}`);
      // A blocked read keeps its thread-pool slot until the kernel returns; the handle is abandoned so
      // that nothing it yields later is mistaken for fresh data.
      if (err.code === 'stalled' || err.code === 'unplugged') this.abandon();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    if (h) await h.close().catch(() => undefined);
  }

  private abandon(): void {
    const h = this.handle;
    this.handle = undefined;
    if (h) void h.close().catch(() => undefined);
  }
}
