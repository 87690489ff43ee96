// The OS CSPRNG (getrandom through node:crypto). It is a DRBG, so what it yields is computationally
// secure only, and PSRD drawn from it alone is labelled so. It gets no health-test exemption: the
// station runs the same start-up, RCT and APT over it, at H = 8 bits per byte by default.
import { randomFillSync } from 'node:crypto';
import { checkReadSize, EntropySourceError, plainBytes, type EntropySource, type OpenReport, type SourceProvenance } from './source';

export class OsEntropySource implements EntropySource {
  readonly provenance: SourceProvenance = { kind: 'os', label: 'OS CSPRNG (getrandom; computational)', spec: 'os' };
  readonly sampleBits = 8 as const;
  readonly computational = true;
  private opened = false;

  constructor(readonly claimedMinEntropyPerSample = 8) {}

  async open(): Promise<OpenReport> {
    this.opened = true;
    return { warnings: [] };
  }

  async read(maxBytes: number): Promise<Uint8Array> {
    checkReadSize(maxBytes, 'os');
    if (!this.opened) throw new EntropySourceError('not-open', 'The OS source is not open.', 'os');
    // A fresh buffer per read, not zero-filled (it is overwritten at once) and at offset 0, so the
    // health monitor can take its word-at-a-time path; returned as a plain Uint8Array view.
    const out = plainBytes(Buffer.allocUnsafeSlow(maxBytes));
    randomFillSync(out);
    return out;
  }

  async readInto(target: Uint8Array): Promise<number> {
    checkReadSize(target.length, 'os');
    if (!this.opened) throw new EntropySourceError('not-open', 'The OS source is not open.', 'os');
    randomFillSync(target);
    return target.length;
  }

  async close(): Promise<void> {
    this.opened = false;
  }
}
