// Verification of the whole ledger on a worker thread (issue S5): the chain check of every line runs
// beside the station's main thread, which keeps answering and hears progress. The worker runs the very
// functions of chain.ts — their source text (they are self-contained) — so there is one implementation.
// It reports the first line its fast path cannot accept; the caller then walks the file itself, so the
// problem is named exactly as everywhere else.
import { Worker } from 'node:worker_threads';
import { lineHashIn, scanLinesWith } from './chain';
import { GENESIS } from './entry';
import { readAcross } from './files';

export interface FastWalk {
  readonly count: number;
  readonly last: string;
  readonly prevOfLast: string;
  readonly end: number;
  readonly tornBytes: number;
  /** The first line the fast path did not accept, if any. */
  readonly bad?: { readonly seq: number; readonly offset: number };
}

const PROGRESS_EVERY = 50_000;

function source(): string {
  return `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { createHash } = require('node:crypto');
const scanLinesWith = (${scanLinesWith.toString()});
const lineHashIn = (${lineHashIn.toString()});
const readAcross = (${readAcross.toString()});
const sha256Hex = (prev, head, tail) => createHash('sha256').update(prev, 'latin1').update(head).update(tail).digest('hex');
const { files, genesis, every } = workerData;
let base = 0;
const parts = files.map((f) => { const p = { fd: fs.openSync(f.path, 'r'), base, size: f.size }; base += f.size; return p; });
const io = { readSync: (_fd, b, o, l, p) => readAcross(fs, parts, b, o, l, p) };
let seq = 0, last = genesis, prevOfLast = genesis, bad, told = 0;
const r = scanLinesWith(io, 0, 0, base, (line, offset) => {
  const hash = lineHashIn(line, seq, last, sha256Hex);
  if (hash === undefined) { bad = { seq, offset }; return false; }
  prevOfLast = last; last = hash; seq++;
  if (seq - told >= every) { told = seq; parentPort.postMessage({ progress: seq }); }
  return true;
});
for (const p of parts) fs.closeSync(p.fd);
parentPort.postMessage({ done: { count: seq, last, prevOfLast, end: r.end, tornBytes: r.tornBytes, bad } });
`;
}

/** Walks the ledger's files (in order, each up to `size` bytes) on a worker; `cancelled` is asked at each progress report. */
export function walkOnWorker(files: readonly { path: string; size: number }[], onProgress?: (entries: number) => void, cancelled?: () => boolean): Promise<FastWalk> {
  return new Promise((resolve, reject) => {
    // A small heap: the check keeps nothing but the last hash, and the station's memory stays flat however long the ledger.
    const worker = new Worker(source(), { eval: true, workerData: { files, genesis: GENESIS, every: PROGRESS_EVERY }, resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 48 } });
    let settled = false;
    const settle = (f: () => void): void => {
      if (settled) return;
      settled = true;
      f();
    };
    worker.on('message', (m: { progress?: number; done?: FastWalk }) => {
      if (m.done) settle(() => resolve(m.done!));
      else if (m.progress !== undefined) {
        onProgress?.(m.progress);
        if (cancelled?.()) {
          void worker.terminate();
          settle(() => reject(new Error('cancelled')));
        }
      }
    });
    worker.on('error', (e) => settle(() => reject(e)));
    worker.on('exit', (code) => settle(() => reject(new Error(`the verification worker stopped (${code})`))));
  });
}
