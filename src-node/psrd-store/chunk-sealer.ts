// Encrypts pool chunks (AES-256-GCM under each chunk's own key) and writes them, on a worker thread, so
// that encryption and the write system calls run beside the main thread's entropy reads and SP 800-90B
// tests (the station has two cores to use; bench/pool measures it). The worker holds a chunk only while
// sealing it and wipes its copy of the plaintext and key before handing the buffer back for reuse.
import { Worker } from 'node:worker_threads';

export interface ChunkSealer {
  /**
   * Encrypts `plain` under `key` with `aad` and writes ciphertext ‖ tag at `position` of `fd`. Copies
   * `plain` and `key` before it returns (the caller may wipe them at once); resolves once written.
   */
  seal(fd: number, position: number, key: Uint8Array, aad: Uint8Array, plain: Uint8Array): Promise<void>;
  close(): Promise<void>;
  /** True once the worker has stopped: every further seal fails. */
  readonly dead: boolean;
}

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly code?: string;
  readonly message?: string;
  readonly buffer: ArrayBuffer;
}

// Plain JavaScript, run with `eval`, so that it needs no bundler entry or loader in any host (Electron
// main, plain Node, the test runner). GCM output in 64 KiB pieces: below the allocator's mmap threshold.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createCipheriv } = require('node:crypto');
const { writeSync } = require('node:fs');
const NONCE = Buffer.alloc(12);
const PIECE = 65536;
function writeAll(fd, buf, pos) {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off, pos + off);
  return buf.length;
}
parentPort.on('message', (m) => {
  const plain = new Uint8Array(m.buffer, 0, m.length);
  const key = new Uint8Array(m.buffer, m.length, 32);
  try {
    const c = createCipheriv('aes-256-gcm', key, NONCE);
    c.setAAD(new Uint8Array(m.aad));
    let pos = m.position;
    for (let off = 0; off < m.length; off += PIECE) pos += writeAll(m.fd, c.update(plain.subarray(off, off + PIECE)), pos);
    c.final();
    writeAll(m.fd, c.getAuthTag(), pos);
    reply(m, { ok: true });
  } catch (e) {
    reply(m, { ok: false, code: e && e.code, message: String(e && e.message) });
  }
});
// The plaintext and key are wiped before the buffer goes back (after the transfer it is out of reach).
function reply(m, result) {
  new Uint8Array(m.buffer).fill(0);
  parentPort.postMessage(Object.assign({ id: m.id, buffer: m.buffer }, result), [m.buffer]);
}
`;

export function workerSealer(chunkBytes: number): ChunkSealer {
  const worker = new Worker(WORKER_SOURCE, { eval: true });
  worker.unref();
  const free: ArrayBuffer[] = [];
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  let next = 0;
  let dead: Error | undefined;

  worker.on('message', (r: Reply) => {
    free.push(r.buffer);
    const p = pending.get(r.id);
    pending.delete(r.id);
    if (!p) return;
    if (r.ok) p.resolve();
    else p.reject(Object.assign(new Error(r.message ?? 'chunk write failed'), { code: r.code }));
  });
  const fail = (e: Error): void => {
    dead = e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the chunk sealer stopped (exit ${code})`)));

  return {
    get dead() {
      return dead !== undefined;
    },
    seal(fd, position, key, aad, plain) {
      if (dead) return Promise.reject(dead);
      // Plaintext and key travel together in one transferred buffer: one copy, no second allocation.
      const buffer = free.pop() ?? new ArrayBuffer(chunkBytes + 32);
      const view = new Uint8Array(buffer);
      view.set(plain, 0);
      view.set(key, plain.length);
      const id = next++;
      const done = new Promise<void>((resolve, reject) => pending.set(id, { resolve, reject }));
      worker.postMessage({ id, fd, position, length: plain.length, aad: Uint8Array.from(aad).buffer, buffer }, [buffer]);
      return done;
    },
    async close() {
      await worker.terminate();
    },
  };
}
