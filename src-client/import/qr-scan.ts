// Finds the QR codes in one image of a printed sheet (issue S10, part 2; docs/formats.md, "QR chunk").
// jsqr reads one code a call, so: an image with the proportions of an A4 page is cut into the sheet's
// grid (hardware/carriers/qr-sheet.ts, codePlacement: two by two, each code in its box with a quiet
// zone) and each box read on its own; a box with ink in it that gives no code is reported as damaged.
// Any other image (a photo of one code, a crop) is read whole, then in overlapping halves and quarters
// of it (jsqr may find no code where several are in view); each code found is blanked out and
// the image read again, until no more codes turn up.
import jsQR from 'jsqr';
import { CODES_PER_PAGE, codePlacement } from '../../hardware/carriers/qr-sheet';
import type { RgbaImage } from './png-image';

/** A4 in points, as the sheet is drawn (hardware/carriers/qr-sheet.ts). */
const A4 = { width: 595.28, height: 841.89 };
/** A box with more than this share of dark pixels holds something. */
const INK = 0.02;
const MAX_CODES_PER_IMAGE = 64;

export interface FoundCode {
  /** Where in the image: "position 2 of 4 (top right)", or "code 3 found" for a free-form image. */
  readonly where: string;
  readonly bytes: Uint8Array;
  /** True for a place of the sheet's grid, where a chunk is printed; false for a code found anywhere in a free-form image. */
  readonly placed: boolean;
}

export interface ScanResult {
  readonly codes: FoundCode[];
  /** Places where a code is printed but could not be read. */
  readonly unreadable: string[];
}

const PLACE = ['top left', 'top right', 'bottom left', 'bottom right'];

function crop(img: RgbaImage, x0: number, y0: number, w: number, h: number): RgbaImage {
  const x = Math.max(0, Math.floor(x0));
  const y = Math.max(0, Math.floor(y0));
  const width = Math.max(0, Math.min(img.width - x, Math.ceil(w)));
  const height = Math.max(0, Math.min(img.height - y, Math.ceil(h)));
  const data = new Uint8ClampedArray(width * height * 4);
  for (let r = 0; r < height; r++) data.set(img.data.subarray(((y + r) * img.width + x) * 4, ((y + r) * img.width + x + width) * 4), r * width * 4);
  return { width, height, data };
}

function inkShare(img: RgbaImage): number {
  let dark = 0;
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) {
    const p = i * 4;
    if (img.data[p]! * 0.299 + img.data[p + 1]! * 0.587 + img.data[p + 2]! * 0.114 < 128) dark++;
  }
  return n === 0 ? 0 : dark / n;
}

const looksLikePage = (img: RgbaImage): boolean => Math.abs(img.height / img.width - A4.height / A4.width) < 0.03;

function scanPage(img: RgbaImage): ScanResult {
  const scale = img.width / A4.width;
  const codes: FoundCode[] = [];
  const unreadable: string[] = [];
  for (let j = 0; j < CODES_PER_PAGE; j++) {
    const { left, top, size } = codePlacement(j);
    const box = crop(img, (left - 4) * scale, (top - 4) * scale, (size + 8) * scale, (size + 8) * scale);
    const where = `position ${j + 1} of ${CODES_PER_PAGE} (${PLACE[j] ?? `box ${j + 1}`})`;
    const found = jsQR(box.data, box.width, box.height, { inversionAttempts: 'attemptBoth' });
    if (found) codes.push({ where, bytes: Uint8Array.from(found.binaryData), placed: true });
    else if (inkShare(box) > INK) unreadable.push(where);
    box.data.fill(0);
  }
  return { codes, unreadable };
}

/** Window shapes tried in turn, as fractions of the image's width and height. */
const WINDOWS: readonly (readonly [number, number])[] = [[1, 1], [2, 1], [1, 2], [2, 2]];

/** One code somewhere in the image: the whole image first, then overlapping halves and quarters (half a window apart). */
function findOne(img: RgbaImage): { bytes: Uint8Array; x0: number; y0: number; x1: number; y1: number } | undefined {
  for (const [px, py] of WINDOWS) {
    const w = img.width / px;
    const h = img.height / py;
    for (let i = 0; i < 2 * py - 1; i++) {
      for (let j = 0; j < 2 * px - 1; j++) {
        const ox = Math.floor((j * w) / 2);
        const oy = Math.floor((i * h) / 2);
        const whole = px === 1 && py === 1;
        const win = whole ? img : crop(img, ox, oy, w, h);
        const found = jsQR(win.data, win.width, win.height, { inversionAttempts: 'attemptBoth' });
        if (!whole) win.data.fill(0);
        if (!found) continue;
        const l = found.location;
        const xs = [l.topLeftCorner.x, l.topRightCorner.x, l.bottomLeftCorner.x, l.bottomRightCorner.x].map((x) => x + (whole ? 0 : ox));
        const ys = [l.topLeftCorner.y, l.topRightCorner.y, l.bottomLeftCorner.y, l.bottomRightCorner.y].map((y) => y + (whole ? 0 : oy));
        const pad = (Math.max(...xs) - Math.min(...xs)) / 20;
        return {
          bytes: Uint8Array.from(found.binaryData),
          x0: Math.max(0, Math.floor(Math.min(...xs) - pad)), x1: Math.min(img.width, Math.ceil(Math.max(...xs) + pad)),
          y0: Math.max(0, Math.floor(Math.min(...ys) - pad)), y1: Math.min(img.height, Math.ceil(Math.max(...ys) + pad)),
        };
      }
    }
  }
  return undefined;
}

function scanFree(img: RgbaImage): ScanResult {
  const work = { width: img.width, height: img.height, data: new Uint8ClampedArray(img.data) };
  const codes: FoundCode[] = [];
  for (let k = 0; k < MAX_CODES_PER_IMAGE; k++) {
    const found = findOne(work);
    if (!found) break;
    codes.push({ where: `code ${k + 1} found`, bytes: found.bytes, placed: false });
    for (let y = found.y0; y < found.y1; y++) work.data.fill(255, (y * work.width + found.x0) * 4, (y * work.width + found.x1) * 4);
  }
  work.data.fill(0);
  return { codes, unreadable: [] };
}

export function scanImage(img: RgbaImage): ScanResult {
  return looksLikePage(img) ? scanPage(img) : scanFree(img);
}
