// SHA-256 of a package file's blocks on a thread of their own (issue S6, bench/deliver.ts): the blocks
// are written from, and read back into, page-aligned buffers in memory shared with that thread, which
// hashes each one where it lies while the main thread fills the next and the thread pool writes (or
// reads) the others. Hashing on the main thread cost 0.15 s of every 256 MiB written and again of every
// 256 MiB read back, on the thread that also reads, decrypts and seals the package (bench/README.md,
// "Delivery"); moved here, a delivery's write + verify of 256 MiB came out about 5 % faster (interleaved
// runs) and the main thread stays free to answer the window. WebCrypto's digest runs on the thread pool
// too, but copies each block first and measured no faster on two busy cores.
//
// One hashing thread serves the process, started at the first use and holding the process open only
// while it has work. If it cannot start, or stops, the blocks it was given are hashed on the main
// thread instead (their buffers are untouched until their digest is in), so a digest is never lost.
// The buffers hold sealed package bytes, never plaintext PSRD; they are wiped all the same when closed,
// and their memory is kept for the next package (see `arenas`).
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

export interface BlockHasher {
  /** Page-aligned buffers of `blockBytes` each (O_DIRECT's alignment), shared with the hashing thread where it runs. */
  readonly slots: readonly Uint8Array[];
  /** True when the digests are taken on the hashing thread (false: on the caller's, as a fallback). */
  readonly threaded: boolean;
  /** SHA-256, hex, of the first `length` bytes of slots[slot]; the slot must not change until it resolves. */
  digest(slot: number, length: number): Promise<string>;
  /** Wipes the buffers and gives their memory back; call once every digest asked for has settled. */
  close(): void;
}

const WASM_PAGE = 65536;

// The node type definitions leave out the WebAssembly JS API; a memory is all that is used of it here.
type WasmMemoryCtor = new (d: { initial: number; maximum?: number; shared?: boolean }) => { readonly buffer: ArrayBuffer | SharedArrayBuffer };

/**
 * Page-aligned memory of `bytes` (a WebAssembly memory is the one such allocation Node offers), shared
 * where the runtime can post shared memory to a thread (a runtime without SharedArrayBuffer can still
 * allocate a shared WebAssembly memory, and then aborts when it is posted).
 */
function alignedMemory(bytes: number): { buffer: ArrayBuffer | SharedArrayBuffer; shared: boolean } {
  const Memory = (globalThis as unknown as { WebAssembly: { Memory: WasmMemoryCtor } }).WebAssembly.Memory;
  const pages = Math.ceil(bytes / WASM_PAGE);
  if (typeof SharedArrayBuffer === 'function') {
    try {
      return { buffer: new Memory({ initial: pages, maximum: pages, shared: true }).buffer, shared: true };
    } catch {
      // Not allowed here: private memory, hashed on the main thread.
    }
  }
  return { buffer: new Memory({ initial: pages }).buffer, shared: false };
}

/**
 * Shared memory is leased from here and given back, never left to the garbage collector: the hashing
 * thread holds a reference to every memory it has been posted, and collects so rarely (it allocates
 * almost nothing) that a fresh memory per package piled up by gigabytes over many small deliveries.
 * What stays is one memory per delivery ever running at once.
 */
const arenas = new Map<number, (ArrayBuffer | SharedArrayBuffer)[]>();

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

/** One hashing thread and the blocks it holds: referenced while it holds any. */
class Hasher {
  readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(
    readonly worker: Worker,
    onLost: (h: Hasher) => void,
  ) {
    worker.on('message', ({ id, hex }: { id: number; hex: string }) => {
      const p = this.pending.get(id);
      this.pending.delete(id);
      if (this.pending.size === 0) worker.unref();
      p?.resolve(hex);
    });
    worker.on('error', () => onLost(this));
    worker.on('exit', () => onLost(this));
    worker.unref();
  }

  digest(view: Uint8Array): Promise<string> {
    const id = this.nextId++;
    return new Promise<string>((resolve) => {
      this.pending.set(id, { view, resolve });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ id, view });
    });
  }

  /** What it held, hashed on this thread instead (its buffers are untouched until their digest is in). */
  hashPendingHere(): void {
    const left = [...this.pending.values()];
    this.pending.clear();
    for (const p of left) p.resolve(hashHere(p.view));
  }
}

/** The process's hashing thread: started on demand; on the main thread from the first failure on. */
class HashingThread {
  private current: Hasher | undefined;
  /** Set once a thread failed to start or stopped unasked: from then on, blocks are hashed in place. */
  private broken = false;

  get usable(): boolean {
    return !this.broken;
  }

  digest(view: Uint8Array): Promise<string> {
    const h = this.broken ? undefined : this.start();
    return h ? h.digest(view) : Promise.resolve(hashHere(view));
  }

  /** Stops the thread; what it had in hand is hashed here. The next digest starts a new one. */
  async stop(): Promise<void> {
    const h = this.current;
    if (!h) return;
    this.current = undefined;
    h.worker.removeAllListeners();
    h.worker.on('error', () => undefined); // one already queued must not become an uncaught exception
    h.hashPendingHere();
    await h.worker.terminate();
  }

  private start(): Hasher | undefined {
    if (this.current) return this.current;
    try {
      const w = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 16 } });
      this.current = new Hasher(w, (lost) => {
        if (this.current === lost) {
          this.current = undefined;
          this.broken = true;
        }
        lost.hashPendingHere();
      });
      return this.current;
    } catch {
      this.broken = true;
      return undefined;
    }
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
  const bytes = count * blockBytes;
  const leased = arenas.get(bytes)?.pop();
  const { buffer, shared } = leased ? { buffer: leased, shared: true } : alignedMemory(bytes);
  const slots = Array.from({ length: count }, (_, i) => new Uint8Array(buffer, i * blockBytes, blockBytes));
  let closed = false;
  return {
    slots,
    get threaded() {
      return shared && thread.usable;
    },
    digest(slot, length) {
      if (closed) throw new Error('the block hasher is closed');
      const view = slots[slot]!.subarray(0, length);
      return shared ? thread.digest(view) : Promise.resolve(hashHere(view));
    },
    close() {
      if (closed) return;
      closed = true;
      // Zeros copied in: fill() on shared memory is ~20× slower than on private memory.
      const zeros = new Uint8Array(blockBytes);
      for (const s of slots) s.set(zeros);
      if (shared) arenas.set(bytes, [...(arenas.get(bytes) ?? []), buffer]);
    },
  };
}
