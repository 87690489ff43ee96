// Decodes an image file of a printed QR sheet into RGBA pixels (issue S10, part 2). PNG through pngjs
// (there by way of the qrcode package); JPEG is refused in plain words, because no JPEG decoder is
// installed (`ls node_modules | grep -i jpeg` finds none): scan to PNG, or convert first.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ioReason } from '../../src-node/io-reason';
import { ClientFailure } from '../errors';

export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  /** 4 bytes a pixel, row by row. */
  readonly data: Uint8ClampedArray;
}

interface PngSync {
  sync: { read(b: Buffer): { width: number; height: number; data: Buffer } };
}
let png: PngSync | undefined;
const pngjs = (): PngSync => (png ??= (createRequire(import.meta.url)('pngjs') as { PNG: PngSync }).PNG);

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** A page at 600 dpi is about 5000 × 7000; anything far larger is refused before it is decoded. */
const MAX_PIXELS = 80_000_000;

export function readImageFile(path: string): RgbaImage {
  let b: Buffer;
  try {
    b = readFileSync(path);
  } catch (e) {
    throw new ClientFailure('io', `The image ${path} cannot be read (${ioReason(e)}).`);
  }
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) throw new ClientFailure('bad-image', `${path} is a JPEG image; this client reads PNG only (no JPEG decoder is installed). Scan the sheet to PNG, or convert the image.`);
  if (!b.subarray(0, 8).equals(PNG_MAGIC)) throw new ClientFailure('bad-image', `${path} is not a PNG image.`);
  if (b.length >= 24 && b.readUInt32BE(16) * b.readUInt32BE(20) > MAX_PIXELS) throw new ClientFailure('bad-image', `${path} is too large an image (${b.readUInt32BE(16)} × ${b.readUInt32BE(20)} pixels).`);
  try {
    const img = pngjs().sync.read(b);
    return { width: img.width, height: img.height, data: new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.length) };
  } catch {
    throw new ClientFailure('bad-image', `${path} is a damaged or unsupported PNG image.`);
  }
}
