// The sealer (chunk-sealer.ts) writes each segment file in whole 4 KiB blocks, with O_DIRECT where the
// file system allows it, its workers sealing chunks in any order and this side joining the blocks that
// straddle two chunks: the file must come out byte for byte what sealing each chunk in place would give
// (header, then ciphertext ‖ tag per chunk, exact length), through O_DIRECT or the page cache alike, for
// any chunk size, number of chunks and number of workers; and a segment written through SegmentWriter
// must read back whole.
import { createCipheriv, randomBytes } from 'node:crypto';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { workerSealer, WRITE_BLOCK } from '../../src-node/psrd-store/chunk-sealer';
import { FileMasterKey } from '../../src-node/psrd-store/master-key';
import { HEADER_BYTES, readRange, SegmentWriter } from '../../src-node/psrd-store/segment-file';

const dir = mkdtempSync(join(tmpdir(), 'dske-sealer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What the file must hold: the header, then each chunk sealed under its key, back to back. */
function expected(header: Uint8Array, chunks: readonly { key: Buffer; aad: Buffer; plain: Buffer }[]): Buffer {
  const parts: Buffer[] = [Buffer.from(header)];
  for (const c of chunks) {
    const cipher = createCipheriv('aes-256-gcm', c.key, Buffer.alloc(12));
    cipher.setAAD(c.aad);
    parts.push(cipher.update(c.plain), cipher.final(), cipher.getAuthTag());
  }
  return Buffer.concat(parts);
}

function openFile(path: string, direct: boolean): number {
  return openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (direct ? constants.O_DIRECT : 0), 0o600);
}

describe('chunk sealer', () => {
  const cases: [string, number, number[]][] = [
    ['one short chunk, less than a block', 1024, [100]],
    ['chunks that end exactly on a block', 4096 - 16, [4080, 4080, 4080]],
    ['1 MiB chunks and a short last one', 1 << 20, [1 << 20, 1 << 20, 1 << 20, 77_777]],
    ['64 KiB chunks, many', 64 << 10, [...new Array<number>(37).fill(64 << 10), 5]],
  ];
  for (const [name, chunkBytes, sizes] of cases) {
    it(`writes exactly the sealed stream, through O_DIRECT and the page cache alike: ${name}`, async () => {
      const sealer = workerSealer(chunkBytes, 3);
      try {
        const header = randomBytes(HEADER_BYTES);
        const chunks = sizes.map((n, i) => ({ key: randomBytes(32), aad: Buffer.from(`aad-${i}`), plain: randomBytes(n) }));
        const want = expected(header, chunks);
        for (const direct of [true, false]) {
          const path = join(dir, `${name.replace(/\W+/g, '-')}-${direct ? 'direct' : 'cached'}`);
          const fd = openFile(path, direct);
          try {
            sealer.begin(fd, header);
            let pos = HEADER_BYTES;
            const sealed: Promise<void>[] = [];
            for (const [i, c] of chunks.entries()) {
              // Every other chunk through a buffer of the sealer's own, handed over without a copy.
              let plain: Uint8Array = c.plain;
              if (i % 2 === 1) {
                plain = sealer.buffer().subarray(0, c.plain.length);
                plain.set(c.plain);
              }
              sealed.push(sealer.seal(fd, pos, c.key, c.aad, plain));
              if (i % 2 === 1) expect(plain.byteLength).toBe(0);
              pos += c.plain.length + 16;
            }
            await Promise.all(sealed);
            await sealer.end(fd, pos);
          } finally {
            closeSync(fd);
          }
          expect(statSync(path).size).toBe(want.length);
          expect(readFileSync(path).equals(want)).toBe(true);
        }
      } finally {
        await sealer.close();
      }
    });
  }

  it('refuses a chunk out of order or too long, and an end at the wrong length; drop() always settles', async () => {
    const sealer = workerSealer(WRITE_BLOCK);
    try {
      const path = join(dir, 'out-of-order');
      const fd = openFile(path, true);
      try {
        sealer.begin(fd, new Uint8Array(HEADER_BYTES));
        await expect(sealer.seal(fd, HEADER_BYTES + 1, randomBytes(32), Buffer.from('a'), randomBytes(10))).rejects.toThrow(/out of order/);
        await expect(sealer.seal(fd, HEADER_BYTES, randomBytes(32), Buffer.from('a'), new Uint8Array(WRITE_BLOCK + 1))).rejects.toThrow(/wrong size/);
        await expect(sealer.end(fd, HEADER_BYTES + 5)).rejects.toThrow(/not 37/);
        await expect(sealer.drop(fd)).resolves.toBeUndefined();
        await expect(sealer.drop(12345)).resolves.toBeUndefined();
      } finally {
        closeSync(fd);
      }
    } finally {
      await sealer.close();
    }
  });

  it('a segment written through SegmentWriter reads back whole, at its exact size', async () => {
    const master = FileMasterKey.create(join(dir, 'keys', 'master.key'));
    const chunkBytes = 64 << 10;
    const sealer = workerSealer(chunkBytes);
    try {
      const plain = randomBytes(5 * chunkBytes + 1234);
      const w = await SegmentWriter.create(dir, 'seg-00000000000000aa00000000', chunkBytes, master, sealer);
      const buf = new Uint8Array(chunkBytes);
      for (let off = 0; off < plain.length; off += chunkBytes) {
        const piece = plain.subarray(off, off + chunkBytes);
        buf.set(piece);
        await w.appendChunk(buf.subarray(0, piece.length));
      }
      await w.finish();
      expect(statSync(join(dir, 'seg-00000000000000aa00000000.seg')).size).toBe(HEADER_BYTES + 6 * 16 + plain.length);
      expect(Buffer.concat([...readRange(dir, 'seg-00000000000000aa00000000', master, 0, plain.length)]).equals(plain)).toBe(true);
    } finally {
      await sealer.close();
      master.close();
    }
  });
});
