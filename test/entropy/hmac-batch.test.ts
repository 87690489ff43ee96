// The batched HMAC-SHA-512 in WebAssembly (hmac-sha512.ts) is the conditioner's inner loop, so it must
// be HMAC-SHA-512 exactly: for any key up to a block, any message length the conditioner uses (every
// padding case: tails of 0, 1–111 and 112–127 bytes), any number of messages per call (across the
// 1 MiB a call takes at most), the MACs equal OpenSSL's; and what the conditioner uses is it.
import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HmacSha512Conditioner } from '../../src-main/station/entropy/conditioner';
import { HMAC_BATCH_INPUT, hmacSha512Batch } from '../../src-main/station/entropy/hmac-sha512';

function openssl(key: Uint8Array, input: Uint8Array, nIn: number, count: number): Buffer {
  return Buffer.concat(Array.from({ length: count }, (_, k) => createHmac('sha512', key).update(input.subarray(k * nIn, (k + 1) * nIn)).digest()));
}

describe('batched HMAC-SHA-512', () => {
  it('equals OpenSSL for any key, message length and count', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 128 }),
        fc.oneof(fc.integer({ min: 128, max: 1100 }), fc.constantFrom(128, 239, 240, 255, 256, 367, 368, 384)),
        fc.integer({ min: 1, max: 40 }),
        (key, nIn, count) => {
          const batch = hmacSha512Batch(key, nIn);
          expect(batch).toBeDefined();
          const input = randomBytes(nIn * count);
          const out = new Uint8Array(64 * count);
          batch!.run(input, count, out);
          expect(Buffer.from(out).equals(openssl(key, input, nIn, count))).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('runs more messages than one call takes, in several calls', () => {
    const key = randomBytes(50);
    const nIn = 171;
    const count = Math.floor(HMAC_BATCH_INPUT / nIn) * 2 + 7;
    const input = randomBytes(nIn * count);
    const out = new Uint8Array(64 * count);
    hmacSha512Batch(key, nIn)!.run(input, count, out);
    expect(Buffer.from(out).equals(openssl(key, input, nIn, count))).toBe(true);
  });

  it('is what the conditioner uses here, and refuses what it cannot do', () => {
    for (const h of [8, 6, 2, 0.5]) expect(new HmacSha512Conditioner(8, h).implementation).toBe('wasm-batch');
    expect(hmacSha512Batch(new Uint8Array(129), 128)).toBeUndefined(); // a key longer than a block is hashed first: not done here
    expect(hmacSha512Batch(new Uint8Array(16), 127)).toBeUndefined();
  });
});
