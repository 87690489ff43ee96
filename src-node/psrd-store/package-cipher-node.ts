// AES-256-GCM for client packages through node:crypto (OpenSSL, AES-NI): the station seals gigabytes
// with it. Same bytes as src-shared/psrd/package-cipher.ts (test/psrd/package.test.ts checks).
import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { ChunkCipher } from '../../src-shared/psrd/package-format';

const TAG = 16;

export const nodeCipher: ChunkCipher = {
  seal(key, nonce, aad, plain) {
    const c = createCipheriv('aes-256-gcm', key, nonce);
    c.setAAD(aad);
    const out = new Uint8Array(plain.length + TAG);
    const a = c.update(plain);
    out.set(a, 0);
    const b = c.final();
    out.set(b, a.length);
    out.set(c.getAuthTag(), a.length + b.length);
    a.fill(0);
    return out;
  },
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
