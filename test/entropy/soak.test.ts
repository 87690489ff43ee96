// No false alarm over good data. At H = 8 and α = 2^-30 the cutoffs (RCT 5, APT 16) make a false alarm
// on truly random bytes a 2^-32-per-sample event for the RCT (plus ~3.4e-9 per APT window): over 10^8
// samples ~0.024 alarms are expected, so a fixed keystream is used to keep the test reproducible.
// DSKE_SOAK=1 runs the long soak on the OS CSPRNG (DSKE_SOAK_SAMPLES, default 10^9) and checks the
// alarm count against the rate the cutoffs imply; bench/entropy-soak.ts prints the same figures.
import { createCipheriv, randomFillSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { OsEntropySource } from '../../hardware/entropy';
import { HealthMonitor } from '../../src-main/station/entropy/health';

function soak(samples: number, next: (n: number) => Uint8Array): { alarms: number; tested: number } {
  const m = new HealthMonitor(8, 8, 2 ** -30);
  m.start();
  let alarms = 0;
  let tested = 0;
  while (tested < samples) {
    const chunk = next(Math.min(16 << 20, samples - tested));
    tested += chunk.length;
    if (m.feed(chunk).failure) {
      alarms++;
      m.acknowledge();
      m.start();
    }
  }
  return { alarms, tested };
}

describe('soak', () => {
  it('raises no alarm over 10^8 good byte samples at α = 2^-30, H = 8', () => {
    const aes = createCipheriv('aes-256-ctr', Buffer.alloc(32, 7), Buffer.alloc(16));
    const zeros = Buffer.alloc(16 << 20);
    const { alarms, tested } = soak(1e8, (n) => {
      const b = aes.update(zeros.subarray(0, n));
      return new Uint8Array(b.buffer, b.byteOffset, b.length);
    });
    expect(tested).toBeGreaterThanOrEqual(1e8);
    expect(alarms).toBe(0);
  });

  it.runIf(process.env.DSKE_SOAK === '1')(
    'long soak on the OS CSPRNG: alarms no more frequent than the cutoffs imply',
    async () => {
      const samples = Number(process.env.DSKE_SOAK_SAMPLES ?? 1e9);
      const os = new OsEntropySource();
      await os.open();
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < 4; i++) chunks.push(await os.read(16 << 20));
      let k = 0;
      const t0 = Date.now();
      const { alarms, tested } = soak(samples, (n) => {
        const c = (chunks[k++ % 4] as Uint8Array).subarray(0, n);
        randomFillSync(c);
        return c;
      });
      const expected = tested * 2 ** -32 * (255 / 256) + (tested / 512) * 3.4e-9;
      console.log(`soak: ${tested.toExponential(2)} samples, ${alarms} alarms (expected ${expected.toFixed(3)}), ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      expect(alarms).toBeLessThanOrEqual(Math.ceil(expected + 6 * Math.sqrt(expected) + 2));
    },
    3_600_000,
  );
});
