// Encrypts pool chunks (AES-256-GCM under each chunk's own key) and writes them, on worker threads, so
// that encryption and the writes run beside the main thread's entropy reads and SP 800-90B tests (the
// station has two cores to use; bench/README.md measures each stage). A worker holds a chunk's
// plaintext only while sealing it and wipes its copy of the plaintext and key before handing the buffer
// back for reuse; what it keeps after that is ciphertext.
//
// Writes: a segment file is one byte stream (header, then ciphertext ‖ tag per chunk) written in whole
// 4 KiB blocks from page-aligned buffers. Where the system allows it the file is opened with O_DIRECT
// (segment-file.ts): the ciphertext then goes to the disk without passing through the page cache, whose
// copy costs more than the encryption on the machines measured, and the pool does not evict everything
// else from memory. Chunks are sealed by several workers at once, in any order: each worker writes the
// whole blocks inside its chunk itself, and hands back the two partial blocks at its ends, which this
// side joins with its neighbours' (and the header) and writes once complete. The last block is padded
// and the file cut back to its length. finish() fsyncs before a segment counts (segment-file.ts).
import { write, ftruncate } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export interface ChunkSealer {
  /** Starts the byte stream of a segment file: `fd` is open for writing (O_DIRECT or not), `header` its first bytes. */
  begin(fd: number, header: Uint8Array): void;
  /**
   * A chunk-sized buffer to fill and pass to seal(), which then hands it to a worker without copying
   * (the view is detached afterwards). Give back one left unused with release().
   */
  buffer(): Uint8Array;
  release(buffer: Uint8Array): void;
  /**
   * Encrypts `plain` under `key` with `aad` and writes ciphertext ‖ tag at `position` of `fd`, which must
   * be where the stream's last chunk ended. `plain` from buffer() is handed over; any other is copied,
   * and may be wiped as soon as this returns. Resolves once sealed and its writes are under way; a
   * failed write rejects a later seal() or end() of the same file.
   */
  seal(fd: number, position: number, key: Uint8Array, aad: Uint8Array, plain: Uint8Array): Promise<void>;
  /** Writes what remains of `fd`'s stream, waits for every write, and cuts the file to `length` bytes. */
  end(fd: number, length: number): Promise<void>;
  /** Forgets `fd`'s stream once its writes have settled (an abandoned segment); never rejects. */
  drop(fd: number): Promise<void>;
  close(): Promise<void>;
  /** True once a worker has stopped: every further call fails. */
  readonly dead: boolean;
}

/** Block size of every write: the alignment O_DIRECT needs on 512-byte and 4 KiB-sector disks. */
export const WRITE_BLOCK = 4096;

// The node type definitions leave out the WebAssembly JS API; a memory is all that is used of it here.
type WasmMemoryCtor = new (d: { initial: number }) => { readonly buffer: ArrayBuffer };

/**
 * `count` page-aligned blocks of WRITE_BLOCK bytes. A WebAssembly memory is the one allocation Node offers
 * that is page-aligned, which O_DIRECT requires of the memory it writes from.
 */
export function alignedBlocks(count: number): Uint8Array[] {
  const Memory = (globalThis as unknown as { WebAssembly: { Memory: WasmMemoryCtor } }).WebAssembly.Memory;
  const bytes = new Uint8Array(new Memory({ initial: Math.ceil((count * WRITE_BLOCK) / 65536) }).buffer);
  return Array.from({ length: count }, (_, i) => bytes.subarray(i * WRITE_BLOCK, (i + 1) * WRITE_BLOCK));
}

// Plain JavaScript, run with `eval`, so that it needs no bundler entry or loader in any host (Electron
// main, plain Node, the test runner). GCM output in 64 KiB pieces, below the allocator's mmap threshold;
// staged at the chunk's offset within its first block, in a page-aligned buffer. A worker writes on its
// own thread (writeSync): the thread pool stays free for what the rest of the station waits on, entropy
// reads from device files above all, and while one worker writes the other encrypts.
const WORKER_SOURCE = `
const { parentPort, workerData, MessageChannel } = require('node:worker_threads');
const { createCipheriv } = require('node:crypto');
const { writeSync } = require('node:fs');
const NONCE = Buffer.alloc(12);
const PIECE = 65536;
const BLOCK = ${WRITE_BLOCK};
const CAP = Math.ceil((workerData.chunkBytes + 16 + 2 * BLOCK) / 65536) * 65536;
const staging = new Uint8Array(new WebAssembly.Memory({ initial: CAP / 65536 }).buffer);
// GCM output pieces are freed as soon as they are staged, by transferring them to a closed port: left
// to the garbage collector, 32 MiB of them pile up between collections and the allocator hands that
// memory back to the system each time, so that every piece costs fresh, zero-filled pages.
const { port1: bin } = new MessageChannel();
bin.close();

function failure(e) {
  return { ok: false, code: e && e.code, message: String(e && e.message) };
}

// Every chunk gets exactly two replies: sealed (its buffer back, and the partial blocks at its ends),
// then written (its whole blocks on the disk, or why not).
parentPort.on('message', (m) => {
  const plain = new Uint8Array(m.buffer, 0, m.length);
  const key = new Uint8Array(m.buffer, m.length, 32);
  const end = m.position + m.length + 16;
  const lead = m.position % BLOCK;
  const base = m.position - lead;
  let result;
  let first = 0;
  let last = 0;
  try {
    const c = createCipheriv('aes-256-gcm', key, NONCE);
    c.setAAD(new Uint8Array(m.aad));
    let at = lead;
    const pieces = [];
    for (let off = 0; off < m.length; off += PIECE) {
      const out = c.update(plain.subarray(off, off + PIECE));
      staging.set(out, at);
      at += out.length;
      if (out.byteOffset === 0 && out.length === out.buffer.byteLength) pieces.push(out.buffer);
    }
    c.final();
    staging.set(c.getAuthTag(), at);
    try {
      bin.postMessage(null, pieces);
    } catch {
      // Not transferable here: the garbage collector frees them instead.
    }
    // Whole blocks inside the chunk are written here; the partial blocks at its ends go back.
    first = Math.min(base + Math.ceil(lead / BLOCK) * BLOCK, end);
    last = Math.max(end - (end % BLOCK), first);
    const piece = (from, to) => (to > from ? staging.slice(from - base, to - base).buffer : undefined);
    result = { ok: true, head: piece(m.position, first), headAt: m.position, tail: piece(last, end), tailAt: last };
  } catch (e) {
    result = failure(e);
  }
  // The plaintext and key are wiped before the buffer goes back (after the transfer it is out of reach).
  new Uint8Array(m.buffer).fill(0);
  parentPort.postMessage(Object.assign({ id: m.id, buffer: m.buffer }, result), [m.buffer]);
  let written = result.ok ? { ok: true } : failure(new Error('not sealed'));
  try {
    for (let k = first; k < last; ) {
      const n = writeSync(m.fd, staging, k - base, last - k, k);
      if (n === 0) throw Object.assign(new Error('write returned 0 bytes'), { code: 'EIO' });
      k += n;
    }
  } catch (e) {
    written = failure(e);
  }
  parentPort.postMessage(Object.assign({ id: m.id, written: true }, written));
});
`;

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly code?: string;
  readonly message?: string;
  /** Set on the second reply of a chunk: its whole blocks are written (or failed). */
  readonly written?: boolean;
  readonly buffer?: ArrayBuffer;
  readonly head?: ArrayBuffer;
  readonly headAt?: number;
  readonly tail?: ArrayBuffer;
  readonly tailAt?: number;
}

interface Stream {
  readonly fd: number;
  /** Where the next chunk starts. */
  end: number;
  /** Partial blocks, by block index: the bytes joined so far and how many. */
  readonly blocks: Map<number, { slot: Uint8Array; filled: number }>;
  /** Chunks handed to a worker and not yet back, and writes (here or in a worker) not yet done. */
  busy: number;
  readonly settled: (() => void)[];
  error: Error | undefined;
}

interface Pending {
  readonly stream: Stream;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

/** Worker threads to seal with: as many as cores, at least two (the main thread waits on the disk too), at most four. */
export function defaultSealers(): number {
  return Math.min(4, Math.max(2, availableParallelism()));
}

export function workerSealer(chunkBytes: number, workers = defaultSealers()): ChunkSealer {
  const pool = Array.from({ length: workers }, () => {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { chunkBytes } });
    w.unref();
    return w;
  });
  const load = pool.map(() => 0);
  const free: ArrayBuffer[] = [];
  const own = new WeakSet<ArrayBuffer>();
  const slots: Uint8Array[] = [];
  const streams = new Map<number, Stream>();
  const pending = new Map<number, Pending>();
  let next = 0;
  let dead: Error | undefined;

  const error = (r: Reply): Error => Object.assign(new Error(r.message ?? 'chunk write failed'), { code: r.code });
  const slot = (): Uint8Array => {
    if (slots.length === 0) slots.push(...alignedBlocks(16));
    return slots.pop()!;
  };
  const settle = (s: Stream): void => {
    if (--s.busy <= 0) for (const r of s.settled.splice(0)) r();
  };
  const idle = (s: Stream): Promise<void> => (s.busy <= 0 ? Promise.resolve() : new Promise((resolve) => s.settled.push(resolve)));
  const fail = (s: Stream, e: Error): void => {
    s.error ??= e;
  };

  /** Writes block `b` of `s` (its first `len` bytes, padded to a whole block), then frees its slot. */
  const writeBlock = (s: Stream, b: number, block: { slot: Uint8Array; filled: number }): void => {
    s.blocks.delete(b);
    s.busy++;
    const done = (err: Error | null): void => {
      slots.push(block.slot);
      if (err) fail(s, err);
      settle(s);
    };
    const step = (k: number): void => {
      write(s.fd, block.slot, k, WRITE_BLOCK - k, b * WRITE_BLOCK + k, (err, n) => {
        if (err) return done(err);
        if (n === 0) return done(Object.assign(new Error('write returned 0 bytes'), { code: 'EIO' }));
        if (k + n < WRITE_BLOCK) return step(k + n);
        done(null);
      });
    };
    step(0);
  };

  /** Puts bytes at stream position `at` into their blocks; a block that is whole goes to the disk. */
  const join = (s: Stream, at: number, bytes: Uint8Array): void => {
    let k = 0;
    while (k < bytes.length) {
      const b = Math.floor((at + k) / WRITE_BLOCK);
      const off = (at + k) % WRITE_BLOCK;
      const n = Math.min(WRITE_BLOCK - off, bytes.length - k);
      let block = s.blocks.get(b);
      if (!block) {
        block = { slot: slot(), filled: 0 };
        block.slot.fill(0);
        s.blocks.set(b, block);
      }
      block.slot.set(bytes.subarray(k, k + n), off);
      block.filled += n;
      if (block.filled === WRITE_BLOCK) writeBlock(s, b, block);
      k += n;
    }
  };

  const onReply = (worker: number) => (r: Reply) => {
    const p = pending.get(r.id);
    if (r.written) {
      load[worker]!--;
      pending.delete(r.id);
      if (!p) return;
      if (!r.ok) fail(p.stream, error(r));
      settle(p.stream);
      return;
    }
    if (r.buffer) {
      own.add(r.buffer);
      free.push(r.buffer);
    }
    if (!p) return;
    const s = p.stream;
    if (!r.ok) {
      fail(s, error(r));
      p.reject(s.error!);
      return;
    }
    if (r.head) join(s, r.headAt!, new Uint8Array(r.head));
    if (r.tail) join(s, r.tailAt!, new Uint8Array(r.tail));
    if (s.error) p.reject(s.error);
    else p.resolve();
  };
  const stop = (e: Error): void => {
    dead ??= e;
    for (const p of pending.values()) {
      fail(p.stream, e);
      p.reject(e);
    }
    pending.clear();
    for (const s of streams.values()) {
      s.busy = 0;
      for (const r of s.settled.splice(0)) r();
    }
  };
  pool.forEach((w, i) => {
    w.on('message', onReply(i));
    w.on('error', stop);
    w.on('exit', (code) => stop(new Error(`the chunk sealer stopped (exit ${code})`)));
  });

  return {
    get dead() {
      return dead !== undefined;
    },
    begin(fd, header) {
      const s: Stream = { fd, end: header.length, blocks: new Map(), busy: 0, settled: [], error: undefined };
      streams.set(fd, s);
      join(s, 0, header);
    },
    buffer() {
      const b = free.pop() ?? new ArrayBuffer(chunkBytes + 32);
      own.add(b);
      return new Uint8Array(b, 0, chunkBytes);
    },
    release(buffer) {
      if (buffer.byteLength === 0 || !own.has(buffer.buffer as ArrayBuffer)) return;
      new Uint8Array(buffer.buffer).fill(0);
      free.push(buffer.buffer as ArrayBuffer);
    },
    seal(fd, position, key, aad, plain) {
      if (dead) return Promise.reject(dead);
      const s = streams.get(fd);
      if (!s) return Promise.reject(new Error('no segment stream for this file'));
      if (s.error) return Promise.reject(s.error);
      if (position !== s.end || plain.length === 0 || plain.length > chunkBytes) return Promise.reject(new Error('chunk out of order or of the wrong size'));
      // Plaintext and key travel together in one transferred buffer: handed over when it is ours, else one copy.
      let buffer = plain.buffer as ArrayBuffer;
      if (!own.has(buffer) || plain.byteOffset !== 0 || buffer.byteLength !== chunkBytes + 32) {
        buffer = free.pop() ?? new ArrayBuffer(chunkBytes + 32);
        new Uint8Array(buffer).set(plain, 0);
      }
      new Uint8Array(buffer).set(key, plain.length);
      s.end += plain.length + 16;
      s.busy += 2; // back from the worker, and its whole blocks written
      const id = next++;
      const w = load.indexOf(Math.min(...load));
      load[w]!++;
      const done = new Promise<void>((resolve, reject) =>
        pending.set(id, {
          stream: s,
          resolve: () => (settle(s), resolve()),
          reject: (e) => (settle(s), reject(e)),
        }),
      );
      pool[w]!.postMessage({ id, fd, position, length: plain.length, aad: Uint8Array.from(aad).buffer, buffer }, [buffer]);
      return done;
    },
    async end(fd, length) {
      const s = streams.get(fd);
      if (!s) throw dead ?? new Error('no segment stream for this file');
      try {
        if (length !== s.end) throw new Error(`the segment is ${s.end} bytes, not ${length}`);
        await idle(s);
        // Every chunk is back: what is left is the one partial block at the end.
        for (const [b, block] of [...s.blocks]) writeBlock(s, b, block);
        await idle(s);
        if (s.error) throw s.error;
        await new Promise<void>((resolve, reject) => ftruncate(fd, length, (e) => (e ? reject(e) : resolve())));
      } finally {
        await idle(s);
        for (const block of s.blocks.values()) slots.push(block.slot);
        streams.delete(fd);
      }
    },
    async drop(fd) {
      const s = streams.get(fd);
      if (!s) return;
      await idle(s);
      for (const block of s.blocks.values()) slots.push(block.slot);
      streams.delete(fd);
    },
    async close() {
      await Promise.all(pool.map((w) => w.terminate()));
    },
  };
}
