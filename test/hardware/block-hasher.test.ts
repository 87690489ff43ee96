// The package file's block digests off the main thread (hardware/carriers/block-hasher.ts): the same
// SHA-256 as node:crypto on the main thread for every length a block can have, many in flight at once,
// and still every digest, right, when the hashing thread is stopped with blocks in hand; memory given
// back and reused (not left for the thread's rare collections); a process that stopped the thread still
// exits; a runtime without SharedArrayBuffer hashes on its main thread instead of aborting.
import { spawnSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blockHasher, stopHashingThread } from '../../hardware/carriers/block-hasher';

const MiB = 1 << 20;
const hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('block hasher', () => {
  afterAll(() => stopHashingThread());

  it('gives page-aligned buffers shared with the hashing thread, and their SHA-256 at every length', async () => {
    const h = blockHasher(4, MiB);
    expect(h.slots).toHaveLength(4);
    expect(h.threaded).toBe(true);
    for (const s of h.slots) {
      expect(s.byteLength).toBe(MiB);
      expect(s.byteOffset % 4096).toBe(0);
      randomFillSync(s);
    }
    const lengths = [0, 1, 4095, 4096, 65537, MiB - 1, MiB];
    const got = await Promise.all(lengths.map((n, i) => h.digest(i % 4, n)));
    expect(got).toEqual(lengths.map((n, i) => hex(h.slots[i % 4]!.subarray(0, n))));
    h.close();
    expect(h.slots.every((s) => s.every((b) => b === 0))).toBe(true);
  });

  it('keeps each digest apart when many are in flight from several hashers at once', async () => {
    const hs = [blockHasher(2, MiB), blockHasher(2, MiB)];
    for (const h of hs) for (const s of h.slots) randomFillSync(s);
    const asked = hs.flatMap((h) => [0, 1, 0, 1].map((slot) => ({ h, slot, digest: h.digest(slot, MiB) })));
    for (const a of asked) expect(await a.digest).toBe(hex(a.h.slots[a.slot]!));
    for (const h of hs) h.close();
  });

  it('still gives every digest, right, when the hashing thread is stopped with blocks in hand', async () => {
    const h = blockHasher(4, MiB);
    for (const s of h.slots) randomFillSync(s);
    const asked = [0, 1, 2, 3].map((slot) => h.digest(slot, MiB));
    await stopHashingThread();
    expect(await Promise.all(asked)).toEqual(h.slots.map(hex));
    // The next digest starts a new thread.
    expect(await h.digest(2, 100)).toBe(hex(h.slots[2]!.subarray(0, 100)));
    expect(h.threaded).toBe(true);
    h.close();
  });

  it('gives each package\'s memory back for the next, two at once never sharing it, and hashes nothing once closed', async () => {
    const a = blockHasher(2, MiB);
    const b = blockHasher(2, MiB);
    expect(a.slots[0]!.buffer).not.toBe(b.slots[0]!.buffer);
    randomFillSync(a.slots[1]!);
    await a.digest(1, MiB);
    a.close();
    expect(() => a.digest(0, 1)).toThrow(/closed/);
    const c = blockHasher(2, MiB);
    expect(c.slots[0]!.buffer).toBe(a.slots[0]!.buffer);
    expect(c.slots[1]!.every((x) => x === 0)).toBe(true);
    b.close();
    c.close();
  });
});

describe('block hasher in a process of its own', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dske-hasher-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (flags: string[], body: string): { status: number | null; out: string } => {
    const script = join(dir, `s${Math.random().toString(16).slice(2)}.mts`);
    writeFileSync(script, `import { createHash, randomFillSync } from 'node:crypto';\nimport { blockHasher, stopHashingThread } from ${JSON.stringify(resolve('hardware/carriers/block-hasher.ts'))};\n${body}\n`);
    // A generous bound: the process must end by itself, not be waited for.
    const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, out: r.stdout + r.stderr };
  };
  const body = `
const h = blockHasher(2, 1 << 20);
randomFillSync(h.slots[0]);
const want = createHash('sha256').update(h.slots[0]).digest('hex');
const first = await h.digest(0, 1 << 20);
const stopped = stopHashingThread(); // nothing in hand: the next digest starts a new thread while this one ends
const second = await h.digest(0, 1 << 20);
await stopped;
h.close();
console.log(JSON.stringify({ right: first === want && second === want, threaded: h.threaded }));`;

  it('exits once its work is done, after the thread was stopped and a new one started', () => {
    const r = run([], body);
    expect(r.status, r.out).toBe(0);
    expect(JSON.parse(r.out.trim().split('\n').at(-1)!)).toEqual({ right: true, threaded: true });
  });

  it('hashes on the main thread where SharedArrayBuffer is not available (posting shared memory there would abort)', () => {
    // As under --no-harmony-sharedarraybuffer, which the TypeScript loader itself cannot run without.
    const r = run([], `delete (globalThis as { SharedArrayBuffer?: unknown }).SharedArrayBuffer;\n${body}`);
    expect(r.status, r.out).toBe(0);
    expect(JSON.parse(r.out.trim().split('\n').at(-1)!)).toEqual({ right: true, threaded: false });
  });
});
