// The health monitor (SP 800-90B §4.3, §4.4) as the station relies on it: start-up on every open,
// continuous RCT and APT, release in whole passing windows only, latching, acknowledgement.
//
// What the continuous tests catch, and within which bound (bytes, H = 8, α = 2^-30: C_RCT = 5,
// C_APT = 16, W = 512):
// - a stuck value: the RCT, at the 5th identical sample (4 samples after the fault begins);
// - a short period with few distinct values (period p, all values distinct): the APT, in the first
//   window that starts inside the pattern, at sample (C_APT − 1)·p of that window, iff (C−1)·p < W,
//   i.e. p ≤ 34. Longer periods — a byte counter, say — pass both tests: catching them is the job of
//   the entropy assessment behind the claimed H, not of 90B's continuous tests;
// - a heavily biased stream (one value with probability q): the APT in a window that starts with that
//   value (probability q per window), which then counts ~1 + 511·q: reliable once 511·q ≫ 15, weak below
//   q ≈ 1/32. A stream drawn from few values is caught within the first whole window after its onset.
import { describe, expect, it } from 'vitest';
import { HealthMonitor } from '../../src-main/station/entropy/health';
import { biased, concatBytes, keystream, periodic } from './helpers/bytes';

function monitor(sampleBits: 1 | 8 = 8, h = 8): HealthMonitor {
  const m = new HealthMonitor(sampleBits, h, 2 ** -30);
  m.start();
  return m;
}

/** Feeds in chunks of `step`; returns everything released and the failure, if any. */
function run(m: HealthMonitor, data: Uint8Array, step = 777) {
  const released: Uint8Array[] = [];
  for (let off = 0; off < data.length; off += step) {
    const r = m.feed(data.slice(off, off + step));
    released.push(...r.released.map((v) => v.slice()));
    if (r.failure) return { released: concatBytes(...released), failure: r.failure };
  }
  return { released: concatBytes(...released), failure: undefined };
}

describe('health monitor', () => {
  it('discards the first 1024 samples after open: they are tested, never released', () => {
    const data = keystream('startup', 1024 + 512 + 4);
    const { released, failure } = run(monitor(), data, 100);
    expect(failure).toBeUndefined();
    expect(released).toEqual(data.subarray(1024, 1536));
  });

  it('releases whole passing windows only, once C_RCT − 1 later samples have passed as well', () => {
    const m = monitor();
    const data = keystream('windows', 1024 + 512 * 3);
    expect(run(m, data.subarray(0, 1024 + 512 + 3)).released.length).toBe(0);
    const r = m.feed(data.slice(1024 + 512 + 3, 1024 + 512 + 4));
    expect(concatBytes(...r.released)).toEqual(data.subarray(1024, 1536));
    expect(m.stats()).toMatchObject({ bytesReleased: 512, bytesDiscardedAtStartup: 1024, state: 'running' });
  });

  it('fails a stuck value by the RCT at its C-th sample and releases nothing from the failing window', () => {
    const good = keystream('stuck', 1024 + 512 * 4 + 200);
    const data = concatBytes(good, new Uint8Array(64).fill(0xaa));
    const { released, failure } = run(monitor(), data, 333);
    expect(failure).toMatchObject({ test: 'rct', cutoff: 5, phase: 'continuous' });
    expect(failure?.sampleIndex).toBe(good.length + 4);
    // Whole good windows only (those completed inside the failing chunk are dropped with it).
    expect(released.length % 512).toBe(0);
    expect(released).toEqual(good.subarray(1024, 1024 + released.length));
    expect(1024 + released.length).toBeLessThanOrEqual(failure?.windowStartSample as number);
    expect(failure?.releasedBytes).toBe(released.length);
  });

  it('does not release a window whose last samples begin a run that fails in the next window', () => {
    const good = keystream('straddle', 1024 + 512 * 2 - 2);
    const data = concatBytes(good, new Uint8Array(10).fill(0x55), keystream('tail', 600));
    const { released, failure } = run(monitor(), data, 512);
    expect(failure?.test).toBe('rct');
    expect(released).toEqual(good.subarray(1024, 1536));
  });

  it('fails a period-2 pattern by the APT within 2·(C_APT − 1) samples of the next window start', () => {
    const good = keystream('period', 1024 + 512 + 100);
    const data = concatBytes(good, periodic([0x13, 0xc7], 2048));
    const { failure } = run(monitor(), data, 256);
    const nextWindow = Math.ceil(good.length / 512) * 512;
    expect(failure?.test).toBe('apt');
    expect(failure?.sampleIndex).toBeLessThanOrEqual(nextWindow + 2 * 15);
  });

  it('fails any period of up to 34 distinct values by the APT within one window of its onset', () => {
    for (const p of [3, 17, 34]) {
      const good = keystream(`p${p}`, 2048);
      const pattern = Array.from({ length: p }, (_, i) => (i * 7 + 1) & 0xff);
      const { failure } = run(monitor(), concatBytes(good, periodic(pattern, 4096)), 512);
      expect(failure?.test, `period ${p}`).toBe('apt');
      expect(failure?.sampleIndex, `period ${p}`).toBeLessThanOrEqual(2048 + 512 + 15 * p);
    }
  });

  it('passes a byte counter (period 256): beyond the reach of the continuous tests', () => {
    const counter = periodic(Array.from({ length: 256 }, (_, i) => i), 64 * 1024);
    expect(run(monitor(), counter).failure).toBeUndefined();
  });

  it('fails a two-valued stream (1 bit per byte, claimed 8) within the first whole window after onset', () => {
    const good = keystream('two', 2048 + 300);
    const bits = keystream('two-bits', 4096).map((b) => (b & 1 ? 0xff : 0x00));
    const { failure } = run(monitor(), concatBytes(good, bits), 400);
    expect(failure).toBeDefined();
    expect(failure?.sampleIndex).toBeLessThan(2048 + 512 + 512);
  });

  it('fails a stream with one value at probability 1/4 within 16 windows', () => {
    const good = keystream('bias', 2048);
    const { failure } = run(monitor(), concatBytes(good, biased('bias', 16 * 512, 0x42, 1 / 4)), 512);
    expect(failure).toBeDefined();
    expect(failure?.sampleIndex).toBeLessThan(2048 + 16 * 512);
  });

  it('does not promise to catch a mild bias (probability 1/64): that is the assessment’s job', () => {
    const data = concatBytes(keystream('mild', 2048), biased('mild', 64 * 512, 0x42, 1 / 64));
    expect(run(monitor(), data).failure).toBeUndefined();
  });

  it('latches FAILED: later chunks release nothing, and start() is refused until acknowledged', () => {
    const m = monitor();
    run(m, concatBytes(keystream('latch', 3000), new Uint8Array(8)));
    expect(m.state).toBe('failed');
    const again = m.feed(keystream('after', 4096));
    expect(again.released).toHaveLength(0);
    expect(again.failure?.test).toBe('rct');
    expect(() => m.start()).toThrow(/acknowledge/);
  });

  it('after acknowledgement, a fresh start-up test runs before anything is released', () => {
    const m = monitor();
    run(m, concatBytes(keystream('ack', 3000), new Uint8Array(8)));
    m.acknowledge();
    expect(m.state).toBe('idle');
    m.start();
    const data = keystream('ack2', 1024 + 516);
    const { released } = run(m, data, 300);
    expect(released).toEqual(data.subarray(1024, 1536));
    expect(m.stats().opens).toBe(2);
  });

  it('a failure during the start-up samples is reported as a start-up failure', () => {
    const { failure } = run(monitor(), concatBytes(keystream('s', 100), new Uint8Array(5)));
    expect(failure).toMatchObject({ phase: 'start-up', test: 'rct', sampleIndex: 104 });
  });

  it('a source error latches the monitor and drops the bytes not yet released', () => {
    const m = monitor();
    run(m, keystream('src', 1024 + 512 + 300));
    const f = m.fail('unplugged', 'gone');
    expect(f).toMatchObject({ test: 'source', code: 'unplugged', releasedBytes: 512 });
    expect(f.droppedBytes).toBe(300);
    expect(m.state).toBe('failed');
  });

  it('binary samples: a run of 31 equal bits fails the RCT at H = 1', () => {
    const m = monitor(1, 1);
    const good = keystream('bits', 256);
    // 5 bytes of 0x00 = 40 zero bits; the run may extend back into the last good byte's low zero bits.
    const { failure } = run(m, concatBytes(good, new Uint8Array(5)), 64);
    expect(failure).toMatchObject({ test: 'rct', cutoff: 31 });
    let lead = 0;
    for (let k = 0; k < 8 && (((good[255] as number) >> k) & 1) === 0; k++) lead++;
    expect(failure?.sampleIndex).toBe(256 * 8 + 30 - lead);
  });

  it('binary samples: 609 equal values in a 1024-sample window fail the APT at H = 1', () => {
    const m = monitor(1, 1);
    // 0xdb = 11011011: six ones in eight, no run longer than 2; each window starts with a 1.
    const { failure } = run(m, concatBytes(keystream('bits-apt', 256), new Uint8Array(256).fill(0xdb)), 64);
    expect(failure).toMatchObject({ test: 'apt', cutoff: 609 });
  });
});
