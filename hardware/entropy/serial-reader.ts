// Reads a serial port off the main thread. A tty hands out at most 4 KiB per read (the line discipline's
// buffer) and holds little more than that: at 50 MB/s that is 80 µs of samples. Read from the main
// thread (serialport: one read in flight, each a round trip through the thread pool, issued only when
// the main thread is free), every millisecond the station spends on the health tests, conditioning or
// the ledger is a millisecond in which nobody reads, the tty fills and the device is throttled (a
// device with a small buffer of its own would drop samples). bench/README.md, "The hardware path",
// has the measurement. Here a worker thread reads the port as a tty stream (epoll and read(2) on its own
// event loop), gathers the reads into 64 KiB chunks and transfers them to the main thread.
//
// Backpressure never drops a sample: past HIGH_WATER bytes handed over and not yet taken, the worker
// stops reading and the tty (then the device, by flow control) holds the rest; it reads again once the
// main thread has taken the queue below LOW_WATER. The worker is plain JavaScript run with `eval` (as
// the sealers in src-node/psrd-store/chunk-sealer.ts), so it needs no bundler entry or loader in any
// host: Electron main, plain Node, the test runner.
//
// The port itself (its lock, termios, DTR, the flush of stale input, OneRNG commands) stays with the
// serialport object on the main thread; the worker opens the same tty for reading, and checks that it is
// the same device (st_rdev) as the one locked.
import { Worker } from 'node:worker_threads';

/**
 * Bytes handed to the main thread and not yet taken, above which the worker stops reading: 320 ms at
 * 50 MB/s, so that the main thread's longest pauses (a ledger append's fsyncs, a collection, the start of
 * a job: 50–150 ms measured on a loaded machine) do not reach the device.
 */
export const READER_HIGH_WATER = 16 << 20;
/** ...and below which it reads again. */
export const READER_LOW_WATER = 12 << 20;
/** A chunk is handed over when this full, or 1 ms after its first byte. */
const CHUNK = 64 << 10;

const WORKER_SOURCE = `
(function main() {
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, fstatSync, closeSync, constants } = require('node:fs');
const tty = require('node:tty');
const { path, rdev, chunkBytes, high, low } = workerData;
// [0] bytes handed over and not yet taken (the main thread subtracts), [1] 1 while paused for backpressure.
const shared = new Int32Array(workerData.shared);
let fd = -1;
try {
  fd = openSync(path, constants.O_RDONLY | constants.O_NOCTTY | constants.O_NONBLOCK | constants.O_CLOEXEC);
  if (rdev !== undefined && fstatSync(fd).rdev !== rdev) {
    closeSync(fd);
    throw Object.assign(new Error(path + ' is no longer the device that was opened'), { code: 'ENODEV' });
  }
} catch (e) {
  parentPort.postMessage({ type: 'error', code: e && e.code, message: String(e && e.message) });
  parentPort.close();
  return;
}
const stream = new tty.ReadStream(fd);
let chunk = new Uint8Array(chunkBytes);
let filled = 0;
let timer;
let stopped = false;
let pauses = 0;

function flush() {
  if (timer) clearTimeout(timer);
  timer = undefined;
  if (filled === 0 || stopped) return;
  const buf = chunk.buffer;
  const length = filled;
  chunk = new Uint8Array(chunkBytes);
  filled = 0;
  const queued = Atomics.add(shared, 0, length) + length;
  parentPort.postMessage({ type: 'data', buf, length }, [buf]);
  if (queued > high) {
    // Stop reading; whichever side first sees the queue below low clears the flag and resumes reading.
    Atomics.store(shared, 1, 1);
    stream.pause();
    pauses++;
    if (Atomics.load(shared, 0) < low && Atomics.compareExchange(shared, 1, 1, 0) === 1) stream.resume();
  }
}

stream.on('data', (b) => {
  let off = 0;
  while (off < b.length) {
    const k = Math.min(b.length - off, chunkBytes - filled);
    chunk.set(b.subarray(off, off + k), filled);
    filled += k;
    off += k;
    if (filled === chunkBytes) flush();
  }
  b.fill(0);
  if (filled > 0 && !timer) timer = setTimeout(flush, 1);
});
// A tty whose device went away reads end-of-file (a hung-up pty) or fails (EIO, ENODEV).
stream.on('end', () => {
  flush();
  if (!stopped) parentPort.postMessage({ type: 'gone', pauses });
});
stream.on('error', (e) => {
  flush();
  if (!stopped) parentPort.postMessage({ type: 'error', code: e && e.code, message: String(e && e.message), pauses });
});
parentPort.on('message', (m) => {
  if (m === 'resume') stream.resume();
  else if (m === 'stop') {
    stopped = true;
    if (timer) clearTimeout(timer);
    chunk.fill(0);
    stream.destroy();
    parentPort.close();
  }
});
parentPort.postMessage({ type: 'ready' });
})();
`;

export type ReaderEvent =
  | { readonly type: 'data'; readonly bytes: Uint8Array }
  /** The tty read end-of-file: the device vanished (a hung-up pty, a USB serial device unplugged). */
  | { readonly type: 'gone' }
  | { readonly type: 'error'; readonly error: Error & { code?: string } };

/** A port's reader thread. Events arrive in order: data, then at most one of gone or error. */
export class SerialReader {
  /** Settles once the worker has the tty open (or could not open it). */
  readonly ready: Promise<void>;
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  /** [0] bytes handed over and not yet taken, [1] 1 while the worker has stopped reading for backpressure. */
  private readonly shared = new Int32Array(new SharedArrayBuffer(8));
  private stopped = false;

  /**
   * Starts reading `path` (already opened, locked and configured by serialport; `rdev` is that fd's
   * device number, checked by the worker against its own). Events come only after `ready` resolved.
   */
  static start(path: string, rdev: number | undefined, onEvent: (e: ReaderEvent) => void): SerialReader {
    return new SerialReader(path, rdev, onEvent);
  }

  private constructor(path: string, rdev: number | undefined, onEvent: (e: ReaderEvent) => void) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, rdev, chunkBytes: CHUNK, high: READER_HIGH_WATER, low: READER_LOW_WATER, shared: this.shared.buffer },
      resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 32 },
    });
    const worker = this.worker;
    this.exited = new Promise<void>((r) => worker.once('exit', () => r()));
    let ready = false;
    this.ready = new Promise<void>((resolve, reject) => {
      const failed = (error: Error): void => {
        if (this.stopped) return;
        if (ready) onEvent({ type: 'error', error });
        else reject(error);
      };
      worker.on('message', (m: { type: string; buf?: ArrayBuffer; length?: number; code?: string; message?: string }) => {
        if (this.stopped) return;
        if (m.type === 'ready') {
          ready = true;
          resolve();
        } else if (m.type === 'data') onEvent({ type: 'data', bytes: new Uint8Array(m.buf as ArrayBuffer, 0, m.length) });
        else if (m.type === 'gone') onEvent({ type: 'gone' });
        else if (m.type === 'error') failed(Object.assign(new Error(m.message ?? 'read failed'), m.code ? { code: m.code } : {}));
      });
      worker.once('error', failed);
      worker.once('exit', () => failed(new Error('the serial reader thread stopped')));
    });
    this.ready.catch(() => undefined);
  }

  /** The main thread has taken `n` bytes of what was handed over: the worker may read again. */
  taken(n: number): void {
    const left = Atomics.sub(this.shared, 0, n) - n;
    if (left < READER_LOW_WATER && Atomics.compareExchange(this.shared, 1, 1, 0) === 1) this.worker.postMessage('resume');
  }

  /** Bytes handed over and dropped unread (a failure, a close): they no longer count against the queue. */
  dropped(n: number): void {
    this.taken(n);
  }

  /** Stops the thread; resolves once it has exited (its tty fd closed). */
  async stop(): Promise<void> {
    if (this.stopped) return this.exited;
    this.stopped = true;
    this.worker.postMessage('stop');
    const timeout = setTimeout(() => void this.worker.terminate(), 1000);
    await this.exited;
    clearTimeout(timeout);
  }
}
