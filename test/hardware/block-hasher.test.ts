// The package file's block digests off the main thread (hardware/carriers/block-hasher.ts): the same
// SHA-256 as node:crypto on the main thread for every length a block can have, many in flight at once,
// and still every digest, right, when the hashing thread is stopped with blocks in hand.
import { createHash, randomFillSync } from 'node:crypto';
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
});
