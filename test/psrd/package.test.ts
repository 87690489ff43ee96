// The client package (src-shared/psrd): round trip, both ciphers agree, every alteration refused with a
// typed error, and decoding of arbitrary bytes fuzzed (PackageError only).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { encodePackage } from '../../src-shared/psrd/package-writer';
import { openPackage, readPackageHeader } from '../../src-shared/psrd/package-reader';
import { PackageError, packageLength, type PackageHeader } from '../../src-shared/psrd/package-format';
import { nobleCipher } from '../../src-shared/psrd/package-cipher';
import { nodeCipher } from '../../src-node/psrd-store/package-cipher-node';

const header = (bytes: number, chunkBytes = 4096): PackageHeader => ({
  format: 1, hub: 'hub-1', client: 'c-000042', package: `pkg-${'ab'.repeat(16)}`, chunkBytes, bytes, tableOffset: 1000,
  ranges: [{ segment: `seg-${'1'.repeat(24)}`, offset: 100, length: bytes - 7 }, { segment: `seg-${'2'.repeat(24)}`, offset: 0, length: 7 }],
});

async function encode(h: PackageHeader, keys: Uint8Array, psrd: Uint8Array, cipher = nodeCipher, pieceSize = 1000): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < psrd.length; i += pieceSize) pieces.push(psrd.slice(i, i + pieceSize));
  const out: Uint8Array[] = [];
  for await (const p of encodePackage(h, keys, pieces, cipher)) out.push(p.slice());
  return Buffer.concat(out);
}

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof PackageError) return e.code;
    throw e;
  }
  return 'no error';
}

describe('client package', () => {
  const keys = randomBytes(64);
  const psrd = randomBytes(10_000);
  const h = header(psrd.length);

  it('opens with the initial keys to the same PSRD, and its length is as predicted', async () => {
    const pkg = await encode(h, keys, psrd);
    expect(pkg.length).toBe(packageLength(h));
    const opened = openPackage(pkg, keys, nobleCipher);
    expect(Buffer.from(opened.psrd).equals(psrd)).toBe(true);
    expect(opened.header).toEqual(h);
  });

  it('node:crypto and @noble/ciphers produce and accept the same bytes, whatever the piece sizes', async () => {
    const a = await encode(h, keys, psrd, nodeCipher, 333);
    const b = await encode(h, keys, psrd, nobleCipher, 4096);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(openPackage(b, keys, nodeCipher).psrd).equals(psrd)).toBe(true);
  });

  it('holds no PSRD in clear: the package alone yields nothing without the initial keys', async () => {
    const pkg = Buffer.from(await encode(h, keys, psrd));
    expect(pkg.indexOf(psrd.subarray(0, 16))).toBe(-1);
    expect(code(() => openPackage(pkg, randomBytes(64), nobleCipher))).toBe('authentication-failed');
  });

  it('refuses a cut, an extended, a re-headed and a flipped package, each by its code', async () => {
    const pkg = Buffer.from(await encode(h, keys, psrd));
    expect(code(() => openPackage(pkg.subarray(0, pkg.length - 1), keys, nobleCipher))).toBe('truncated');
    expect(code(() => openPackage(Buffer.concat([pkg, Buffer.from([0])]), keys, nobleCipher))).toBe('trailing-bytes');
    const flipped = Buffer.from(pkg);
    flipped[flipped.length - 100] ^= 1;
    expect(code(() => openPackage(flipped, keys, nobleCipher))).toBe('authentication-failed');
    // The same PSRD under another client's header: the AAD binds the header, so nothing opens.
    const other = await encode({ ...h, client: 'c-000043' }, keys, psrd);
    const { bodyOffset } = readPackageHeader(other);
    const swapped = Buffer.concat([other.subarray(0, bodyOffset), pkg.subarray(readPackageHeader(pkg).bodyOffset)]);
    expect(code(() => openPackage(swapped, keys, nobleCipher))).toBe('authentication-failed');
    // Chunks in another order.
    const b = readPackageHeader(pkg).bodyOffset;
    const c = 4096 + 16;
    const reordered = Buffer.concat([pkg.subarray(0, b), pkg.subarray(b + c, b + 2 * c), pkg.subarray(b, b + c), pkg.subarray(b + 2 * c)]);
    expect(code(() => openPackage(reordered, keys, nobleCipher))).toBe('authentication-failed');
    expect(code(() => openPackage(Buffer.from('DSKEPKG2' + 'x'.repeat(40)), keys, nobleCipher))).toBe('bad-magic');
  });

  it('checks the header: unknown fields, a wrong sum, a future format', () => {
    const enc = (o: unknown): Buffer => {
      const j = Buffer.from(JSON.stringify(o));
      const len = Buffer.alloc(4);
      len.writeUInt32BE(j.length);
      return Buffer.concat([Buffer.from('DSKEPKG1'), len, j]);
    };
    expect(code(() => readPackageHeader(enc({ ...h, extra: 1 })))).toBe('bad-header');
    expect(code(() => readPackageHeader(enc({ ...h, bytes: h.bytes + 1 })))).toBe('bad-header');
    expect(code(() => readPackageHeader(enc({ ...h, format: 2 })))).toBe('unsupported-version');
    expect(code(() => readPackageHeader(enc({ ...h, ranges: [{ segment: '../x', offset: 0, length: 1 }] })))).toBe('bad-header');
  });

  it('fuzz: arbitrary bytes and mutated packages end in a PackageError, never another exception', async () => {
    const small = header(300, 1024);
    const pkg = Buffer.from(await encode(small, keys, randomBytes(300)));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        expect(code(() => openPackage(bytes, keys, nobleCipher))).not.toBe('no error');
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.nat(pkg.length - 1), fc.integer({ min: 1, max: 255 }), fc.nat(pkg.length), (at, x, cut) => {
        const m = Buffer.from(pkg);
        m[at] ^= x;
        expect(code(() => openPackage(m.subarray(0, Math.max(cut, at + 1)), keys, nobleCipher))).not.toBe('no error');
      }),
      { numRuns: 500 },
    );
  });
});
