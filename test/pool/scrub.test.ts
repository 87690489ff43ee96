// `pool scrub` (issue S5 item 4): a job that checks every chunk's authentication tag, read-only on the
// pool, with progress; it names each damaged chunk (one flipped byte is enough) and records the result.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, readSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, EXIT_FAILED, EXIT_OK } from '../../src-main/cli/run';
import { transportContext } from '../../src-main/station/station';
import type { ScrubResult } from '../../src-shared/api/pool';
import { HEADER_BYTES, keysPath, segmentPath } from '../../src-node/psrd-store/segment-file';
import { WRAPPED_KEY_BYTES } from '../../src-node/psrd-store/master-key';
import { enrolPeople, OP, openTestStation, passphraseFiles, PEOPLE, signedIn, SMALL_POLICY, tempDir, type TestStation } from '../support/station';

const CHUNK = SMALL_POLICY.chunkBytes;
const SEGMENT = SMALL_POLICY.segmentBytes;
// Three full segments and a short last one whose last chunk is short too.
const BYTES = 3 * SEGMENT + 2 * CHUNK + 1000;
const TAG = 'its authentication tag does not match (the ciphertext or its key was changed)';

let ts: TestStation;
let ids: string[];
let pool: string;
beforeEach(async () => {
  ts = openTestStation();
  pool = join(ts.dataDir, 'pool');
  ids = [...(await ts.station.handlers.pool.generate({ bytes: BYTES }, OP)).segmentIds];
});
afterEach(() => ts.cleanup());

function flip(path: string, at: number): void {
  const fd = openSync(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    b[0] ^= 0x01;
    writeSync(fd, b, 0, 1, at);
  } finally {
    closeSync(fd);
  }
}

/** Where chunk `index` of a segment file starts (its header, then ciphertext ‖ tag per chunk). */
const chunkAt = (index: number): number => HEADER_BYTES + index * (CHUNK + 16);

function hashes(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(pool).sort()) out[name] = createHash('sha256').update(readFileSync(join(pool, name))).digest('hex');
  return out;
}

function scrub(): Promise<ScrubResult> {
  return ts.station.handlers.pool.scrub({}, OP);
}

const lastOf = (type: string): Record<string, unknown> | undefined => ts.station.ledger.entries().filter((e) => e.type === type).at(-1)?.data;

describe('pool scrub', () => {
  it('finds nothing wrong in a clean pool, records that, and changes no file', async () => {
    const before = hashes();
    const progress: number[] = [];
    const off = ts.station.events.on('jobs.changed', (j) => {
      if (j.kind === 'pool-scrub') progress.push(j.done);
    });
    const r = await scrub();
    off();
    const chunks = ids.length * (SEGMENT / CHUNK) - 1; // the last segment is 2 chunks and 1000 bytes: 3 chunks
    expect(r).toEqual({ segments: 4, chunks, bytes: BYTES, damaged: [], damagedCount: 0 });
    expect(progress.at(-1)).toBe(BYTES);
    expect(hashes()).toEqual(before);
    expect(lastOf('pool.scrubbed')).toEqual({ segments: 4, chunks, bytes: BYTES, damaged: [], damagedCount: 0, actor: { host: 'test', operator: OP.operator!.name } });
    const ended = ts.station.ledger.entries().at(-1)!;
    expect(ended).toMatchObject({ type: 'job.ended', data: { outcome: 'done' } });
  });

  it('names exactly the chunk with one flipped byte in its ciphertext, and leaves the files as they were', async () => {
    flip(segmentPath(pool, ids[1]), chunkAt(2) + CHUNK / 2);
    const before = hashes();
    const r = await scrub();
    expect(r.damaged).toEqual([{ segment: ids[1], chunk: 2, offset: 2 * CHUNK, reason: TAG }]);
    expect(r.damagedCount).toBe(1);
    expect(r.bytes).toBe(BYTES);
    expect(hashes()).toEqual(before);
    expect(lastOf('pool.scrubbed')).toMatchObject({ damaged: [{ segment: ids[1], chunk: 2, offset: 2 * CHUNK, reason: TAG }], damagedCount: 1 });
    // Nothing was destroyed or repaired: the pool still counts every byte.
    expect(ts.station.pool.status().unallocatedBytes).toBe(BYTES);
  });

  it('names a flipped tag, and a flipped byte in the short last chunk', async () => {
    flip(segmentPath(pool, ids[0]), chunkAt(1) + CHUNK); // the first byte of chunk 1's tag
    flip(segmentPath(pool, ids[3]), chunkAt(2) + 500); // the last chunk: 1000 bytes
    const r = await scrub();
    expect(r.damaged).toEqual([
      { segment: ids[0], chunk: 1, offset: CHUNK, reason: TAG },
      { segment: ids[3], chunk: 2, offset: 2 * CHUNK, reason: TAG },
    ]);
  });

  it("names the chunk whose key was changed in the .keys file", async () => {
    flip(keysPath(pool, ids[2]), HEADER_BYTES + 3 * WRAPPED_KEY_BYTES + 20);
    const before = hashes();
    const r = await scrub();
    expect(r.damaged).toEqual([{ segment: ids[2], chunk: 3, offset: 3 * CHUNK, reason: 'its key does not unwrap' }]);
    expect(hashes()).toEqual(before);
  });

  it('names the chunks a shortened segment file no longer holds, and a damaged header', async () => {
    truncateSync(segmentPath(pool, ids[0]), chunkAt(3) + 100);
    flip(keysPath(pool, ids[1]), 2); // the key table's magic
    const r = await scrub();
    expect(r.damaged).toEqual([
      { segment: ids[0], chunk: 3, offset: 3 * CHUNK, reason: 'the file is shorter than the ledger records' },
      { segment: ids[1], chunk: null, offset: null, reason: "the key table's header does not match the ledger" },
    ]);
  });

  it('skips chunks destroyed on purpose, and names a key erased without a record', async () => {
    ts.station.pool.destroyRange(ids[0], CHUNK, CHUNK, 'test'); // chunk 1, whole: its key slot is zeroed
    ts.station.pool.destroyRange(ids[0], 2 * CHUNK + 10, 10, 'test'); // inside chunk 2: re-encrypted, still checked
    const keys = openSync(keysPath(pool, ids[1]), 'r+');
    writeSync(keys, Buffer.alloc(WRAPPED_KEY_BYTES), 0, WRAPPED_KEY_BYTES, HEADER_BYTES); // chunk 0's key, erased behind the ledger's back
    closeSync(keys);
    const r = await scrub();
    expect(r.bytes).toBe(BYTES - CHUNK);
    expect(r.damaged).toEqual([{ segment: ids[1], chunk: 0, offset: 0, reason: 'its key was erased, but the ledger records no destruction of it' }]);
  });

  it('stops when cancelled, records what it had checked, and is refused while the segments are held', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(ts.station.handlers.pool.scrub({}, { ...OP, signal: ac.signal })).rejects.toMatchObject({ code: 'cancelled' });
    expect(lastOf('pool.scrub-stopped')).toMatchObject({ chunks: 1, code: 'cancelled' });

    const release = ts.station.jobs.locks.acquire(['pool:segments'], { id: 'job-test', title: 'Destroying expired segments' });
    await expect(scrub()).rejects.toMatchObject({ code: 'busy' });
    release();
    // A generation holds only the generator: the scrub runs beside it.
    const gen = ts.station.jobs.locks.acquire(['pool:generate'], { id: 'job-test', title: 'Generating' });
    expect((await scrub()).damaged).toEqual([]);
    gen();
  });

  it('checks only the segments in the pool when it starts, while a generation adds more', async () => {
    const before = ts.station.pool.status().unallocatedBytes;
    const [r, g] = await Promise.all([scrub(), ts.station.handlers.pool.generate({ bytes: 2 * SEGMENT }, OP)]);
    expect(r.bytes).toBe(before);
    expect(g.segmentIds).toHaveLength(2);
    expect(ts.station.pool.status().unallocatedBytes).toBe(before + 2 * SEGMENT);
  });
});

describe('dske-station pool scrub', () => {
  it('lists the damaged chunk, one per line, and exits 1; an auditor may run it', async () => {
    await enrolPeople(ts.station);
    flip(segmentPath(pool, ids[1]), chunkAt(2) + CHUNK / 2);
    const auditor = await signedIn(ts.station, PEOPLE.auditor.name);
    expect(await ts.station.dispatch('pool.scrub', {}, auditor)).toMatchObject({ ok: true, value: { damagedCount: 1 } });
    const desk = await signedIn(ts.station, PEOPLE.desk.name);
    expect(await ts.station.dispatch('pool.scrub', {}, desk)).toMatchObject({ ok: false, error: { code: 'not-permitted' } });
    expect(await ts.station.dispatch('pool.scrub', {}, transportContext('test'))).toMatchObject({ ok: false, error: { code: 'unauthenticated' } });
    await ts.station.close();

    const files = passphraseFiles(tempDir('dske-scrub-pass-'));
    const run = async (): Promise<{ code: number; out: string }> => {
      let out = '';
      const code = await runCli(['--data-dir', ts.dataDir, '--operator', PEOPLE.auditor.name, '--passphrase-file', files[PEOPLE.auditor.name], 'pool', 'scrub'], { io: { out: (l) => (out += l + '\n'), err: (l) => (out += l + '\n') } });
      return { code, out };
    };
    const damaged = await run();
    expect(damaged.code).toBe(EXIT_FAILED);
    const lines = damaged.out.trim().split('\n');
    expect(lines[0]).toMatch(/^Checked 15 chunk\(s\), .* in 4 segment\(s\): 1 DAMAGED/);
    expect(lines.slice(1)).toEqual([`DAMAGED  ${ids[1]} chunk 2 (bytes from ${2 * CHUNK}): ${TAG}`]);

    flip(segmentPath(pool, ids[1]), chunkAt(2) + CHUNK / 2); // flipped back
    const clean = await run();
    expect(clean.code).toBe(EXIT_OK);
    expect(clean.out).toContain('every authentication tag matches');
    await ts.reopen();
  }, 60_000);
});
