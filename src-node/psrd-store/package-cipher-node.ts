// AES-256-GCM for client packages through node:crypto (OpenSSL, AES-NI): the station seals gigabytes
// with it. Same bytes as src-shared/psrd/package-cipher.ts (test/psrd/package.test.ts checks).
//
// Sealing feeds GCM 64 KiB at a time and copies each output piece into the caller's buffer (sealInto,
// which the package writer reuses from chunk to chunk): one 1 MiB update() returns a fresh 1 MiB buffer,
// above the allocator's mmap threshold, so that every chunk cost new zero-filled pages — more than the
// encryption itself (bench/README.md, "Delivery"). The pieces are freed as soon as they are copied, by
// transferring them to a closed port, as chunk-sealer.ts does.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { MessageChannel } from 'node:worker_threads';
import type { ChunkCipher } from '../../src-shared/psrd/package-format';
import type { ChunkCipherInto } from '../../src-shared/psrd/package-writer';

const TAG = 16;
const PIECE = 64 * 1024;
const { port1: freed } = new MessageChannel();
freed.close();

function sealInto(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array, out: Uint8Array): Uint8Array {
  if (out.length < plain.length + TAG) throw new RangeError('output buffer too small');
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(aad);
  let at = 0;
  const pieces: ArrayBuffer[] = [];
  for (let off = 0; off < plain.length; off += PIECE) {
    const a = c.update(plain.subarray(off, Math.min(off + PIECE, plain.length)));
    out.set(a, at);
    at += a.length;
    if (a.byteOffset === 0 && a.length === a.buffer.byteLength) pieces.push(a.buffer);
  }
  const b = c.final();
  out.set(b, at);
  at += b.length;
  out.set(c.getAuthTag(), at);
  try {
    freed.postMessage(null, pieces);
  } catch {
    // Not transferable here: the garbage collector frees them instead (ciphertext, nothing to wipe).
  }
  return out.subarray(0, at + TAG);
}

const cipher: ChunkCipher & ChunkCipherInto = {
  seal(key, nonce, aad, plain) {
    return sealInto(key, nonce, aad, plain, new Uint8Array(plain.length + TAG));
  },
  sealInto,
  open(key, nonce, aad, sealed) {
    if (sealed.length < TAG) return null;
    const d = createDecipheriv('aes-256-gcm', key, nonce);
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - TAG));
    const a = d.update(sealed.subarray(0, sealed.length - TAG));
    try {
      d.final();
    } catch {
      a.fill(0);
      return null;
    }
    return new Uint8Array(a.buffer, a.byteOffset, a.length);
  },
};

/** Typed as a plain ChunkCipher (tests take it as the default of any cipher); encodePackage finds sealInto on it. */
export const nodeCipher: ChunkCipher = cipher;
