// A client package from images of its printed QR sheet (issue S10, part 2; spec §10.2; docs/formats.md,
// "QR chunk"): every image decoded (png-image.ts), its codes found (qr-scan.ts) and decoded as chunks,
// and the package put back together (src-shared/psrd/qr-chunk.ts). A code that is printed but cannot
// be read, or whose checksum fails, is named by image and place; codes missing from every image are
// named as printed on the sheet ("code 2 of 3"). The same page scanned twice is harmless. In a free-form
// image (a crop, a photo), a code that is no PSRD chunk at all (not our magic, or a few bytes) is not part
// of the sheet and is passed over: another QR code in view, or one jsqr made out of the remains of a code
// already read and blanked out (seen in a crop of a real sheet); the package still has to be complete,
// chunk by chunk, and a code that claims to be a chunk but fails its checksum is still named.
import { basename } from 'node:path';
import { QR_CHUNK_MAGIC, QrChunkError, assembleChunks, decodeChunk, type QrChunk } from '../../src-shared/psrd/qr-chunk';
import { ClientFailure } from '../errors';
import { readImageFile } from './png-image';
import { scanImage } from './qr-scan';

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

function missingOf(chunks: readonly QrChunk[]): string {
  if (chunks.length === 0) return 'no code could be read at all';
  const count = chunks[0]!.count;
  const seen = new Set(chunks.map((c) => c.index));
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length === 0) return 'every code was read elsewhere';
  const list = missing.slice(0, 20).map((i) => String(i + 1)).join(', ') + (missing.length > 20 ? ` and ${missing.length - 20} more` : '');
  return `the sheet's ${missing.length === 1 ? 'code' : 'codes'} ${list} of ${count} ${missing.length === 1 ? 'is' : 'are'} missing from what was read`;
}

/** A code that does not even begin as a PSRD chunk does: another QR code, or a false reading. */
const notAChunk = (e: QrChunkError, bytes: Uint8Array): boolean => e.code === 'bad-magic' || (e.code === 'truncated' && bytes.length < QR_CHUNK_MAGIC.length + 2);

export function readQrSheetImages(paths: readonly string[]): Uint8Array {
  if (paths.length === 0) throw new ClientFailure('bad-request', 'Give at least one image of the QR sheet.');
  const chunks: QrChunk[] = [];
  const damaged: string[] = [];
  const passedOver: string[] = [];
  for (const path of paths) {
    const img = readImageFile(path);
    const { codes, unreadable } = scanImage(img);
    img.data.fill(0);
    const name = basename(path);
    for (const u of unreadable) damaged.push(`${name}, ${u} (printed but unreadable)`);
    if (codes.length === 0 && unreadable.length === 0) damaged.push(`${name} (no QR code found in it)`);
    for (const code of codes) {
      let c: QrChunk;
      try {
        c = decodeChunk(code.bytes);
      } catch (e) {
        if (!(e instanceof QrChunkError)) throw e;
        if (!code.placed && notAChunk(e, code.bytes)) {
          passedOver.push(`${name}, ${code.where}`);
          continue;
        }
        damaged.push(`${name}, ${code.where} (${e.message.replace(/\.$/, '').replace(/^This QR code /, 'it ')})`);
        continue;
      } finally {
        code.bytes.fill(0);
      }
      const twin = chunks.find((k) => k.packageId === c.packageId && k.index === c.index);
      if (twin && same(twin.payload, c.payload) && twin.offset === c.offset) continue; // the same code scanned twice
      chunks.push(c);
    }
  }
  try {
    if (damaged.length > 0) {
      throw new ClientFailure('qr-damaged', `${damaged.length === 1 ? 'A QR code' : `${damaged.length} QR codes`} could not be read: ${damaged.join('; ')}. Of the package, ${missingOf(chunks)}. Scan the damaged codes again, or ask the desk for a new sheet; nothing was imported.`);
    }
    if (chunks.length === 0 && passedOver.length > 0) {
      throw new ClientFailure('qr-unreadable', `None of the QR codes read is a PSRD chunk of a DSKE client package (${passedOver.join('; ')}). Scan the sheet the desk printed; nothing was imported.`);
    }
    try {
      return assembleChunks(chunks);
    } catch (e) {
      if (!(e instanceof QrChunkError)) throw e;
      throw new ClientFailure(e.code === 'missing-chunks' ? 'qr-missing' : 'qr-unreadable', `${e.message} Nothing was imported.`);
    }
  } finally {
    for (const c of chunks) c.payload.fill(0);
  }
}
