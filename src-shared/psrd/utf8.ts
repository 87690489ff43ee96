// UTF-8 for src-shared, which has neither TextEncoder nor TextDecoder in its type world (no DOM, no
// node): encoding through @noble/ciphers, and a strict decoder that refuses any malformed sequence
// (overlong forms, surrogates, code points past U+10FFFF, truncation) instead of replacing it.
import { bytesToUtf8, utf8ToBytes } from '@noble/ciphers/utils.js';

export const utf8 = (s: string): Uint8Array => utf8ToBytes(s);

/** The text, or null when the bytes are not well-formed UTF-8 (RFC 3629). */
export function decodeUtf8Strict(b: Uint8Array): string | null {
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) [n, min] = [1, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [n, min] = [2, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [n, min] = [3, 0x10000];
    else return null;
    if (i + n >= b.length) return null;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const x = b[i + k];
      if (x === undefined || (x & 0xc0) !== 0x80) return null;
      cp = (cp << 6) | (x & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return null;
    i += n + 1;
  }
  return bytesToUtf8(b);
}
