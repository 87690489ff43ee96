// The printed QR sheet (hardware/carriers/qr-sheet.ts) and its chunk format (src-shared/psrd/qr-chunk.ts):
// a package goes onto a PDF and comes back, byte for byte, through a 150 dpi rasterisation (pdftoppm)
// and an independent QR reader (zbarimg); bad chunks get a typed error and nothing else.
//
// zbarimg 0.23.92 (Debian's zbar-tools) and binary data: `--xml` alone gives base64, but of the bytes
// after a charset conversion (not the bytes in the code); `--xml -Sbinary` prints the raw bytes inside
// the XML without base64; `--raw -Sbinary` prints each symbol's raw bytes with no separator between
// symbols. So each code is cropped out of the page on its own (pdftoppm -x -y -W -H, from the sheet's
// codePlacement) and read with `--raw -Sbinary`: one symbol per image, its bytes exactly.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PackageStream } from '../../hardware/carriers/carrier';
import { CODES_PER_PAGE, DEFAULT_MAX_QR_PACKAGE_BYTES, QrSheetCarrier, codePlacement, qrForChunk } from '../../hardware/carriers/qr-sheet';
import {
  QR_CHUNK_HEADER_BYTES,
  QR_CHUNK_MAX_PAYLOAD,
  QR_V25_M_BYTE_CAPACITY,
  QrChunkError,
  assembleChunks,
  crc32,
  decodeChunk,
  encodeChunk,
  splitIntoChunks,
  type QrChunk,
} from '../../src-shared/psrd/qr-chunk';
import { tempDir } from '../support/station';
import { refusal as failure } from '../support/refusal';

const have = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const haveRaster = have('pdftoppm') && have('zbarimg');
const havePdftotext = have('pdftotext');
const DPI = 150;

const PKG_ID = 'pkg-0123456789abcdef0123456789abcdef';
const newPackageId = (): string => `pkg-${randomBytes(16).toString('hex')}`;

/** A package stream over fixed bytes, in pieces that the carrier must copy (each is reused). */
function fakePackage(bytes: Uint8Array, over: Partial<PackageStream> = {}): PackageStream {
  return {
    hubId: 'hub-test',
    clientId: 'c-4711001',
    packageId: newPackageId(),
    ranges: [{ segment: 'seg-000000000000000000000001', offset: 0, length: bytes.length }],
    length: bytes.length,
    async *pieces() {
      const piece = new Uint8Array(1000);
      for (let at = 0; at < bytes.length; at += piece.length) {
        const n = Math.min(piece.length, bytes.length - at);
        piece.set(bytes.subarray(at, at + n));
        yield piece.subarray(0, n);
      }
    },
    ...over,
  };
}

const never = new AbortController().signal;

function chunkError(f: () => unknown): QrChunkError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(QrChunkError);
    return e as QrChunkError;
  }
  throw new Error('expected a QrChunkError');
}

/** Reads every code of a sheet back through pdftoppm and zbarimg, one cropped code at a time. */
function scanSheet(pdf: string, codes: number, work: string): Uint8Array[] {
  const px = (pt: number): number => Math.round((pt * DPI) / 72);
  const out: Uint8Array[] = [];
  for (let i = 0; i < codes; i++) {
    const { page, left, top, size } = codePlacement(i);
    const prefix = join(work, `code-${i}`);
    execFileSync('pdftoppm', ['-r', String(DPI), '-png', '-f', String(page), '-l', String(page), '-singlefile',
      '-x', String(px(left - 4)), '-y', String(px(top - 4)), '-W', String(px(size + 8)), '-H', String(px(size + 8)), pdf, prefix]);
    const r = spawnSync('zbarimg', ['--nodbus', '--raw', '-Sbinary', `${prefix}.png`], { encoding: 'buffer' });
    expect(r.status, `zbarimg on code ${i + 1}: ${r.stderr.toString()}`).toBe(0);
    expect(r.stderr.toString()).toMatch(/scanned 1 barcode symbols? from 1 image/);
    out.push(new Uint8Array(r.stdout));
  }
  return out;
}

describe('QR chunk format', () => {
  it('lays out the header as documented and round-trips', () => {
    const payload = Uint8Array.from([1, 2, 3, 4, 5]);
    const bytes = encodeChunk({ packageId: PKG_ID, index: 2, count: 3, offset: 10, packageLength: 15, payload });
    expect(bytes.length).toBe(QR_CHUNK_HEADER_BYTES + 5 + 4);
    expect(Array.from(bytes.subarray(0, 6))).toEqual([0x44, 0x53, 0x51, 0x52, 1, 0]);
    expect(Array.from(bytes.subarray(6, 22))).toEqual([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]);
    expect(Array.from(bytes.subarray(22, 36))).toEqual([0, 2, 0, 3, 0, 0, 0, 10, 0, 0, 0, 15, 0, 5]);
    expect(Array.from(bytes.subarray(36, 41))).toEqual([1, 2, 3, 4, 5]);
    const crc = crc32(bytes, 0, 41);
    expect(Array.from(bytes.subarray(41))).toEqual([crc >>> 24, (crc >>> 16) & 255, (crc >>> 8) & 255, crc & 255]);
    expect(decodeChunk(bytes)).toEqual({ packageId: PKG_ID, index: 2, count: 3, offset: 10, packageLength: 15, payload });
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926); // the CRC-32 check value
  });

  it('splits into near-equal chunks that fit a version-25-M QR code', () => {
    expect(QR_CHUNK_MAX_PAYLOAD).toBe(957);
    const pkg = randomBytes(3 * 1024);
    const chunks = splitIntoChunks(PKG_ID, pkg);
    expect(chunks.map((c) => c.payload.length)).toEqual([768, 768, 768, 768]);
    expect(Buffer.from(assembleChunks(chunks))).toEqual(pkg);
    const full = encodeChunk(splitIntoChunks(PKG_ID, randomBytes(QR_CHUNK_MAX_PAYLOAD))[0]!);
    expect(full.length).toBe(QR_V25_M_BYTE_CAPACITY);
    expect(qrForChunk(full).version).toBe(25);
    expect(splitIntoChunks(PKG_ID, new Uint8Array(0))).toHaveLength(1);
    expect(splitIntoChunks(PKG_ID, randomBytes(1000), 100)).toHaveLength(10);
    expect(chunkError(() => splitIntoChunks('pkg-XYZ', pkg)).code).toBe('bad-package-id');
    expect(chunkError(() => splitIntoChunks(PKG_ID, pkg, QR_CHUNK_MAX_PAYLOAD + 1)).code).toBe('too-large');
  });

  it('gives each kind of bad chunk its own code', () => {
    const good = encodeChunk({ packageId: PKG_ID, index: 0, count: 1, offset: 0, packageLength: 3, payload: Uint8Array.from([7, 8, 9]) });
    const mutate = (f: (b: Uint8Array) => void): Uint8Array => {
      const b = good.slice();
      f(b);
      return b;
    };
    const reCrc = (b: Uint8Array): Uint8Array => {
      new DataView(b.buffer).setUint32(b.length - 4, crc32(b, 0, b.length - 4));
      return b;
    };
    expect(chunkError(() => decodeChunk(good.subarray(0, 3))).code).toBe('truncated');
    expect(chunkError(() => decodeChunk(good.subarray(0, good.length - 1))).code).toBe('truncated');
    expect(chunkError(() => decodeChunk(mutate((b) => (b[0] = 0x45)))).code).toBe('bad-magic');
    expect(chunkError(() => decodeChunk(mutate((b) => (b[4] = 2)))).code).toBe('unsupported-version');
    expect(chunkError(() => decodeChunk(mutate((b) => (b[37] ^= 1)))).code).toBe('bad-crc');
    expect(chunkError(() => decodeChunk(Uint8Array.from([...good, 0]))).code).toBe('bad-header');
    expect(chunkError(() => decodeChunk(reCrc(mutate((b) => (b[23] = 1))))).code).toBe('bad-header'); // index 1 of 1
    expect(chunkError(() => decodeChunk(reCrc(mutate((b) => (b[33] = 9))))).code).toBe('bad-header'); // the last chunk ends short
    expect(chunkError(() => decodeChunk(reCrc(mutate((b) => (b[5] = 1))))).code).toBe('bad-header'); // unknown flags
  });

  it('decodes random bytes and mutated chunks with a QrChunkError or a valid chunk, never anything else', () => {
    const valid = splitIntoChunks(PKG_ID, randomBytes(2000), 500).map(encodeChunk);
    const onlyTyped = (bytes: Uint8Array): void => {
      try {
        const c = decodeChunk(bytes);
        expect(encodeChunk(c)).toEqual(bytes); // what decodes re-encodes to the same bytes
      } catch (e) {
        if (!(e instanceof QrChunkError)) throw e;
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1200 }), (b) => onlyTyped(b)), { numRuns: 2000 });
    const mutation = fc.record({
      chunk: fc.integer({ min: 0, max: valid.length - 1 }),
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      cut: fc.option(fc.nat()),
      extra: fc.uint8Array({ maxLength: 3 }),
      header: fc.boolean(),
    });
    fc.assert(
      fc.property(mutation, ({ chunk, edits, cut, extra, header }) => {
        let b = valid[chunk]!.slice();
        // Header edits land in the first 36 bytes, where the checks other than the CRC live.
        for (const [at, v] of edits) b[at % (header ? QR_CHUNK_HEADER_BYTES : b.length)] = v;
        if (header) new DataView(b.buffer).setUint32(b.length - 4, crc32(b, 0, b.length - 4));
        if (cut !== null) b = b.subarray(0, cut % (b.length + 1));
        onlyTyped(Uint8Array.from([...b, ...extra]));
      }),
      { numRuns: 3000 },
    );
  });

  it('assembles from any order and names missing and duplicate chunks', () => {
    const pkg = randomBytes(5000);
    const chunks = splitIntoChunks(PKG_ID, pkg, 500);
    expect(Buffer.from(assembleChunks([...chunks].reverse()))).toEqual(pkg);

    const missing = chunkError(() => assembleChunks(chunks.filter((c) => c.index !== 2 && c.index !== 7)));
    expect(missing.code).toBe('missing-chunks');
    expect(missing.missing).toEqual([2, 7]);
    expect(missing.message).toContain('codes 3, 8 of 10');

    const twice = chunkError(() => assembleChunks([...chunks, chunks[4]!]));
    expect(twice.code).toBe('duplicate-chunks');
    expect(twice.duplicates).toEqual([4]);
    expect(twice.message).toContain('code 5 of 10');

    const both = chunkError(() => assembleChunks([...chunks.slice(1), chunks[9]!]));
    expect(both.code).toBe('duplicate-chunks');
    expect([both.duplicates, both.missing]).toEqual([[9], [0]]);

    const other = splitIntoChunks(newPackageId(), pkg, 500);
    expect(chunkError(() => assembleChunks([...chunks.slice(0, 9), other[9]!])).code).toBe('mixed-packages');
    expect(chunkError(() => assembleChunks([])).code).toBe('no-chunks');
    const shifted: QrChunk[] = chunks.map((c) => (c.index === 3 ? { ...c, offset: c.offset + 1, payload: c.payload.subarray(1) } : c));
    expect(chunkError(() => assembleChunks(shifted)).code).toBe('bad-offsets');
  });
});

describe('QR sheet carrier', () => {
  it.skipIf(!haveRaster || !havePdftotext)('prints a 3 KiB package that pdftoppm and zbarimg read back byte for byte (needs poppler-utils and zbar-tools)', async () => {
    const dir = tempDir('dske-qr-');
    const bytes = randomBytes(3 * 1024 + 17);
    const pkg = fakePackage(bytes);
    const carrier = QrSheetCarrier.open(join(dir, 'sheet.pdf'));
    await carrier.preflight(pkg.length);
    const seen: string[] = [];
    const written = await carrier.write(pkg, (p) => seen.push(`${p.phase}:${p.bytesDone}/${p.bytesTotal}`), never);
    expect(written).toMatchObject({ pages: 1, codes: 4, packageBytes: bytes.length });
    expect(Object.keys(written).sort()).toEqual(['codes', 'packageBytes', 'packageId', 'pages', 'pdfBytes', 'target']);
    expect(seen.at(-1)).toBe(`write:${bytes.length}/${bytes.length}`);
    await carrier.verify(pkg, written, (p) => seen.push(`${p.phase}:${p.bytesDone}/${p.bytesTotal}`), never);
    expect(seen.at(-1)).toBe(`verify:${bytes.length}/${bytes.length}`);
    expect(await carrier.describe()).toMatchObject({ kind: 'qr', target: join(dir, 'sheet.pdf'), pages: 1, codes: 4 });
    expect(readdirSync(dir)).toEqual(['sheet.pdf']); // no temporary file left beside it

    const scanned = scanSheet(join(dir, 'sheet.pdf'), 4, tempDir('dske-qr-scan-'));
    const chunks = scanned.map((b) => decodeChunk(b));
    expect(chunks.map((c) => c.index)).toEqual([0, 1, 2, 3]);
    expect(chunks.every((c) => c.packageId === pkg.packageId)).toBe(true);
    expect(Buffer.from(assembleChunks(chunks))).toEqual(bytes);

    const text = execFileSync('pdftotext', ['-layout', join(dir, 'sheet.pdf'), '-'], { encoding: 'utf8' });
    expect(text).toContain('c-4711001');
    expect(text).toContain(pkg.packageId);
    expect(text).toContain('page 1 of 1');
    expect(text).toContain('Code 4 of 4');
    expect(text).toMatch(/Keep this sheet sealed/);
    expect(text).toMatch(/destroy the sheet/);
  });

  it.skipIf(!haveRaster)('spreads a larger package over pages, four codes a page, every one readable at 150 dpi (needs poppler-utils and zbar-tools)', async () => {
    const dir = tempDir('dske-qr-');
    const bytes = randomBytes(8 * 1024);
    const pkg = fakePackage(bytes);
    const carrier = QrSheetCarrier.open(join(dir, 'big.pdf'));
    const written = await carrier.write(pkg, () => {}, never);
    expect(written).toMatchObject({ codes: 9, pages: Math.ceil(9 / CODES_PER_PAGE) });
    await carrier.verify(pkg, written, () => {}, never);
    const chunks = scanSheet(join(dir, 'big.pdf'), 9, tempDir('dske-qr-scan-')).map((b) => decodeChunk(b));
    expect(Buffer.from(assembleChunks(chunks))).toEqual(bytes);
  });

  it('refuses in preflight a package too large, an existing file, a missing or read-only folder', async () => {
    const dir = tempDir('dske-qr-');
    const sheet = QrSheetCarrier.open(join(dir, 'a.pdf'));
    await sheet.preflight(DEFAULT_MAX_QR_PACKAGE_BYTES);
    expect((await failure(sheet.preflight(DEFAULT_MAX_QR_PACKAGE_BYTES + 1))).code).toBe('package-too-large');
    expect((await failure(QrSheetCarrier.open(join(dir, 'a.pdf'), { maxPackageBytes: 1024 }).preflight(1025))).code).toBe('package-too-large');

    writeFileSync(join(dir, 'taken.pdf'), 'someone else’s file');
    expect((await failure(QrSheetCarrier.open(join(dir, 'taken.pdf')).preflight(100))).code).toBe('medium-not-allowed');
    expect((await failure(QrSheetCarrier.open(join(dir, 'no-such-folder', 'a.pdf')).preflight(100))).code).toBe('medium-not-allowed');
    expect((await failure(QrSheetCarrier.open(join(dir, 'taken.pdf', 'a.pdf')).preflight(100))).code).toBe('medium-not-allowed');
    expect((await failure(QrSheetCarrier.open(join(dir, 'a.txt')).preflight(100))).code).toBe('medium-not-allowed');

    const ro = join(dir, 'ro');
    execFileSync('mkdir', [ro]);
    chmodSync(ro, 0o555);
    try {
      expect((await failure(QrSheetCarrier.open(join(ro, 'a.pdf')).preflight(100))).code).toBe('medium-read-only');
    } finally {
      chmodSync(ro, 0o755);
    }
    expect(readdirSync(dir).sort()).toEqual(['ro', 'taken.pdf']); // the write probe left nothing
    expect(readFileSync(join(dir, 'taken.pdf'), 'utf8')).toBe('someone else’s file');
  });

  it('refuses in write a package above the limit and a file that appeared since preflight', async () => {
    const dir = tempDir('dske-qr-');
    const small = QrSheetCarrier.open(join(dir, 'a.pdf'), { maxPackageBytes: 100 });
    expect((await failure(small.write(fakePackage(randomBytes(101)), () => {}, never))).code).toBe('package-too-large');
    const carrier = QrSheetCarrier.open(join(dir, 'b.pdf'));
    await carrier.preflight(500);
    writeFileSync(join(dir, 'b.pdf'), 'arrived meanwhile');
    expect((await failure(carrier.write(fakePackage(randomBytes(500)), () => {}, never))).code).toBe('medium-not-allowed');
    expect(readFileSync(join(dir, 'b.pdf'), 'utf8')).toBe('arrived meanwhile');
    expect(readdirSync(dir)).toEqual(['b.pdf']);
  });

  it('fails verify when a byte of the PDF on disk changed, or the package differs', async () => {
    const dir = tempDir('dske-qr-');
    const bytes = randomBytes(2000);
    const pkg = fakePackage(bytes);
    const carrier = QrSheetCarrier.open(join(dir, 'sheet.pdf'));
    const written = await carrier.write(pkg, () => {}, never);
    const pdf = readFileSync(join(dir, 'sheet.pdf'));
    pdf[Math.floor(pdf.length / 2)] ^= 0x01;
    writeFileSync(join(dir, 'sheet.pdf'), pdf);
    expect((await failure(carrier.verify(pkg, written, () => {}, never))).code).toBe('verify-failed');

    const other = QrSheetCarrier.open(join(dir, 'other.pdf'));
    const w2 = await other.write(pkg, () => {}, never);
    const changed = Buffer.from(bytes);
    changed[1500] ^= 0x80;
    expect((await failure(other.verify(fakePackage(changed, { packageId: pkg.packageId }), w2, () => {}, never))).code).toBe('verify-failed');
    expect((await failure(QrSheetCarrier.open(join(dir, 'sheet.pdf')).verify(pkg, written, () => {}, never))).code).toBe('verify-failed');
  });

  it('discards its own sheet (overwritten, then unlinked), also from a fresh carrier, and nobody else’s file', async () => {
    const dir = tempDir('dske-qr-');
    const pkg = fakePackage(randomBytes(1000));
    const carrier = QrSheetCarrier.open(join(dir, 'sheet.pdf'));
    await carrier.write(pkg, () => {}, never);
    await carrier.discard(pkg);
    expect(existsSync(join(dir, 'sheet.pdf'))).toBe(false);

    // After a restart: a new carrier finds the sheet by the package id in its Info dictionary.
    await QrSheetCarrier.open(join(dir, 'sheet.pdf')).write(pkg, () => {}, never);
    await QrSheetCarrier.open(join(dir, 'sheet.pdf')).discard({ packageId: newPackageId() });
    expect(existsSync(join(dir, 'sheet.pdf'))).toBe(true);
    await QrSheetCarrier.open(join(dir, 'sheet.pdf')).discard(pkg);
    expect(existsSync(join(dir, 'sheet.pdf'))).toBe(false);

    writeFileSync(join(dir, 'mine.pdf'), 'not a sheet');
    await QrSheetCarrier.open(join(dir, 'mine.pdf')).discard(pkg);
    await QrSheetCarrier.open(join(dir, 'no-such-folder', 'x.pdf')).discard(pkg);
    expect(readdirSync(dir)).toEqual(['mine.pdf']);
  });

  it('stops on cancel and leaves no file', async () => {
    const dir = tempDir('dske-qr-');
    const ac = new AbortController();
    const carrier = QrSheetCarrier.open(join(dir, 'sheet.pdf'));
    const p = carrier.write(fakePackage(randomBytes(5000)), (pr) => {
      if (pr.bytesDone > 0) ac.abort();
    }, ac.signal);
    expect((await failure(p)).code).toBe('cancelled');
    expect(readdirSync(dir)).toEqual([]);
  });
});
