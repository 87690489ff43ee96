// The client's importers on real media (issue S10, part 2): a package a real station printed as a QR
// sheet (qr:FILE.pdf), rendered to PNG pages by pdftoppm as a scanner would, read back with jsqr and
// imported — also from one cropped image per code, in any order, with a page scanned twice — and the
// damaged or missing code named in the error; a package on a SoftHSM2 token in the 'data' profile read
// and imported, and one in the 'secret' profile refused because its objects cannot be extracted.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { create as createQr } from 'qrcode';
import { codePlacement, rasteriseQr } from '../../hardware/carriers/qr-sheet';
import { ClientFailure, type ClientErrorCode } from '../../src-client/errors';
import { readPackageFromToken } from '../../src-client/import/hsm-token';
import { readQrSheetImages } from '../../src-client/import/qr-images';
import { ClientStore } from '../../src-client/store/client-store';
import { SOFTHSM_MODULE, noQrToolsReason, noSoftHsmReason, scanSheet, softHsmTokens } from '../support/media';
import { assembleChunks, decodeChunk } from '../../src-shared/psrd/qr-chunk';
import { tempDir } from '../support/station';
import { openTestHub, psrdOf, takeWholePackage, type TestHub } from './support/hub';

interface Png {
  width: number;
  height: number;
  data: Buffer;
}
const PNG = createRequire(import.meta.url)('pngjs').PNG as { sync: { read(b: Buffer): Png; write(p: Png): Buffer } };

const PIN = 'Pin7f3kQ9zxW';
const DPI = 150;
const work = tempDir('dske-client-media-');
const hsmRoot = tempDir('dske-client-hsm-');
let hub: TestHub;
let alice: { client: string; keysFile: string };
let n = 0;

function refused(f: () => unknown, code: ClientErrorCode): ClientFailure {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ClientFailure);
    expect((e as ClientFailure).code, (e as Error).message).toBe(code);
    return e as ClientFailure;
  }
  throw new Error(`expected a refusal with ${code}`);
}

function aliceStore(): ClientStore {
  const dir = join(work, `store-${n++}`);
  ClientStore.init(dir);
  const s = ClientStore.open(dir);
  s.registerKeys(readFileSync(alice.keysFile));
  return s;
}

beforeAll(async () => {
  // SoftHSM2 reads its configuration when the module is first loaded: the tokens come before any carrier.
  if (!noSoftHsmReason) softHsmTokens(hsmRoot, ['client-data', 'client-secret', 'client-two'], PIN);
  hub = await openTestHub('hub-a');
  alice = await hub.enrol('Alice');
}, 120_000);

afterAll(async () => {
  await hub?.cleanup();
  rmSync(work, { recursive: true, force: true });
  rmSync(hsmRoot, { recursive: true, force: true });
});

describe.skipIf(noQrToolsReason !== undefined)(`a printed QR sheet${noQrToolsReason ? ` — skipped: ${noQrToolsReason}` : ''}`, () => {
  let pdf = '';
  let psrd: Uint8Array;
  let pkg: Uint8Array;
  let codes = 0;
  const pages: string[] = [];
  const px = (pt: number): number => Math.round((pt * DPI) / 72);

  /** A copy of a page image with a rectangle (in points, from the top left) painted. */
  function painted(page: string, name: string, x: number, y: number, w: number, h: number, paint: (i: number) => number): string {
    const img = PNG.sync.read(readFileSync(page));
    for (let r = px(y); r < px(y + h); r++) {
      for (let c = px(x); c < px(x + w); c++) {
        const v = paint(r * img.width + c);
        img.data.fill(v, (r * img.width + c) * 4, (r * img.width + c) * 4 + 3);
      }
    }
    const out = join(work, name);
    writeFileSync(out, PNG.sync.write(img));
    return out;
  }

  beforeAll(async () => {
    pdf = join(hub.out, 'sheet.pdf');
    const r = await hub.deliver(alice.client, 4000, `qr:${pdf}`);
    codes = r.medium.codes!;
    expect(codes).toBe(5);
    // The package as printed, read by an independent path: each code cropped by pdftoppm, read by zbarimg.
    const expected = assembleChunks(scanSheet(pdf, codes, work).map((b) => decodeChunk(b)));
    for (let p = 1; p <= Math.ceil(codes / 4); p++) {
      const prefix = join(work, `page-${p}`);
      execFileSync('pdftoppm', ['-r', String(DPI), '-png', '-f', String(p), '-l', String(p), '-singlefile', pdf, prefix]);
      pages.push(`${prefix}.png`);
    }
    pkg = readQrSheetImages(pages);
    expect(Buffer.from(pkg).equals(Buffer.from(expected))).toBe(true);
    expect(pkg.length).toBe(r.packageBytes);
    psrd = psrdOf(pkg, alice.keysFile);
    expect(psrd.length).toBe(4000);
  }, 60_000);

  it('imports the sheet from its page images; the bytes taken are the package’s PSRD; the sheet again is package-seen', () => {
    const store = aliceStore();
    try {
      const r = store.importPackage(readQrSheetImages(pages));
      expect(r.bytes).toBe(4000);
      expect(takeWholePackage(store, 'hub-a', r).equals(Buffer.from(psrd))).toBe(true);
      refused(() => store.importPackage(readQrSheetImages([...pages].reverse())), 'package-seen');
    } finally {
      store.close();
    }
  });

  it('reads the pages in any order, a page scanned twice, and one cropped image per code, and two codes in one image (found by scanning, each blanked out and the image read again)', () => {
    expect(Buffer.from(readQrSheetImages([pages[1]!, pages[0]!, pages[1]!])).equals(Buffer.from(pkg))).toBe(true);
    const crops: string[] = [];
    for (let i = codes - 1; i >= 0; i--) {
      const { page, left, top, size } = codePlacement(i);
      const prefix = join(work, `crop-${i}`);
      execFileSync('pdftoppm', ['-r', String(DPI), '-png', '-f', String(page), '-l', String(page), '-singlefile',
        '-x', String(px(left - 20)), '-y', String(px(top - 20)), '-W', String(px(size + 40)), '-H', String(px(size + 60)), pdf, prefix]);
      crops.push(`${prefix}.png`);
    }
    expect(Buffer.from(readQrSheetImages(crops)).equals(Buffer.from(pkg))).toBe(true);
    // Two codes side by side in one image: both found (the first blanked out, the image read again).
    const { left, top, size } = codePlacement(0);
    const pair = join(work, 'pair');
    execFileSync('pdftoppm', ['-r', String(DPI), '-png', '-f', '1', '-l', '1', '-singlefile', '-x', String(px(left - 20)), '-y', String(px(top - 20)), '-W', String(px(2 * size + 60)), '-H', String(px(size + 40)), pdf, pair]);
    expect(Buffer.from(readQrSheetImages([`${pair}.png`, ...crops.slice(0, 3)])).equals(Buffer.from(pkg))).toBe(true);
  });

  it('passes over a QR code that is no PSRD chunk beside a code in a free-form image, and names one in a place of the sheet\'s grid', () => {
    // Another QR code in view (a URL): what jsqr also makes, now and then, of the remains of a code it
    // read and blanked out in a crop (once in a CI run: "code 2 found … too few bytes").
    const foreign = rasteriseQr(createQr('https://example.org/not-a-chunk', { errorCorrectionLevel: 'M' }), 4);
    const { page, left, top, size } = codePlacement(0);
    const prefix = join(work, 'crop-foreign');
    execFileSync('pdftoppm', ['-r', String(DPI), '-png', '-f', String(page), '-l', String(page), '-singlefile',
      '-x', String(px(left - 20)), '-y', String(px(top - 20)), '-W', String(px(size + 40)), '-H', String(px(size + 40)), pdf, prefix]);
    const code = PNG.sync.read(readFileSync(`${prefix}.png`));
    const both: Png = { width: code.width + foreign.width, height: Math.max(code.height, foreign.height), data: Buffer.alloc(0) };
    both.data = Buffer.alloc(both.width * both.height * 4, 255);
    const blit = (src: { width: number; height: number; data: Uint8Array | Uint8ClampedArray }, x0: number): void => {
      for (let r = 0; r < src.height; r++) both.data.set(src.data.subarray(r * src.width * 4, (r + 1) * src.width * 4), (r * both.width + x0) * 4);
    };
    blit(code, 0);
    blit(foreign, code.width);
    const mixed = join(work, 'code-and-foreign.png');
    writeFileSync(mixed, PNG.sync.write(both));
    expect(Buffer.from(readQrSheetImages([mixed, ...pages])).equals(Buffer.from(pkg))).toBe(true);
    // The foreign code alone in view: nothing of the package read, said as such.
    const alone = join(work, 'foreign.png');
    writeFileSync(alone, PNG.sync.write({ width: foreign.width, height: foreign.height, data: Buffer.from(foreign.data) }));
    expect(refused(() => readQrSheetImages([alone]), 'qr-unreadable').message).toMatch(/^None of the QR codes read is a PSRD chunk .*foreign\.png, code 1 found/);
    // In a place of the sheet's grid a chunk is printed: a code that is none there is named.
    const p = codePlacement(1);
    const img = PNG.sync.read(readFileSync(pages[0]!));
    const x0 = px(p.left);
    const y0 = px(p.top);
    for (let r = px(p.top - 4); r < px(p.top + p.size + 4); r++) img.data.fill(255, (r * img.width + px(p.left - 4)) * 4, (r * img.width + px(p.left + p.size + 4)) * 4);
    for (let r = 0; r < foreign.height; r++) img.data.set(foreign.data.subarray(r * foreign.width * 4, (r + 1) * foreign.width * 4), ((y0 + r) * img.width + x0) * 4);
    const onPage = join(work, 'page-1-foreign.png');
    writeFileSync(onPage, PNG.sync.write(img));
    const e = refused(() => readQrSheetImages([onPage, pages[1]!]), 'qr-damaged');
    expect(e.message).toContain('page-1-foreign.png, position 2 of 4 (top right) (it is not a PSRD chunk');
    expect(e.message).toContain('code 2 of 5 is missing');
  });

  it('a page left out, or a code cut off the sheet, is named as missing (qr-missing), and nothing is imported', () => {
    const store = aliceStore();
    try {
      expect(refused(() => readQrSheetImages([pages[0]!]), 'qr-missing').message).toContain('code 5 of 5 is missing');
      const p = codePlacement(1);
      const cut = painted(pages[0]!, 'page-1-cut.png', p.left - 4, p.top - 4, p.size + 8, p.size + 8, () => 255);
      expect(refused(() => readQrSheetImages([cut, pages[1]!]), 'qr-missing').message).toContain('code 2 of 5 is missing');
      expect(store.status()[0]!.heldBytes).toBe(0);
    } finally {
      store.close();
    }
  });

  it('a damaged code is named by image and place, with the code it leaves missing (qr-damaged)', () => {
    const p = codePlacement(2);
    // A third of the code's height, noise: far past what level M corrects.
    const dmg = painted(pages[0]!, 'page-1-damaged.png', p.left + p.size * 0.1, p.top + p.size * 0.35, p.size * 0.8, p.size * 0.3, (i) => ((i * 2654435761) >>> 13) & 1 ? 0 : 255);
    const e = refused(() => readQrSheetImages([dmg, pages[1]!]), 'qr-damaged');
    expect(e.message).toContain('page-1-damaged.png, position 3 of 4 (bottom left)');
    expect(e.message).toContain('code 3 of 5 is missing');
  });

  it('refuses a JPEG, a file that is no image, and an image without a code, in plain words', () => {
    const jpeg = join(work, 'scan.jpg');
    writeFileSync(jpeg, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0]));
    expect(refused(() => readQrSheetImages([jpeg]), 'bad-image').message).toMatch(/JPEG.*PNG only/);
    refused(() => readQrSheetImages([alice.keysFile]), 'bad-image');
    refused(() => readQrSheetImages([join(work, 'none.png')]), 'io');
    refused(() => readQrSheetImages([]), 'bad-request');
    const blank = join(work, 'blank.png');
    writeFileSync(blank, PNG.sync.write({ width: 200, height: 100, data: Buffer.alloc(200 * 100 * 4, 255) }));
    expect(refused(() => readQrSheetImages([blank]), 'qr-damaged').message).toContain('blank.png (no QR code found in it)');
  });
});

describe.skipIf(noSoftHsmReason !== undefined)(`an HSM token (SoftHSM2)${noSoftHsmReason ? ` — skipped: ${noSoftHsmReason}` : ''}`, () => {
  const token = (label: string, pin = PIN, packageId?: string) => ({ module: SOFTHSM_MODULE, token: label, pin, ...(packageId ? { packageId } : {}) });

  it('reads a package stored in the data profile and imports it; the bytes taken are its PSRD', async () => {
    const r = await hub.deliver(alice.client, 150_000, 'hsm:client-data', { pin: PIN });
    const pkg = readPackageFromToken(token('client-data'));
    expect(pkg.length).toBe(r.packageBytes);
    const store = aliceStore();
    try {
      const imported = store.importPackage(pkg);
      expect(imported).toMatchObject({ package: r.package, bytes: 150_000 });
      expect(takeWholePackage(store, 'hub-a', imported).equals(Buffer.from(psrdOf(pkg, alice.keysFile)))).toBe(true);
      refused(() => store.importPackage(readPackageFromToken(token('client-data'))), 'package-seen');
    } finally {
      store.close();
    }
  });

  it('with two packages on a token, asks which; a wrong PIN and an absent token are refused', async () => {
    const a = await hub.deliver(alice.client, 2000, 'hsm:client-two', { pin: PIN });
    const b = await hub.deliver(alice.client, 3000, 'hsm:client-two', { pin: PIN });
    expect(refused(() => readPackageFromToken(token('client-two')), 'bad-request').message).toContain('--package');
    const store = aliceStore();
    try {
      expect(store.importPackage(readPackageFromToken(token('client-two', PIN, b.package))).bytes).toBe(3000);
      expect(store.importPackage(readPackageFromToken(token('client-two', PIN, a.package))).bytes).toBe(2000);
    } finally {
      store.close();
    }
    expect(refused(() => readPackageFromToken(token('client-two', 'Wrong4h8TbqL')), 'token').message).toContain('refused the PIN');
    expect(refused(() => readPackageFromToken(token('no-such-token')), 'token').message).toContain('No token "no-such-token"');
  });

  it('a package in the secret profile cannot be extracted: refused in plain words (token-not-extractable)', async () => {
    await hub.deliver(alice.client, 100_000, 'hsm:client-secret', { pin: PIN, profile: 'secret' });
    const e = refused(() => readPackageFromToken(token('client-secret')), 'token-not-extractable');
    expect(e.message).toMatch(/cannot be extracted.*use the token in place/);
  });
});
