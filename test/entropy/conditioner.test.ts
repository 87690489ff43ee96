// Conditioning (SP 800-90B §3.1.5): HMAC-SHA-512 for hardware sources at no more than half the input
// min-entropy per output bit; the DRBG output of computational sources passed through and labelled so.
import { hmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conditionerFor, HMAC_KEY_LABEL, hmacInputBytesPerBlock, HmacSha512Conditioner } from '../../src-main/station/entropy/conditioner';
import { concatBytes, keystream } from './helpers/bytes';

const key = new TextEncoder().encode(HMAC_KEY_LABEL);

describe('conditioner', () => {
  it('each 64-byte output block is HMAC-SHA-512 of the next n_in raw bytes (checked against @noble/hashes)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 1, maxLength: 12 }), fc.constantFrom(8, 6, 3.5), (cuts, h) => {
        const c = new HmacSha512Conditioner(8, h);
        const nIn = c.description.inputBytesPerBlock;
        const raw = keystream(`cond-${h}`, cuts.reduce((a, b) => a + b, 0));
        const outs: Uint8Array[] = [];
        let off = 0;
        for (const n of cuts) {
          outs.push(c.push(raw.subarray(off, off + n)));
          off += n;
        }
        const out = concatBytes(...outs);
        const blocks = Math.floor(raw.length / nIn);
        expect(out.length).toBe(blocks * 64);
        for (let b = 0; b < blocks; b++) expect(out.subarray(b * 64, b * 64 + 64)).toEqual(hmac(sha512, key, raw.subarray(b * nIn, (b + 1) * nIn)));
      }),
      { numRuns: 60 },
    );
  });

  it('takes ⌈1024 / H_byte⌉ raw bytes per 64-byte block: 128 at H = 8, 171 at H = 6, 512 at H = 2', () => {
    expect([8, 6, 2].map((h) => hmacInputBytesPerBlock(8, h))).toEqual([128, 171, 512]);
    expect(hmacInputBytesPerBlock(1, 1)).toBe(128);
    expect(hmacInputBytesPerBlock(1, 0.5)).toBe(256);
  });

  it('never credits an output bit with more than half a bit of claimed input min-entropy', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 8, noNaN: true }), (h) => {
        const d = new HmacSha512Conditioner(8, h).description;
        expect(d.inputMinEntropyPerBlock).toBeGreaterThanOrEqual(2 * 8 * d.outputBytesPerBlock);
      }),
    );
  });

  it('reset() drops a partly filled input block', () => {
    const c = new HmacSha512Conditioner(8, 8);
    const raw = keystream('reset', 300);
    c.push(raw.subarray(0, 100));
    c.reset();
    expect(c.push(raw.subarray(100, 228))).toEqual(hmac(sha512, key, raw.subarray(100, 228)));
  });

  it('hardware sources get HMAC-SHA-512 (vetted, information-theoretic); DRBG sources pass through, labelled computational', () => {
    const hw = conditionerFor({ sampleBits: 8, claimedMinEntropyPerSample: 6, computational: false });
    expect(hw.description).toMatchObject({ name: 'HMAC-SHA-512', vetted: true, security: 'information-theoretic', inputBytesPerBlock: 171 });
    const os = conditionerFor({ sampleBits: 8, claimedMinEntropyPerSample: 8, computational: true });
    expect(os.description).toMatchObject({ name: 'none (DRBG output)', security: 'computational' });
    const raw = keystream('pass', 100);
    expect(os.push(raw)).toBe(raw);
  });
});
