// Encrypts pool chunks (AES-256-GCM under each chunk's own key) and writes them, on a worker thread, so
// that encryption and the writes run beside the main thread's entropy reads and SP 800-90B tests (the
// station has two cores to use; bench/README.md measures each stage). The worker holds a chunk's
// plaintext only while sealing it and wipes its copy of the plaintext and key before handing the buffer
// back for reuse; what it keeps after that is ciphertext.
//
// Writes: a segment file is one byte stream (header, then ciphertext ‖ tag per chunk), which the worker
// stages in page-aligned buffers and writes in whole 4 KiB blocks, asynchronously (the thread pool
// writes one block run while the worker encrypts the next chunk). Where the system allows it, the file is
// opened with O_DIRECT: the ciphertext then goes from the staging buffer to the disk without passing
// through the page cache, whose copy costs more than the encryption on the machines measured, and the
// pool does not evict everything else from memory. The last block is padded and the file cut back to its
// length. A file system that refuses O_DIRECT (at open, or on the first write) gets the same blocks
// through the page cache. Either way finish() fsyncs before a segment counts (segment-file.ts).
import { Worker } from 'node:worker_threads';

export interface ChunkSealer {
  /**
   * Starts the byte stream of a segment file: `fd` is open for writing (with O_DIRECT when `direct`),
   * `path` names the file (to reopen it without O_DIRECT if a write is refused), `header` its first bytes.
   */
  begin(fd: number, path: string, direct: boolean, header: Uint8Array): void;
  /**
   * Encrypts `plain` under `key` with `aad` and stages ciphertext ‖ tag at `position` of `fd`, which must
   * be where the stream's last chunk ended. Copies `plain` and `key` before it returns (the caller may
   * wipe them at once); resolves once the chunk is sealed and queued for writing. A failed write
   * rejects a later seal() or end() of the same file.
   */
  seal(fd: number, position: number, key: Uint8Array, aad: Uint8Array, plain: Uint8Array): Promise<void>;
  /** Writes everything staged for `fd` and cuts the file to `length` bytes; resolves once all is written. */
  end(fd: number, length: number): Promise<void>;
  /** Forgets the stream of `fd` once its writes have settled (an abandoned segment); never rejects. */
  drop(fd: number): Promise<void>;
  close(): Promise<void>;
  /** True once the worker has stopped: every further call fails. */
  readonly dead: boolean;
}

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly code?: string;
  readonly message?: string;
  readonly buffer?: ArrayBuffer;
}

/** Block size of the staged writes: the alignment O_DIRECT needs on 512-byte and 4 KiB-sector disks. */
export const WRITE_BLOCK = 4096;

// Plain JavaScript, run with `eval`, so that it needs no bundler entry or loader in any host (Electron
// main, plain Node, the test runner). GCM output in 64 KiB pieces, below the allocator's mmap threshold.
// Staging buffers are WebAssembly memories: the one allocation Node offers that is page-aligned, which
// O_DIRECT requires of the memory it writes from. Messages are handled one at a time, in order.
const WORKER_SOURCE = `
const { parentPort, workerData, MessageChannel } = require('node:worker_threads');
const { createCipheriv } = require('node:crypto');
const fs = require('node:fs');
const NONCE = Buffer.alloc(12);
const PIECE = 65536;
const BLOCK = ${WRITE_BLOCK};
const MAX_WRITES = 2;
const CAP = Math.ceil((workerData.chunkBytes + 16 + 2 * BLOCK + 64) / 65536) * 65536;
const free = [];
const streams = new Map();
// GCM output pieces are freed as soon as they are staged, by transferring them to a closed port: left
// to the garbage collector, 32 MiB of them pile up between collections and the allocator hands that
// memory back to the system each time, so that every piece costs fresh, zero-filled pages.
const { port1: bin } = new MessageChannel();
bin.close();
let writing = 0;
const waiters = [];

function buffer() {
  return free.pop() || new Uint8Array(new WebAssembly.Memory({ initial: CAP / 65536 }).buffer);
}
function slot() {
  if (writing < MAX_WRITES) return undefined;
  return new Promise((resolve) => waiters.push(resolve));
}
function settled() {
  writing--;
  const w = waiters.shift();
  if (w) w();
}
// Writes buf[0, len) at pos, in full; on EINVAL from an O_DIRECT file, reopens it through the page cache.
function writeOut(s, buf, len, pos) {
  writing++;
  s.pending++;
  const done = (err) => {
    if (err && !s.error) s.error = err;
    s.pending--;
    free.push(buf);
    settled();
    if (s.pending === 0) for (const r of s.idle.splice(0)) r();
  };
  const step = (off) => {
    const fd = s.fd;
    fs.write(fd, buf, off, len - off, pos + off, (err, n) => {
      if (err && err.code === 'EINVAL' && fd === s.key) {
        try {
          if (s.direct) {
            s.fd = fs.openSync(s.path, 'r+');
            s.own = true;
            s.direct = false;
          }
        } catch (e) {
          return done(e);
        }
        if (s.fd !== fd) return step(off);
      }
      if (err) return done(err);
      if (n === 0) return done(Object.assign(new Error('write returned 0 bytes'), { code: 'EIO' }));
      if (off + n < len) return step(off + n);
      done();
    });
  };
  step(0);
}
function idle(s) {
  return s.pending === 0 ? Promise.resolve() : new Promise((resolve) => s.idle.push(resolve));
}
// Hands the whole blocks staged so far to a write; the partial block moves to a fresh buffer.
async function flushBlocks(s) {
  const whole = s.fill - (s.fill % BLOCK);
  if (whole === 0) return;
  await slot();
  const next = buffer();
  next.set(s.cur.subarray(whole, s.fill), 0);
  writeOut(s, s.cur, whole, s.at);
  s.cur = next;
  s.at += whole;
  s.fill -= whole;
}
function stage(s, bytes) {
  s.cur.set(bytes, s.fill);
  s.fill += bytes.length;
}
function release(s) {
  streams.delete(s.key);
  if (s.own) fs.close(s.fd, () => undefined);
  if (s.cur) free.push(s.cur);
  s.cur = undefined;
}
function failure(e) {
  return { ok: false, code: e && e.code, message: String(e && e.message) };
}

async function handle(m) {
  if (m.op === 'begin') {
    const s = { key: m.fd, fd: m.fd, path: m.path, direct: m.direct, own: false, cur: buffer(), at: 0, fill: 0, end: m.header.byteLength, pending: 0, idle: [], error: undefined };
    stage(s, new Uint8Array(m.header));
    streams.set(m.fd, s);
    return;
  }
  const s = streams.get(m.fd);
  if (m.op === 'seal') {
    const plain = new Uint8Array(m.buffer, 0, m.length);
    const key = new Uint8Array(m.buffer, m.length, 32);
    let result = { ok: true };
    try {
      if (!s) throw new Error('no segment stream for this file');
      if (s.error) throw s.error;
      if (m.position !== s.end) throw new Error('chunk out of order');
      const c = createCipheriv('aes-256-gcm', key, NONCE);
      c.setAAD(new Uint8Array(m.aad));
      const pieces = [];
      for (let off = 0; off < m.length; off += PIECE) {
        const out = c.update(plain.subarray(off, off + PIECE));
        stage(s, out);
        if (out.byteOffset === 0 && out.length === out.buffer.byteLength) pieces.push(out.buffer);
      }
      c.final();
      stage(s, c.getAuthTag());
      try {
        bin.postMessage(null, pieces);
      } catch {
        // Not transferable here: the garbage collector frees them instead.
      }
      s.end += m.length + 16;
    } catch (e) {
      if (s && !s.error) s.error = e;
      result = failure(e);
    }
    // The plaintext and key are wiped before the buffer goes back (after the transfer it is out of reach).
    new Uint8Array(m.buffer).fill(0);
    parentPort.postMessage(Object.assign({ id: m.id, buffer: m.buffer }, result), [m.buffer]);
    if (result.ok) await flushBlocks(s);
    return;
  }
  if (m.op === 'end') {
    let result = { ok: true };
    try {
      if (!s) throw new Error('no segment stream for this file');
      if (m.length !== s.end) throw new Error('the segment is ' + s.end + ' bytes, not ' + m.length);
      await flushBlocks(s);
      if (s.fill > 0) {
        const padded = s.fill + ((BLOCK - (s.fill % BLOCK)) % BLOCK);
        s.cur.fill(0, s.fill, padded);
        await slot();
        writeOut(s, s.cur, padded, s.at);
        s.cur = undefined;
      }
      await idle(s);
      if (s.error) throw s.error;
      fs.ftruncateSync(s.fd, m.length);
    } catch (e) {
      result = failure(e);
    }
    if (s) {
      await idle(s);
      release(s);
    }
    parentPort.postMessage(Object.assign({ id: m.id }, result));
    return;
  }
  if (m.op === 'drop') {
    if (s) {
      await idle(s);
      release(s);
    }
    parentPort.postMessage({ id: m.id, ok: true });
  }
}

let queue = Promise.resolve();
parentPort.on('message', (m) => {
  queue = queue.then(() => handle(m)).catch((e) => parentPort.postMessage(Object.assign({ id: m.id }, failure(e))));
});
`;

export function workerSealer(chunkBytes: number): ChunkSealer {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { chunkBytes } });
  worker.unref();
  const free: ArrayBuffer[] = [];
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  let next = 0;
  let dead: Error | undefined;

  worker.on('message', (r: Reply) => {
    if (r.buffer) free.push(r.buffer);
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

  const call = (message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<void> => {
    if (dead) return Promise.reject(dead);
    const id = next++;
    const done = new Promise<void>((resolve, reject) => pending.set(id, { resolve, reject }));
    worker.postMessage({ ...message, id }, transfer);
    return done;
  };

  return {
    get dead() {
      return dead !== undefined;
    },
    begin(fd, path, direct, header) {
      if (dead) return;
      worker.postMessage({ op: 'begin', id: -1, fd, path, direct, header: Uint8Array.from(header).buffer });
    },
    seal(fd, position, key, aad, plain) {
      if (dead) return Promise.reject(dead);
      // Plaintext and key travel together in one transferred buffer: one copy, no second allocation.
      const buffer = free.pop() ?? new ArrayBuffer(chunkBytes + 32);
      const view = new Uint8Array(buffer);
      view.set(plain, 0);
      view.set(key, plain.length);
      return call({ op: 'seal', fd, position, length: plain.length, aad: Uint8Array.from(aad).buffer, buffer }, [buffer]);
    },
    end(fd, length) {
      return call({ op: 'end', fd, length });
    },
    drop(fd) {
      return dead ? Promise.resolve() : call({ op: 'drop', fd }).catch(() => undefined);
    },
    async close() {
      await worker.terminate();
    },
  };
}
