// SHA-256 of a package file's blocks on a thread of their own (issue S6, bench/deliver.ts): the blocks
// are written from, and read back into, page-aligned buffers in memory shared with that thread, which
// hashes each one where it lies while the main thread fills the next and the thread pool writes (or
// reads) the others. Hashing on the main thread cost 0.15 s of every 256 MiB written and again of every
// 256 MiB read back, on the thread that also reads, decrypts and seals the package (bench/README.md,
// "Delivery"). WebCrypto's digest runs on the thread pool too, but copies each block first and measured
// no faster on two busy cores.
//
// One hashing thread serves the process, started at the first use and holding the process open only
// while it has work. If it cannot start, or stops, the blocks it was given are hashed on the main
// thread instead (their buffers are untouched until their digest is in), so a digest is never lost.
// The buffers hold sealed package bytes, never plaintext PSRD; they are wiped all the same when closed.
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

export interface BlockHasher {
  /** Page-aligned buffers of `blockBytes` each (O_DIRECT's alignment), shared with the hashing thread where it runs. */
  readonly slots: readonly Uint8Array[];
  /** True when the digests are taken on the hashing thread (false: on the caller's, as a fallback). */
  readonly threaded: boolean;
  /** SHA-256, hex, of the first `length` bytes of slots[slot]; the slot must not change until it resolves. */
  digest(slot: number, length: number): Promise<string>;
  /** Wipes the buffers; call once every digest asked for has settled. */
  close(): void;
}

const WASM_PAGE = 65536;

// The node type definitions leave out the WebAssembly JS API; a memory is all that is used of it here.
type WasmMemoryCtor = new (d: { initial: number; maximum?: number; shared?: boolean }) => { readonly buffer: ArrayBuffer | SharedArrayBuffer };

/** One memory of `bytes`, page-aligned (a WebAssembly memory is the one such allocation Node offers), shared if it can be. */
function alignedMemory(bytes: number): { buffer: ArrayBuffer | SharedArrayBuffer; shared: boolean } {
  const Memory = (globalThis as unknown as { WebAssembly: { Memory: WasmMemoryCtor } }).WebAssembly.Memory;
  const pages = Math.ceil(bytes / WASM_PAGE);
  try {
    return { buffer: new Memory({ initial: pages, maximum: pages, shared: true }).buffer, shared: true };
  } catch {
    return { buffer: new Memory({ initial: pages }).buffer, shared: false };
  }
}

// Plain JavaScript, run with `eval`, so that it needs no bundler entry or loader in any host.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
parentPort.on('message', ({ id, view }) => {
  parentPort.postMessage({ id, hex: createHash('sha256').update(view).digest('hex') });
});
`;

interface Pending {
  readonly view: Uint8Array;
  readonly resolve: (hex: string) => void;
}

const hashHere = (view: Uint8Array): string => createHash('sha256').update(view).digest('hex');

/** The process's hashing thread: started on demand, referenced only while it has work. */
class HashingThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** Set once the thread failed to start or stopped unasked: from then on, blocks are hashed in place. */
  private broken = false;

  get usable(): boolean {
    return !this.broken;
  }

  digest(view: Uint8Array): Promise<string> {
    const w = this.broken ? undefined : this.start();
    if (!w) return Promise.resolve(hashHere(view));
    const id = this.nextId++;
    return new Promise<string>((resolve) => {
      this.pending.set(id, { view, resolve });
      if (this.pending.size === 1) w.ref();
      w.postMessage({ id, view });
    });
  }

  /** Stops the thread; what it had in hand is hashed here. The next digest starts a new one. */
  async stop(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) {
      w.removeAllListeners();
      await w.terminate();
    }
    this.hashPendingHere();
  }

  private start(): Worker | undefined {
    if (this.worker) return this.worker;
    try {
      const w = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 16 } });
      w.on('message', ({ id, hex }: { id: number; hex: string }) => {
        const p = this.pending.get(id);
        if (!p) return;
        this.pending.delete(id);
        if (this.pending.size === 0) w.unref();
        p.resolve(hex);
      });
      const lost = (): void => {
        if (this.worker !== w) return;
        this.worker = undefined;
        this.broken = true;
        this.hashPendingHere();
      };
      w.on('error', lost);
      w.on('exit', lost);
      w.unref();
      this.worker = w;
      return w;
    } catch {
      this.broken = true;
      return undefined;
    }
  }

  private hashPendingHere(): void {
    const left = [...this.pending.values()];
    this.pending.clear();
    for (const p of left) p.resolve(hashHere(p.view));
  }
}

const thread = new HashingThread();

/** Stops the hashing thread (the process's tests stop it mid-digest; the digests still come). */
export function stopHashingThread(): Promise<void> {
  return thread.stop();
}

/** `count` page-aligned buffers of `blockBytes`, and the SHA-256 of any of them taken off the main thread where possible. */
export function blockHasher(count: number, blockBytes: number): BlockHasher {
  if (blockBytes % WASM_PAGE !== 0) throw new RangeError('blocks must be whole 64 KiB pages');
  const { buffer, shared } = alignedMemory(count * blockBytes);
  const slots = Array.from({ length: count }, (_, i) => new Uint8Array(buffer, i * blockBytes, blockBytes));
  return {
    slots,
    get threaded() {
      return shared && thread.usable;
    },
    digest(slot, length) {
      const view = slots[slot]!.subarray(0, length);
      return shared ? thread.digest(view) : Promise.resolve(hashHere(view));
    },
    close() {
      // Zeros copied in: fill() on shared memory is ~20× slower than on private memory.
      const zeros = new Uint8Array(blockBytes);
      for (const s of slots) s.set(zeros);
    },
  };
}
