// The strict UTF-8 decoder of src-shared agrees with the platform's fatal TextDecoder on every input.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeUtf8Strict } from '../../src-shared/psrd/utf8';

const fatal = (b: Uint8Array): string | null => {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(b);
  } catch {
    return null;
  }
};

describe('decodeUtf8Strict', () => {
  it('agrees with a fatal TextDecoder on random bytes and on encoded random text', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => decodeUtf8Strict(b) === fatal(b)), { numRuns: 5000 });
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (s) => decodeUtf8Strict(new TextEncoder().encode(s)) === s), { numRuns: 2000 });
  });

  it('refuses overlong forms, surrogates, code points past U+10FFFF and cut sequences', () => {
    for (const bad of [[0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xff]]) expect(decodeUtf8Strict(Uint8Array.from(bad))).toBeNull();
  });
});
