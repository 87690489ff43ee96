// Crypto-erase (issue S3, part 4): after a segment (or a range inside it) is destroyed, a canary
// written into it cannot be found anywhere in the data directory — not as plaintext, not as the
// ciphertext that held it — and the key that encrypted it is gone.
import { randomBytes } from 'node:crypto';
import { createCipheriv } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EntropyStream } from '../../src-main/station/pool/pool';
import { HEADER_BYTES, keysPath, segmentPath } from '../../src-node/psrd-store/segment-file';
import { WRAPPED_KEY_BYTES } from '../../src-node/psrd-store/master-key';
import { openTestStation, type TestStation } from '../support/station';

const CHUNK = 64 * 1024;
const CANARY = randomBytes(64);
const CANARY_AT = CHUNK + 1000; // inside the second chunk

/** A stream of random bytes with the canary planted at a known pool offset. */
function canaryStream(): EntropyStream {
  let pos = 0;
  return {
    async readInto(b) {
      const n = b.length;
      b.set(randomBytes(n));
      for (let i = 0; i < CANARY.length; i++) {
        const at = CANARY_AT + i - pos;
        if (at >= 0 && at < n) b[at] = CANARY[i];
      }
      pos += n;
    },
    provenance: () => ({ label: 'computational', sources: ['test canary'], detail: {} }),
  };
}

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? allFiles(p) : [p];
  });
}

function findInDataDir(dir: string, needle: Uint8Array): string[] {
  return allFiles(dir).filter((f) => readFileSync(f).indexOf(needle) >= 0);
}

function collect(gen: Iterable<Buffer>): Buffer {
  return Buffer.concat([...gen]);
}

let ts: TestStation;
let id: string;
beforeEach(async () => {
  ts = openTestStation();
  const { segmentIds } = await ts.station.pool.generate(canaryStream(), 4 * CHUNK, { job: 'job-0000000000000001' });
  id = segmentIds[0];
});
afterEach(() => ts.cleanup());

describe('crypto-erase', () => {
  it('keeps the canary only as ciphertext while the segment lives', () => {
    const plain = collect(ts.station.pool.read(id, 0, 4 * CHUNK));
    expect(plain.subarray(CANARY_AT, CANARY_AT + 64).equals(CANARY)).toBe(true);
    expect(findInDataDir(ts.dataDir, CANARY)).toEqual([]);
  });

  it('leaves no trace of the canary, its ciphertext or its key after the segment is destroyed', () => {
    const pool = join(ts.dataDir, 'pool');
    const seg = readFileSync(segmentPath(pool, id));
    const keys = readFileSync(keysPath(pool, id));
    const chunk1 = HEADER_BYTES + 1 * (CHUNK + 16);
    const cipherAroundCanary = seg.subarray(chunk1 + 1000, chunk1 + 1064);
    const wrappedKey = keys.subarray(HEADER_BYTES + WRAPPED_KEY_BYTES, HEADER_BYTES + 2 * WRAPPED_KEY_BYTES);
    expect(findInDataDir(ts.dataDir, cipherAroundCanary)).toHaveLength(1);

    ts.station.pool.destroySegment(ts.station.pool.state.segments.get(id)!, 'test');

    expect(findInDataDir(ts.dataDir, CANARY)).toEqual([]);
    expect(findInDataDir(ts.dataDir, cipherAroundCanary)).toEqual([]);
    expect(findInDataDir(ts.dataDir, wrappedKey)).toEqual([]);
    expect(allFiles(pool)).toEqual([]);
    expect(() => collect(ts.station.pool.read(id, 0, 1))).toThrow(/not in the unallocated pool/);
    const entry = ts.station.ledger.entries().at(-1)!;
    expect(entry).toMatchObject({ type: 'pool.segment-destroyed', data: { segment: id, reason: 'test' } });
  });

  it('destroys a range inside a segment: its bytes and key are gone, the rest still reads', async () => {
    const pool = join(ts.dataDir, 'pool');
    const before = collect(ts.station.pool.read(id, 0, 4 * CHUNK));
    const oldKeys = readFileSync(keysPath(pool, id));
    const chunk1 = HEADER_BYTES + 1 * (CHUNK + 16);
    const oldCipher1 = Buffer.from(readFileSync(segmentPath(pool, id)).subarray(chunk1 + 1000, chunk1 + 1064));
    // From inside chunk 0 to inside chunk 2: chunk 1 (with the canary) loses its key outright.
    ts.station.pool.destroyRange(id, 500, 2 * CHUNK, 'test');

    expect(findInDataDir(ts.dataDir, CANARY)).toEqual([]);
    // ... and its ciphertext is overwritten too (tidiness: the erased key is the destruction).
    expect(findInDataDir(ts.dataDir, oldCipher1)).toEqual([]);
    const newKeys = readFileSync(keysPath(pool, id));
    for (const i of [0, 1, 2]) {
      const slot = oldKeys.subarray(HEADER_BYTES + i * WRAPPED_KEY_BYTES, HEADER_BYTES + (i + 1) * WRAPPED_KEY_BYTES);
      expect(findInDataDir(ts.dataDir, slot)).toEqual([]);
    }
    expect(newKeys.subarray(HEADER_BYTES + WRAPPED_KEY_BYTES, HEADER_BYTES + 2 * WRAPPED_KEY_BYTES).every((b) => b === 0)).toBe(true);
    expect(collect(ts.station.pool.read(id, 0, 500)).equals(before.subarray(0, 500))).toBe(true);
    expect(collect(ts.station.pool.read(id, 500 + 2 * CHUNK, 2 * CHUNK - 500)).equals(before.subarray(500 + 2 * CHUNK))).toBe(true);
    expect(() => collect(ts.station.pool.read(id, CHUNK, 10))).toThrow(/destroyed/);
    expect(ts.station.pool.status().unallocatedBytes).toBe(4 * CHUNK - 2 * CHUNK);
    const [destroyed, done] = ts.station.ledger.entries().slice(-2);
    expect(destroyed).toMatchObject({ type: 'pool.range-destroyed', data: { segment: id, offset: 500, length: 2 * CHUNK } });
    // The done marker: the next start has nothing of this to redo (starts stay fast after many deliveries).
    expect(done).toMatchObject({ type: 'pool.destruction-done', data: { entries: [destroyed.seq] } });
    expect(ts.station.pool.state.pending.size).toBe(0);
    const n = ts.station.ledger.entries().length;
    expect((await ts.reopen()).ledger.entries().length).toBe(n);
    expect(() => ts.station.pool.destroyRange(id, 400, 200, 'overlap')).toThrow(/already destroyed/);
  });
});

describe('recovery of a range destruction', () => {
  it('finishes one whose file step never ran (a crash, or a failed write after its ledger entry)', async () => {
    const pool = join(ts.dataDir, 'pool');
    ts.station.ledger.append('pool.range-destroyed', { segment: id, offset: 0, length: CHUNK, reason: 'test: recorded, then the station stopped' });
    const station = await ts.reopen();
    expect(() => collect(station.pool.read(id, 0, 1))).toThrow(/destroyed/);
    const keys = readFileSync(keysPath(pool, id));
    expect(keys.subarray(HEADER_BYTES, HEADER_BYTES + WRAPPED_KEY_BYTES).every((b) => b === 0)).toBe(true);
    expect(station.pool.status().unallocatedBytes).toBe(3 * CHUNK);
  });

  it('erases a chunk torn between its new ciphertext and its new key, and records the bytes lost with it', async () => {
    const pool = join(ts.dataDir, 'pool');
    const before = collect(ts.station.pool.read(id, 0, 4 * CHUNK));
    // The crash: the ledger says [CHUNK+100, CHUNK+200) is destroyed; chunk 1 got new ciphertext under a
    // fresh key, but the station stopped before that key reached the key table.
    ts.station.ledger.append('pool.range-destroyed', { segment: id, offset: CHUNK + 100, length: 100, reason: 'test: torn' });
    const c = createCipheriv('aes-256-gcm', Buffer.alloc(32, 1), Buffer.alloc(12));
    const body = Buffer.concat([c.update(Buffer.alloc(CHUNK)), c.final(), c.getAuthTag()]);
    const fd = openSync(segmentPath(pool, id), 'r+');
    writeSync(fd, body, 0, body.length, HEADER_BYTES + (CHUNK + 16));
    closeSync(fd);

    const station = await ts.reopen();
    expect((await station.ledger.verify()).ok).toBe(true);
    const recorded = station.ledger.entries().filter((e) => e.type === 'pool.range-destroyed').map((e) => [e.data.offset, e.data.length]);
    expect(recorded).toEqual([[CHUNK + 100, 100], [CHUNK, 100], [CHUNK + 200, CHUNK - 200]]);
    expect(station.pool.status().unallocatedBytes).toBe(3 * CHUNK);
    expect(collect(station.pool.read(id, 0, CHUNK)).equals(before.subarray(0, CHUNK))).toBe(true);
    expect(collect(station.pool.read(id, 2 * CHUNK, 2 * CHUNK)).equals(before.subarray(2 * CHUNK))).toBe(true);
    expect(findInDataDir(ts.dataDir, CANARY)).toEqual([]);
    // And the next start finds nothing more to do.
    const again = await ts.reopen();
    expect(again.ledger.entries().length).toBe(station.ledger.entries().length);
  });
});
