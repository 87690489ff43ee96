// Conditioning (SP 800-90B §3.1.5) of raw bytes that passed the health tests.
//
// Hardware sources: HMAC-SHA-512, a vetted conditioning function (§3.1.5.1.1), under a fixed public key
// (90B allows a fixed key). Each 64-byte output block consumes n_in raw bytes with n_in·H_byte ≥ 2·512
// bits, so every output bit rests on at least two bits of claimed input min-entropy: the margin
// docs/references.md asks for full entropy. The output is labelled information-theoretic (given the claimed H).
//
// Computational sources (the OS CSPRNG, the kernel DRBG nodes): passed through. Their output already
// is the output of a vetted DRBG; hashing it again would add no security (the result stays
// computational whatever we do) and would cap the OS path below 1 GB/s. Labelled 'computational'.
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { hmacSha512Batch, type HmacBatch } from './hmac-sha512';

export interface ConditionerDescription {
  readonly name: 'HMAC-SHA-512' | 'none (DRBG output)';
  /** A vetted conditioning function in the sense of SP 800-90B §3.1.5.1.1. */
  readonly vetted: boolean;
  readonly security: 'information-theoretic' | 'computational';
  readonly key?: string;
  readonly inputBytesPerBlock: number;
  readonly outputBytesPerBlock: number;
  /** Claimed min-entropy (bits) in one input block: at least twice the output bits for HMAC. */
  readonly inputMinEntropyPerBlock: number;
}

export interface Conditioner {
  readonly description: ConditionerDescription;
  /** Absorbs raw bytes; returns the output blocks completed so far (possibly empty). */
  push(input: Uint8Array): Uint8Array;
  /** Drops (and zeroes) a partly filled input block: used when the source fails. */
  reset(): void;
}

export const HMAC_KEY_LABEL = 'dske-station/sp800-90b/hmac-sha512-conditioner/v1';
const OUTPUT_BYTES = 64;
let hmacKey: KeyObject | undefined;

/** Raw bytes per 64-byte output block: ⌈2·512 / H_byte⌉ with H_byte = H·(8 / sampleBits). */
export function hmacInputBytesPerBlock(sampleBits: 1 | 8, claimedMinEntropyPerSample: number): number {
  const hByte = claimedMinEntropyPerSample * (8 / sampleBits);
  if (!(hByte > 0 && hByte <= 8)) throw new RangeError(`min-entropy per byte must be in (0, 8], got ${String(hByte)}`);
  return Math.ceil((2 * 8 * OUTPUT_BYTES) / hByte);
}

export class HmacSha512Conditioner implements Conditioner {
  readonly description: ConditionerDescription;
  private readonly block: Uint8Array;
  private fill = 0;
  /** The same HMAC over a whole read at a time (hmac-sha512.ts); undefined where it cannot run. */
  private readonly batch: HmacBatch | undefined;

  constructor(sampleBits: 1 | 8, claimedMinEntropyPerSample: number) {
    const nIn = hmacInputBytesPerBlock(sampleBits, claimedMinEntropyPerSample);
    this.block = new Uint8Array(nIn);
    this.description = {
      name: 'HMAC-SHA-512',
      vetted: true,
      security: 'information-theoretic',
      key: `UTF-8 "${HMAC_KEY_LABEL}"`,
      inputBytesPerBlock: nIn,
      outputBytesPerBlock: OUTPUT_BYTES,
      inputMinEntropyPerBlock: nIn * claimedMinEntropyPerSample * (8 / sampleBits),
    };
    hmacKey ??= createSecretKey(new TextEncoder().encode(HMAC_KEY_LABEL));
    this.batch = hmacSha512Batch(new TextEncoder().encode(HMAC_KEY_LABEL), nIn);
  }

  /** Which implementation conditions here: the batched WebAssembly one, or a createHmac call per block. */
  get implementation(): 'wasm-batch' | 'openssl-per-block' {
    return this.batch ? 'wasm-batch' : 'openssl-per-block';
  }

  push(input: Uint8Array): Uint8Array {
    const nIn = this.block.length;
    const blocks = Math.floor((this.fill + input.length) / nIn);
    const out = new Uint8Array(blocks * OUTPUT_BYTES);
    let off = 0;
    let b = 0;
    if (blocks > 0 && this.fill > 0) {
      const need = nIn - this.fill;
      this.block.set(input.subarray(0, need), this.fill);
      this.mac(this.block, 1, out);
      this.block.fill(0);
      this.fill = 0;
      off = need;
      b = 1;
    }
    if (blocks > b) {
      this.mac(input.subarray(off, off + (blocks - b) * nIn), blocks - b, out.subarray(b * OUTPUT_BYTES));
      off += (blocks - b) * nIn;
    }
    this.block.set(input.subarray(off), this.fill);
    this.fill += input.length - off;
    return out;
  }

  /** The MACs of `count` consecutive input blocks into `out`. */
  private mac(input: Uint8Array, count: number, out: Uint8Array): void {
    if (this.batch) return this.batch.run(input, count, out);
    const nIn = this.block.length;
    for (let k = 0; k < count; k++) {
      const d = createHmac('sha512', hmacKey as KeyObject).update(input.subarray(k * nIn, (k + 1) * nIn)).digest();
      out.set(d, k * OUTPUT_BYTES);
      d.fill(0);
    }
  }

  reset(): void {
    this.block.fill(0);
    this.fill = 0;
  }
}

export class DrbgPassthrough implements Conditioner {
  readonly description: ConditionerDescription;

  constructor(claimedMinEntropyPerSample: number) {
    this.description = {
      name: 'none (DRBG output)',
      vetted: false,
      security: 'computational',
      inputBytesPerBlock: 1,
      outputBytesPerBlock: 1,
      inputMinEntropyPerBlock: claimedMinEntropyPerSample,
    };
  }

  push(input: Uint8Array): Uint8Array {
    return input;
  }

  reset(): void {}
}

export function conditionerFor(source: { readonly sampleBits: 1 | 8; readonly claimedMinEntropyPerSample: number; readonly computational: boolean }): Conditioner {
  if (source.computational) {
    if (source.sampleBits !== 8) throw new RangeError('A computational source delivers byte samples.');
    return new DrbgPassthrough(source.claimedMinEntropyPerSample);
  }
  return new HmacSha512Conditioner(source.sampleBits, source.claimedMinEntropyPerSample);
}
