// CDC-ACM serial RNGs through `serialport`: TrueRNG (streams while DTR is set), TrueRNGpro (modes by a
// baud-rate knock), OneRNG (`cmdO` starts, `cmdo` stops), or a raw port that just streams.
// A source bound by VID:PID[:serial] is looked up in the port list at every open, so a different device
// that appears at the same /dev path is never read in its place.
// The port is read on a worker thread (serial-reader.ts): read from the main thread, a 50 MB/s device was
// throttled to 31.9 MB/s whenever the station was busy with the samples it already had.
import { fstatSync } from 'node:fs';
import type { SerialPort as SerialPortClass } from 'serialport';
import { knownDevice, ONERNG_MODES, TRUERNGPRO_MODES, type OneRngMode, type TrueRngProMode } from './devices';
import type { SourceSpec } from './spec';
import { SerialReader, type ReaderEvent } from './serial-reader';
import { checkReadSize, EntropySourceError, plainBytes, sourceErrorFrom, type EntropySource, type OpenReport, type SourceProvenance } from './source';

export type SerialSpec = Extract<SourceSpec, { kind: 'serial' }>;

export interface SerialPortInfo {
  readonly path: string;
  readonly vendorId?: string | undefined;
  readonly productId?: string | undefined;
  readonly serialNumber?: string | undefined;
  readonly manufacturer?: string | undefined;
}
export type ListSerialPorts = () => Promise<readonly SerialPortInfo[]>;

export interface SerialSourceOptions {
  readonly spec: SerialSpec;
  readonly specText: string;
  readonly claimedMinEntropyPerSample: number;
  readonly sampleBits?: 1 | 8;
  /** A read with no byte for this long is 'stalled'. */
  readonly readTimeoutMs: number;
  /** Port enumeration; defaults to SerialPort.list(). Injected by tests. */
  readonly listPorts?: ListSerialPorts;
  /** Pause after the first knock of a TrueRNGpro mode change (ubld.it waits 500 ms). */
  readonly knockPauseMs?: number;
}

const DEFAULT_BAUD = 9600;

type SerialPortCtor = typeof SerialPortClass;

async function loadSerialPort(spec: string): Promise<SerialPortCtor> {
  try {
    const mod = await import('serialport');
    return mod.SerialPort;
  } catch (e) {
    throw new EntropySourceError('unsupported', `The serialport module cannot load here: ${(e as Error).message}`, spec, { cause: e });
  }
}

export async function listSerialPorts(): Promise<readonly SerialPortInfo[]> {
  const SerialPort = await loadSerialPort('serial');
  return SerialPort.list();
}

function openPort(SerialPort: SerialPortCtor, path: string, baudRate: number): Promise<SerialPortClass> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    port.open((err) => (err ? reject(err) : resolve(port)));
  });
}

function closePort(port: SerialPortClass): Promise<void> {
  return new Promise((resolve) => {
    if (!port.isOpen) return resolve();
    port.close(() => resolve());
  });
}

function writeAll(port: SerialPortClass, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    port.write(text, (err) => {
      if (err) return reject(err);
      port.drain((e) => (e ? reject(e) : resolve()));
    });
  });
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class SerialEntropySource implements EntropySource {
  readonly sampleBits: 1 | 8;
  readonly claimedMinEntropyPerSample: number;
  readonly computational = false;
  private prov: SourceProvenance;
  private port: SerialPortClass | undefined;
  /** Reads the port on its own thread; a bounded queue: it stops reading while the main thread is behind. */
  private reader: SerialReader | undefined;
  private queue: Uint8Array[] = [];
  private queued = 0;
  private closing = false;
  private failure: EntropySourceError | undefined;
  private waiter: { resolve: (b: Uint8Array) => void; reject: (e: Error) => void; maxBytes: number; timer: NodeJS.Timeout } | undefined;

  constructor(private readonly options: SerialSourceOptions) {
    this.sampleBits = options.sampleBits ?? 8;
    this.claimedMinEntropyPerSample = options.claimedMinEntropyPerSample;
    const s = options.spec;
    this.prov = this.describe(s.path, s.vendorId, s.productId, s.serial);
  }

  get provenance(): SourceProvenance {
    return this.prov;
  }

  async open(): Promise<OpenReport> {
    if (this.port) return { warnings: [] };
    const spec = this.options.specText;
    const warnings: string[] = [];
    const SerialPort = await loadSerialPort(spec);
    const path = await this.resolvePath(warnings);
    const { model, mode } = this.options.spec;
    let baud = DEFAULT_BAUD;
    try {
      if (model === 'truerngpro' && mode) {
        baud = TRUERNGPRO_MODES[mode as TrueRngProMode];
        await this.knock(SerialPort, path, baud);
      }
      this.port = await openPort(SerialPort, path, baud);
    } catch (e) {
      throw sourceErrorFrom(e, spec, `Cannot open serial port ${path}`);
    }
    const port = this.port;
    this.failure = undefined;
    this.closing = false;
    // Listeners ignore a port that is no longer current (closed by us, or replaced by a re-open).
    port.on('close', (err: (Error & { disconnected?: boolean }) | null) => {
      if (this.closing || this.port !== port) return;
      this.fail(new EntropySourceError('unplugged', `${this.prov.label} vanished (${err?.disconnected ? 'disconnected' : 'port closed'}).`, spec));
    });
    port.on('error', (err: Error) => {
      if (this.port === port) this.fail(sourceErrorFrom(err, spec, `${this.prov.label} failed`));
    });
    if (model === 'truerng' || model === 'truerngpro') {
      // TrueRNG streams only while DTR is set. A pty (the test rig) refuses the ioctl: warn, go on.
      await new Promise<void>((resolve) =>
        port.set({ dtr: true }, (err) => {
          if (err) warnings.push(`Could not set DTR on ${path} (${err.message}); a real TrueRNG will not stream without it.`);
          resolve();
        }),
      );
    }
    await new Promise<void>((resolve) => port.flush(() => resolve()));
    if (model === 'onerng') {
      try {
        await writeAll(port, `${ONERNG_MODES[(mode ?? 'avalanche-whitened') as OneRngMode]}\n`);
        await writeAll(port, 'cmdO\n');
      } catch (e) {
        await this.close();
        throw sourceErrorFrom(e, spec, `Cannot start OneRNG on ${path}`);
      }
    }
    // serialport keeps the port (its lock, termios, DTR, writes); the reader thread reads it.
    let rdev: number | undefined;
    try {
      const fd = (port.port as unknown as { fd?: unknown } | undefined)?.fd;
      if (typeof fd === 'number') rdev = fstatSync(fd).rdev;
    } catch {
      // The reader opens the path itself; without a device number it cannot compare, and goes on.
    }
    try {
      this.reader = SerialReader.start(path, rdev, (e) => {
        if (this.port === port) this.onReaderEvent(e);
      });
      await this.reader.ready;
      if (this.port !== port) throw new EntropySourceError('not-open', `${this.prov.label} was closed while opening.`, spec);
    } catch (e) {
      await this.close();
      throw sourceErrorFrom(e, spec, `Cannot read serial port ${path}`);
    }
    return { warnings };
  }

  read(maxBytes: number): Promise<Uint8Array> {
    checkReadSize(maxBytes, this.options.specText);
    if (this.failure) return Promise.reject(this.failure);
    if (!this.port) return Promise.reject(new EntropySourceError('not-open', `${this.prov.label} is not open.`, this.options.specText));
    if (this.waiter) return Promise.reject(new EntropySourceError('io', 'Only one read at a time.', this.options.specText));
    if (this.queued > 0) return Promise.resolve(this.take(maxBytes));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new EntropySourceError('stalled', `${this.prov.label} sent nothing for ${this.options.readTimeoutMs} ms.`, this.options.specText));
      }, this.options.readTimeoutMs);
      this.waiter = { resolve, reject, maxBytes, timer };
    });
  }

  async close(): Promise<void> {
    const port = this.port;
    const reader = this.reader;
    this.port = undefined;
    this.closing = true;
    if (this.waiter) {
      clearTimeout(this.waiter.timer);
      this.waiter.reject(new EntropySourceError('not-open', `${this.prov.label} was closed.`, this.options.specText));
      this.waiter = undefined;
    }
    this.drop();
    this.reader = undefined;
    await reader?.stop();
    if (!port) return;
    if (this.options.spec.model === 'onerng' && port.isOpen && !this.failure) {
      await writeAll(port, 'cmdo\n').catch(() => undefined);
    }
    await closePort(port);
  }

  private async resolvePath(warnings: string[]): Promise<string> {
    const s = this.options.spec;
    const list = this.options.listPorts ?? listSerialPorts;
    if (s.path) {
      // Path-bound: the port list only adds the USB identity to the provenance, when it has one.
      try {
        const info = (await list()).find((p) => p.path === s.path);
        if (info) this.prov = this.describe(s.path, info.vendorId?.toLowerCase(), info.productId?.toLowerCase(), info.serialNumber);
      } catch (e) {
        warnings.push(`Serial port list unavailable: ${(e as Error).message}`);
      }
      return s.path;
    }
    let ports: readonly SerialPortInfo[];
    try {
      ports = await list();
    } catch (e) {
      throw sourceErrorFrom(e, this.options.specText, 'Cannot list serial ports');
    }
    const matches = ports.filter(
      (p) => p.vendorId?.toLowerCase() === s.vendorId && p.productId?.toLowerCase() === s.productId && (s.serial === undefined || p.serialNumber === s.serial),
    );
    const id = `${s.vendorId}:${s.productId}${s.serial ? ` serial ${s.serial}` : ''}`;
    if (matches.length === 0) throw new EntropySourceError('not-found', `No serial device ${id} is present.`, this.options.specText);
    if (matches.length > 1) {
      throw new EntropySourceError('ambiguous', `${matches.length} serial devices match ${id} (${matches.map((m) => m.path).join(', ')}); name the serial.`, this.options.specText);
    }
    const m = matches[0] as SerialPortInfo;
    this.prov = this.describe(m.path, s.vendorId, s.productId, m.serialNumber);
    return m.path;
  }

  private async knock(SerialPort: SerialPortCtor, path: string, modeBaud: number): Promise<void> {
    const bauds = [110, 300, 110, modeBaud];
    for (let i = 0; i < bauds.length; i++) {
      const p = await openPort(SerialPort, path, bauds[i] as number);
      if (i === 0) await delay(this.options.knockPauseMs ?? 500);
      await closePort(p);
    }
  }

  private describe(path: string | undefined, vendorId: string | undefined, productId: string | undefined, serial: string | undefined): SourceProvenance {
    const s = this.options.spec;
    const name = knownDevice(vendorId, productId)?.name ?? (s.model === 'raw' ? 'Serial RNG' : s.model);
    const parts = [name];
    if (vendorId && productId) parts.push(`${vendorId}:${productId}`);
    if (serial) parts.push(`serial ${serial}`);
    if (path) parts.push(`on ${path}`);
    if (s.mode) parts.push(`(${s.mode})`);
    return {
      kind: 'serial',
      label: parts.join(' '),
      spec: this.options.specText,
      ...(path ? { path } : {}),
      ...(vendorId ? { vendorId } : {}),
      ...(productId ? { productId } : {}),
      ...(serial ? { serial } : {}),
      model: s.model,
      ...(s.mode ? { mode: s.mode } : {}),
    };
  }

  private onReaderEvent(e: ReaderEvent): void {
    const spec = this.options.specText;
    if (e.type === 'data') this.onData(e.bytes);
    else if (e.type === 'gone') this.fail(new EntropySourceError('unplugged', `${this.prov.label} vanished (disconnected).`, spec));
    else this.fail(sourceErrorFrom(e.error, spec, `${this.prov.label} failed`));
  }

  private onData(chunk: Uint8Array): void {
    if (this.closing || this.failure) {
      chunk.fill(0);
      this.reader?.dropped(chunk.length);
      return;
    }
    this.queue.push(chunk);
    this.queued += chunk.length;
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      clearTimeout(w.timer);
      w.resolve(this.take(w.maxBytes));
    }
  }

  private take(maxBytes: number): Uint8Array {
    const n = Math.min(maxBytes, this.queued);
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const head = this.queue[0] as Uint8Array;
      const k = Math.min(head.length, n - off);
      out.set(head.subarray(0, k), off);
      head.fill(0, 0, k);
      off += k;
      if (k === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(k);
    }
    this.queued -= n;
    this.reader?.taken(n);
    return plainBytes(out);
  }

  /** Hot-unplug or a port error: queued bytes are discarded, reading stops and the pending read rejects. */
  private fail(err: EntropySourceError): void {
    if (this.failure) return;
    this.failure = err;
    this.drop();
    void this.reader?.stop();
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      clearTimeout(w.timer);
      w.reject(err);
    }
  }

  private drop(): void {
    for (const b of this.queue) b.fill(0);
    this.reader?.dropped(this.queued);
    this.queue = [];
    this.queued = 0;
  }
}
