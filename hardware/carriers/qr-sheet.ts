// The printed QR sheet (issue S6, part 4c; spec §10.2, §10.3): a client package as QR codes on A4
// pages, one chunk per code (src-shared/psrd/qr-chunk.ts), drawn as vector squares into a PDF for the
// desk to print and hand over sealed. Meant for small packages: the spec speaks of "approximately
// 1 kB" of PSRD on QR; the default limit here is 32 KiB (35 codes on 9 pages).
//
// write() renders the whole sheet in memory, and reads every code back in process before the file is
// written: each code's module matrix is rasterised to a bitmap, decoded with jsqr and compared byte
// for byte with its chunk; the chunks so read back are kept for verify(). The PDF is written under a
// temporary name in the target's folder, fsynced, renamed into place, and the folder fsynced. verify()
// re-reads the file and compares its SHA-256 with the one of the bytes produced, and reassembles the
// read-back chunks and compares them with the package streamed afresh.
//
// The SHA-256 of the sheet and the read-back chunks are PSRD-derived, so they stay in this object and
// never go into the Written notes (which a job may record): the notes carry identities and counts only.
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, lstat, open, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import jsQR from 'jsqr';
import { create as createQr, type QRCode } from 'qrcode';
import {
  PDFDict,
  PDFDocument,
  PDFName,
  PDFString,
  StandardFonts,
  fill,
  popGraphicsState,
  pushGraphicsState,
  rectangle,
  setFillingGrayscaleColor,
  type PDFFont,
  type PDFPage,
} from 'pdf-lib';
import { StationFailure } from '../../src-shared/api/result';
import type { MediaFaultCode } from '../../src-shared/psrd/media-faults';
import {
  QR_CHUNK_MAX_PAYLOAD,
  QrChunkError,
  assembleChunks,
  decodeChunk,
  encodeChunk,
  splitIntoChunks,
  type QrChunk,
} from '../../src-shared/psrd/qr-chunk';
import type { Carrier, CarrierProgress, MediumRecord, PackageStream, Written } from './carrier';

/** The default limit on a package printed as QR codes. */
export const DEFAULT_MAX_QR_PACKAGE_BYTES = 32 * 1024;
/** The largest QR version used (117 × 117 modules); chunks are sized for it (qr-chunk.ts). */
export const MAX_QR_VERSION = 25;

export interface QrSheetOptions {
  /** Refuse packages larger than this (default 32 KiB). */
  readonly maxPackageBytes?: number;
  /** Payload bytes per code, at most 957 (the default); smaller gives more, less dense codes. */
  readonly maxPayload?: number;
}

// ---- page layout, in PDF points (1/72 inch) ----

const A4 = { width: 595.28, height: 841.89 };
/** About 10 mm: inside what office printers can print, and a quiet zone of its own. */
const MARGIN = 28;
const HEADER_HEIGHT = 64;
const FOOTER_HEIGHT = 14;
const CAPTION_HEIGHT = 26;
/** Two by two. Six to a page (two by three) gave 0.55 mm modules at version 25, which zbar failed to
 *  read now and then from a 150 dpi scan; four to a page gives 0.74 mm (4.4 pixels a module at 150 dpi). */
const COLUMNS = 2;
const ROWS = 2;
export const CODES_PER_PAGE = COLUMNS * ROWS;
/** Quiet zone, in modules, drawn white around each code inside its box (ISO/IEC 18004 asks for 4). */
const QUIET_MODULES = 4;
/** Pixels per module when a code is rasterised for the in-process read-back. */
const READBACK_PIXELS_PER_MODULE = 3;

const CELL_WIDTH = (A4.width - 2 * MARGIN) / COLUMNS;
const CELL_HEIGHT = (A4.height - 2 * MARGIN - HEADER_HEIGHT - FOOTER_HEIGHT) / ROWS;
/** The side of a code's box, quiet zone included: 264 pt (93 mm). */
const CODE_BOX = Math.min(CELL_WIDTH - 6, CELL_HEIGHT - CAPTION_HEIGHT);

/** Where code `index` (0-based) is printed: its page (1-based) and its box, quiet zone included, in
 *  PDF points from the page's top-left corner. Tests crop each code from a rasterised page with it. */
export function codePlacement(index: number): { page: number; left: number; top: number; size: number } {
  const onPage = index % CODES_PER_PAGE;
  const col = onPage % COLUMNS;
  const row = Math.floor(onPage / COLUMNS);
  return {
    page: Math.floor(index / CODES_PER_PAGE) + 1,
    left: MARGIN + col * CELL_WIDTH + (CELL_WIDTH - CODE_BOX) / 2,
    top: MARGIN + HEADER_HEIGHT + row * CELL_HEIGHT,
    size: CODE_BOX,
  };
}

const KEEP_SEALED =
  'Keep this sheet sealed until the client scans it. It is a copy of secret key material: once every code has been scanned and the client has confirmed the package, destroy the sheet (cross-cut shredder or fire). Do not photocopy, photograph or file it.';

interface Sheet {
  readonly packageId: string;
  readonly digest: string;
  readonly pdfBytes: number;
  readonly pages: number;
  readonly codes: number;
  readonly dev: number;
  readonly ino: number;
  /** The chunks as read back from the rendered codes (zeroed once verified or discarded). */
  chunks: QrChunk[] | undefined;
}

function fault(code: MediaFaultCode | 'package-too-large' | 'cancelled', sentence: string): StationFailure {
  return new StationFailure(code, sentence);
}

function errno(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof (e as { code: unknown }).code === 'string' ? (e as { code: string }).code : undefined;
}

/** A file-system error on the sheet's folder as a media fault. */
function fsFault(e: unknown, where: string): StationFailure {
  if (e instanceof StationFailure) return e;
  switch (errno(e)) {
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EFBIG':
      return fault('medium-full', `There is no room for the QR sheet in ${where}. Free space there, or choose another folder.`);
    case 'EROFS':
    case 'EACCES':
    case 'EPERM':
      return fault('medium-read-only', `The station may not write in ${where} (read-only). Choose another folder.`);
    case 'EEXIST':
      return fault('medium-not-allowed', `A file of that name already exists in ${where}; the station does not overwrite files. Choose another name.`);
    default:
      return fault('medium-unplugged', `The folder ${where} stopped answering while the QR sheet was written. Check the drive it is on, and deliver again.`);
  }
}

function checkCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw fault('cancelled', 'The delivery was cancelled before the QR sheet was finished.');
}

const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

function sameBytes(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, at, bytes.length - at, at);
    at += bytesWritten;
  }
}

/** Overwrites a file with zeros, fsyncs it and unlinks it. Never throws; true if it was there. */
async function destroyFile(path: string): Promise<boolean> {
  let found = false;
  try {
    const st = await lstat(path);
    if (!st.isFile()) return false;
    found = true;
    const fh = await open(path, 'r+');
    try {
      const zeros = new Uint8Array(64 * 1024);
      for (let at = 0; at < st.size; at += zeros.length) await fh.write(zeros, 0, Math.min(zeros.length, st.size - at), at);
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Best effort: unlink below all the same.
  }
  try {
    await unlink(path);
    await fsyncDir(dirname(path));
  } catch {
    // Gone already, or cannot be removed: nothing more to do here.
  }
  return found;
}

// ---- QR codes ----

/** The QR code of one encoded chunk: byte mode, level M, version ≤ 25. */
export function qrForChunk(bytes: Uint8Array): QRCode {
  const qr = createQr([{ mode: 'byte', data: bytes }], { errorCorrectionLevel: 'M' });
  if (qr.version > MAX_QR_VERSION) throw new Error(`a QR chunk needed version ${qr.version}`);
  return qr;
}

/** The code's modules as an RGBA bitmap, black on white, with a quiet zone: what jsqr reads. */
export function rasteriseQr(qr: QRCode, pixelsPerModule = READBACK_PIXELS_PER_MODULE, quiet = QUIET_MODULES): { data: Uint8ClampedArray; width: number; height: number } {
  const n = qr.modules.size;
  const side = (n + 2 * quiet) * pixelsPerModule;
  const data = new Uint8ClampedArray(side * side * 4).fill(255);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (!qr.modules.data[r * n + c]) continue;
      const y0 = (r + quiet) * pixelsPerModule;
      const x0 = (c + quiet) * pixelsPerModule;
      for (let y = y0; y < y0 + pixelsPerModule; y++) {
        const row = y * side * 4;
        for (let x = x0; x < x0 + pixelsPerModule; x++) data.fill(0, row + x * 4, row + x * 4 + 3);
      }
    }
  }
  return { data, width: side, height: side };
}

/** Reads the code back with jsqr; undefined if it does not read. */
function readBack(qr: QRCode): Uint8Array | undefined {
  const img = rasteriseQr(qr);
  const found = jsQR(img.data, img.width, img.height, { inversionAttempts: 'dontInvert' });
  img.data.fill(0);
  return found ? Uint8Array.from(found.binaryData) : undefined;
}

/** Draws the dark modules as one filled path of rectangles (runs of a row merged), top-left at (x, yTop). */
function drawQr(page: PDFPage, qr: QRCode, x: number, yTop: number, module: number): void {
  const n = qr.modules.size;
  const ops = [pushGraphicsState(), setFillingGrayscaleColor(0)];
  for (let r = 0; r < n; r++) {
    let c = 0;
    while (c < n) {
      if (!qr.modules.data[r * n + c]) {
        c++;
        continue;
      }
      const start = c;
      while (c < n && qr.modules.data[r * n + c]) c++;
      ops.push(rectangle(x + start * module, yTop - (r + 1) * module, (c - start) * module, module));
    }
  }
  ops.push(fill(), popGraphicsState());
  page.pushOperators(...ops);
}

/** Splits text into lines no wider than `width`. */
function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    const next = line ? `${line} ${word}` : word;
    if (line && font.widthOfTextAtSize(next, size) > width) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

/** Identities printed on the sheet are plain ASCII; anything else is shown as '?'. */
function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}

export class QrSheetCarrier implements Carrier {
  readonly kind = 'qr' as const;
  private readonly maxPackageBytes: number;
  private readonly maxPayload: number;
  private sheet: Sheet | undefined;

  private constructor(
    readonly pdfPath: string,
    opts: QrSheetOptions,
  ) {
    this.maxPackageBytes = opts.maxPackageBytes ?? DEFAULT_MAX_QR_PACKAGE_BYTES;
    this.maxPayload = opts.maxPayload ?? QR_CHUNK_MAX_PAYLOAD;
  }

  static open(pdfPath: string, opts: QrSheetOptions = {}): QrSheetCarrier {
    return new QrSheetCarrier(resolve(pdfPath), opts);
  }

  private get dir(): string {
    return dirname(this.pdfPath);
  }

  /** The temporary file a write uses; named by package, so a discard after a crash finds it. */
  private partialPath(packageId: string): string {
    return join(this.dir, `.${basename(this.pdfPath)}.${packageId}.partial`);
  }

  async describe(): Promise<MediumRecord> {
    const s = this.sheet;
    return s ? { kind: 'qr', target: this.pdfPath, sizeBytes: s.pdfBytes, pages: s.pages, codes: s.codes } : { kind: 'qr', target: this.pdfPath };
  }

  async preflight(packageBytes: number): Promise<void> {
    if (packageBytes > this.maxPackageBytes) {
      throw fault('package-too-large', `A printed QR sheet holds at most ${this.maxPackageBytes} bytes of package; this one is ${packageBytes}. Use a USB drive or a token.`);
    }
    if (!/\.pdf$/i.test(this.pdfPath)) throw fault('medium-not-allowed', 'A QR sheet is written as a PDF file: give a file name ending in .pdf.');
    const where = this.dir;
    try {
      const st = await stat(where);
      if (!st.isDirectory()) throw fault('medium-not-allowed', `${where} is not a folder. Choose a folder for the QR sheet.`);
      if ((st.mode & 0o222) === 0) throw fault('medium-read-only', `The folder ${where} is read-only. Choose another folder.`);
    } catch (e) {
      if (e instanceof StationFailure) throw e;
      throw fault('medium-not-allowed', `The folder ${where} does not exist or cannot be reached. Choose another folder.`);
    }
    try {
      await lstat(this.pdfPath);
      throw fault('medium-not-allowed', `A file named ${basename(this.pdfPath)} already exists in ${where}; the station does not overwrite files. Choose another name.`);
    } catch (e) {
      if (e instanceof StationFailure) throw e;
      if (errno(e) !== 'ENOENT') throw fsFault(e, where);
    }
    // Write permission, and a real write: access() says yes to root and on a read-only mount.
    try {
      await access(where, fsConstants.W_OK);
      const probe = join(where, `.${basename(this.pdfPath)}.${randomBytes(6).toString('hex')}.probe`);
      const fh = await open(probe, 'wx', 0o600);
      await fh.close();
      await unlink(probe);
    } catch (e) {
      throw fsFault(e, where);
    }
  }

  async write(pkg: PackageStream, progress: (p: CarrierProgress) => void, signal: AbortSignal): Promise<Written> {
    checkCancelled(signal);
    const total = pkg.length;
    if (total > this.maxPackageBytes) throw fault('package-too-large', `A printed QR sheet holds at most ${this.maxPackageBytes} bytes of package; this one is ${total}.`);
    this.forget();

    // The package, copied out of its pieces (each is valid only until the next is asked for).
    const whole = new Uint8Array(total);
    let got = 0;
    for await (const piece of pkg.pieces()) {
      if (got + piece.length > total) {
        whole.fill(0);
        throw fault('verify-failed', 'The package was longer than announced; nothing was written.');
      }
      whole.set(piece, got);
      got += piece.length;
    }
    if (got !== total) {
      whole.fill(0);
      throw fault('verify-failed', 'The package was shorter than announced; nothing was written.');
    }

    let chunks: QrChunk[] = [];
    const readBackChunks: QrChunk[] = [];
    let pdfBytes: Uint8Array | undefined;
    let pages = 0;
    try {
      try {
        chunks = splitIntoChunks(pkg.packageId, whole, this.maxPayload);
      } catch (e) {
        if (e instanceof QrChunkError) throw fault('package-too-large', 'This package cannot be cut into QR codes.');
        throw e;
      }
      const count = chunks.length;
      pages = Math.ceil(count / CODES_PER_PAGE);

      const doc = await PDFDocument.create({ updateMetadata: false });
      doc.setTitle(`DSKE PSRD sheet ${pkg.packageId}`);
      doc.setSubject(`Client ${printable(pkg.clientId)}: secret key material. Destroy after scanning.`);
      doc.setProducer('dske-station');
      // For a discard after a crash: names the package in plain text in the file's Info dictionary.
      // (setTitle above has made the Info dictionary.)
      const info = doc.context.lookupMaybe(doc.context.trailerInfo.Info, PDFDict);
      info?.set(PDFName.of('DskePackage'), PDFString.of(pkg.packageId));
      const regular = await doc.embedFont(StandardFonts.Helvetica);
      const bold = await doc.embedFont(StandardFonts.HelveticaBold);
      const mono = await doc.embedFont(StandardFonts.Courier);

      let page: PDFPage | undefined;
      for (const chunk of chunks) {
        checkCancelled(signal);
        const onPage = chunk.index % CODES_PER_PAGE;
        const pageNo = Math.floor(chunk.index / CODES_PER_PAGE) + 1;
        if (onPage === 0) {
          page = doc.addPage([A4.width, A4.height]);
          this.drawHeader(page, pkg, pageNo, pages, count, { regular, bold, mono });
        }

        const bytes = encodeChunk(chunk);
        let qr: QRCode;
        try {
          qr = qrForChunk(bytes);
        } catch {
          throw fault('verify-failed', `Code ${chunk.index + 1} of ${count} could not be made into a QR code; nothing was written.`);
        }
        const back = readBack(qr);
        if (!back || !sameBytes(back, bytes)) {
          throw fault('verify-failed', `Code ${chunk.index + 1} of ${count} did not read back as written; nothing was written.`);
        }
        readBackChunks.push(decodeChunk(back));
        back.fill(0);
        bytes.fill(0);

        const place = codePlacement(chunk.index);
        const module = place.size / (qr.modules.size + 2 * QUIET_MODULES);
        const codeX = place.left;
        const boxTop = A4.height - place.top;
        drawQr(page!, qr, codeX + QUIET_MODULES * module, boxTop - QUIET_MODULES * module, module);
        qr.modules.data.fill(0);
        const captionY = boxTop - place.size - 9;
        page!.drawText(`Code ${chunk.index + 1} of ${count}  -  page ${pageNo} of ${pages}  -  client ${printable(pkg.clientId)}`, { x: codeX, y: captionY, size: 8, font: bold });
        page!.drawText(`Package ${pkg.packageId}`, { x: codeX, y: captionY - 10, size: 7, font: mono });

        progress({ phase: 'write', bytesDone: chunk.offset + chunk.payload.length, bytesTotal: total });
        await yieldToLoop();
      }
      pdfBytes = await doc.save({ useObjectStreams: false });
    } catch (e) {
      for (const c of readBackChunks) c.payload.fill(0);
      if (e instanceof StationFailure) throw e;
      throw fault('verify-failed', 'The QR sheet could not be produced; nothing was written.');
    } finally {
      whole.fill(0);
      for (const c of chunks) c.payload.fill(0);
    }

    const digest = createHash('sha256').update(pdfBytes).digest('hex');
    const partial = this.partialPath(pkg.packageId);
    try {
      checkCancelled(signal);
      await destroyFile(partial); // a leftover of a write that crashed
      const fh = await open(partial, 'wx', 0o600);
      try {
        await writeAll(fh, pdfBytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      checkCancelled(signal);
      // rename() would replace a file that appeared since preflight; refuse it instead.
      const there = await lstat(this.pdfPath).then(() => true, (e: unknown) => errno(e) !== 'ENOENT');
      if (there) throw fault('medium-not-allowed', `A file named ${basename(this.pdfPath)} appeared in ${this.dir} during the delivery; the station does not overwrite files.`);
      await rename(partial, this.pdfPath);
      await fsyncDir(this.dir);
    } catch (e) {
      for (const c of readBackChunks) c.payload.fill(0);
      await destroyFile(partial);
      throw fsFault(e, this.dir);
    } finally {
      pdfBytes.fill(0);
    }
    const st = await stat(this.pdfPath).catch((e: unknown) => {
      throw fsFault(e, this.dir);
    });
    this.sheet = { packageId: pkg.packageId, digest, pdfBytes: st.size, pages, codes: readBackChunks.length, dev: st.dev, ino: st.ino, chunks: readBackChunks };
    return { target: this.pdfPath, packageId: pkg.packageId, packageBytes: total, pdfBytes: st.size, pages, codes: readBackChunks.length };
  }

  private drawHeader(page: PDFPage, pkg: PackageStream, pageNo: number, pages: number, codes: number, fonts: { regular: PDFFont; bold: PDFFont; mono: PDFFont }): void {
    const width = A4.width - 2 * MARGIN;
    let y = A4.height - MARGIN - 12;
    page.drawText(`DSKE client package: PSRD on ${codes} QR ${codes === 1 ? 'code' : 'codes'}  -  page ${pageNo} of ${pages}`, { x: MARGIN, y, size: 12, font: fonts.bold });
    y -= 14;
    page.drawText(`Client ${printable(pkg.clientId)}   Hub ${printable(pkg.hubId)}   Package ${pkg.packageId}`, { x: MARGIN, y, size: 8, font: fonts.mono });
    y -= 13;
    for (const line of wrap(KEEP_SEALED, fonts.bold, 8.5, width)) {
      page.drawText(line, { x: MARGIN, y, size: 8.5, font: fonts.bold });
      y -= 10.5;
    }
    page.drawText(`Scan every code, in any order. Page ${pageNo} of ${pages}. Client ${printable(pkg.clientId)}. Package ${pkg.packageId}.`, { x: MARGIN, y: MARGIN, size: 7, font: fonts.regular });
  }

  async verify(pkg: PackageStream, _written: Written, progress: (p: CarrierProgress) => void, signal: AbortSignal): Promise<void> {
    checkCancelled(signal);
    const s = this.sheet;
    if (!s || s.packageId !== pkg.packageId || !s.chunks) throw fault('verify-failed', 'This station has no record of writing this QR sheet. Do not print it; deliver again.');
    const total = pkg.length;

    let onDisk: Uint8Array;
    try {
      onDisk = await readFile(this.pdfPath);
    } catch (e) {
      if (errno(e) === 'ENOENT') throw fault('verify-failed', 'The QR sheet is no longer where it was written. Do not print any copy of it; deliver again.');
      throw fsFault(e, this.dir);
    }
    const digest = createHash('sha256').update(onDisk).digest('hex');
    onDisk.fill(0);
    if (digest !== s.digest) throw fault('verify-failed', 'The QR sheet on disk is not the one the station produced. Do not print it; deliver again.');

    let assembled: Uint8Array;
    try {
      assembled = assembleChunks(s.chunks);
    } catch {
      throw fault('verify-failed', 'The QR codes read back do not make up the package. Do not print the sheet; deliver again.');
    }
    try {
      if (assembled.length !== total) throw fault('verify-failed', 'The QR codes read back do not hold the whole package. Do not print the sheet; deliver again.');
      let at = 0;
      for await (const piece of pkg.pieces()) {
        checkCancelled(signal);
        if (at + piece.length > total || !sameBytes(assembled.subarray(at, at + piece.length), piece)) {
          throw fault('verify-failed', 'The QR codes read back differ from the package. Do not print the sheet; deliver again.');
        }
        at += piece.length;
        progress({ phase: 'verify', bytesDone: at, bytesTotal: total });
      }
      if (at !== total) throw fault('verify-failed', 'The package streamed for the check was shorter than the sheet. Do not print it; deliver again.');
    } finally {
      assembled.fill(0);
    }
    progress({ phase: 'verify', bytesDone: total, bytesTotal: total });
    for (const c of s.chunks) c.payload.fill(0);
    s.chunks = undefined;
  }

  async discard(pkg: Pick<PackageStream, 'packageId'>): Promise<void> {
    try {
      await destroyFile(this.partialPath(pkg.packageId));
      const s = this.sheet;
      let ours = false;
      const st = await lstat(this.pdfPath).catch(() => undefined);
      if (st?.isFile()) {
        if (s && s.packageId === pkg.packageId) ours = st.dev === s.dev && st.ino === s.ino;
        else ours = await this.namesPackage(pkg.packageId);
      }
      if (ours) await destroyFile(this.pdfPath);
    } catch {
      // Never throws.
    } finally {
      if (this.sheet?.packageId === pkg.packageId) this.forget();
    }
  }

  /** Whether the file at the target is a sheet of this package (its Info dictionary names it). */
  private async namesPackage(packageId: string): Promise<boolean> {
    try {
      const bytes = await readFile(this.pdfPath);
      const needle = new TextEncoder().encode(`/DskePackage (${packageId})`);
      const found = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(needle) >= 0;
      bytes.fill(0);
      return found;
    } catch {
      return false;
    }
  }

  async release(): Promise<void> {
    // A file needs no flush or unmount; the read-back chunks are no longer needed.
    if (this.sheet?.chunks) {
      for (const c of this.sheet.chunks) c.payload.fill(0);
      this.sheet.chunks = undefined;
    }
  }

  private forget(): void {
    if (this.sheet?.chunks) for (const c of this.sheet.chunks) c.payload.fill(0);
    this.sheet = undefined;
  }
}
