// Reading a device ahead (pipeline.ts, readAhead): the next read of a source that returns fresh buffers
// is issued while the last chunk is conditioned, so that a 50 MB/s device is read while the main thread
// works. It must change only the timing: one read at a time, the same bytes in the same order, nothing
// read past a chunk that fails its health test, and a chunk read ahead when another source fails kept
// for the next read, so that this source's samples stay consecutive.
import { describe, expect, it } from 'vitest';
import { EntropySourceError, type EntropySource, type OpenReport, type SourceProvenance } from '../../hardware/entropy';
import { EntropyFailure, EntropyPipeline } from '../../src-main/station/entropy/pipeline';
import { concatBytes, keystream } from './helpers/bytes';
import { expectedHmac } from './helpers/conditioned';

/** A device that hands out `stream` in reads of at most `piece` bytes, each after `delayMs`, and records how it was read. */
class PacedDevice implements EntropySource {
  readonly provenance: SourceProvenance = { kind: 'device-file', label: 'Paced device', spec: 'file:/paced', path: '/paced' };
  readonly sampleBits = 8 as const;
  readonly claimedMinEntropyPerSample = 8;
  readonly computational = false;
  inFlight = 0;
  maxInFlight = 0;
  consumed = 0;
  readonly handedOut: Uint8Array[] = [];
  constructor(
    private readonly stream: Uint8Array,
    private readonly piece: number,
    private readonly delayMs = 1,
  ) {}

  async open(): Promise<OpenReport> {
    return { warnings: [] };
  }

  async read(maxBytes: number): Promise<Uint8Array> {
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    await new Promise((r) => setTimeout(r, this.delayMs));
    this.inFlight--;
    if (this.consumed >= this.stream.length) throw new EntropySourceError('exhausted', 'end of the stream');
    const out = this.stream.slice(this.consumed, this.consumed + Math.min(maxBytes, this.piece));
    this.consumed += out.length;
    this.handedOut.push(out);
    return out;
  }

  async close(): Promise<void> {}
}

describe('reading a device ahead', () => {
  it('reads one chunk at a time, ahead of the conditioning, and yields the same bytes in the same order', async () => {
    const raw = keystream('ahead', 1024 + 128 * 300);
    const dev = new PacedDevice(raw, 1500);
    const p = new EntropyPipeline([dev]);
    const out = concatBytes(await p.read(3000), await p.read(5000), await p.read(7000));
    expect(out).toEqual(expectedHmac(raw, 15000));
    expect(dev.maxInFlight).toBe(1);
    await p.close();
  });

  it('reads nothing past a chunk that fails its health test', async () => {
    const good = keystream('ahead-fail', 1024 + 512 * 3);
    const stuck = new Uint8Array(600).fill(0x42);
    const after = keystream('ahead-after', 20_000);
    const dev = new PacedDevice(concatBytes(good, stuck, after), 600);
    const p = new EntropyPipeline([dev]);
    const e = await p.read(8192).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EntropyFailure);
    expect((e as EntropyFailure).test).toBe('rct');
    // The failing chunk was the last one read.
    expect(dev.consumed).toBe(Math.ceil((good.length + 1) / 600) * 600);
    expect(dev.consumed).toBeLessThan(good.length + stuck.length + 600);
  });

  it('keeps a chunk read ahead for the next read when another source fails: the stream stays in order', async () => {
    const rawA = keystream('ahead-a', 1024 + 128 * 400);
    const goodB = keystream('ahead-b', 1024 + 512 * 4);
    const afterB = keystream('ahead-b-after', 1024 + 128 * 300);
    const a = new PacedDevice(rawA, 900);
    // B fails on a read of its own (512 stuck bytes), so that after the acknowledgement it starts afresh on afterB.
    const b = new PacedDevice(concatBytes(goodB, new Uint8Array(512).fill(7), afterB), 512, 3);
    (b as { provenance: SourceProvenance }).provenance = { kind: 'device-file', label: 'Paced B', spec: 'file:/paced-b', path: '/paced-b' };
    const p = new EntropyPipeline([a, b]);
    expect(await p.read(20_000).catch((x: unknown) => x)).toBeInstanceOf(EntropyFailure);
    expect(b.consumed).toBe(goodB.length + 512);
    expect(await p.acknowledge('file:/paced-b', 'operator')).toBe(true);
    const n = 16_000; // more than A made before B failed: A must read on, from where it stopped
    const out = await p.read(n);
    const wantA = expectedHmac(rawA, n);
    const wantB = expectedHmac(afterB, n);
    expect(out).toEqual(wantA.map((x, i) => x ^ (wantB[i] as number)));
    expect(a.maxInFlight).toBe(1);
    await p.close();
  });
});
