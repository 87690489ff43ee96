// What the pipeline must output for a hardware source claiming full entropy (H = 8 per byte, or 1 per
// bit): HMAC-SHA-512 (the conditioner's public key) over 128-byte raw blocks, after the start-up samples
// that are tested and discarded (1024 samples: 1024 bytes, or 128 bytes of bits).
import { hmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { HMAC_KEY_LABEL } from '../../../src-main/station/entropy/conditioner';
import { concatBytes } from './bytes';

const key = new TextEncoder().encode(HMAC_KEY_LABEL);

export function expectedHmac(raw: Uint8Array, n: number, startupBytes = 1024): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (let off = startupBytes; blocks.length * 64 < n; off += 128) blocks.push(hmac(sha512, key, raw.subarray(off, off + 128)));
  return concatBytes(...blocks).subarray(0, n);
}
