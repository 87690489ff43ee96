// Entropy soak and throughput figures (issue S3):
//   npx tsx bench/entropy-soak.ts [samples=1e9]
// 1. Throughput of the OS path (randomFill → RCT/APT on every byte → output) through EntropyPipeline,
//    next to randomFillSync alone in the same run (absolute figures on shared machines vary 3×).
// 2. Soak: byte samples from the OS CSPRNG through the health monitor at α = 2^-30, H = 8, re-armed
//    after each alarm; alarms counted against the number the cutoffs imply for truly random data.
import { randomFillSync } from 'node:crypto';
import { OsEntropySource } from '../hardware/entropy';
import { EntropyFailure, EntropyPipeline } from '../src-main/station/entropy/pipeline';
import { HealthMonitor } from '../src-main/station/entropy/health';

const samples = Number(process.argv[2] ?? 1e9);
const gbps = (bytes: number, ns: bigint): string => `${(bytes / (Number(ns) / 1e9) / 1e9).toFixed(2)} GB/s`;

/** P(count ≥ c) for the APT on uniform bytes: count = 1 + Binomial(W − 1, 1/256). */
function aptWindowAlarmRate(w: number, c: number): number {
  const p = 1 / 256;
  let logChoose = 0;
  let tail = 0;
  for (let j = 0; j <= w - 1; j++) {
    if (j >= c - 1) tail += Math.exp(logChoose + j * Math.log(p) + (w - 1 - j) * Math.log1p(-p));
    logChoose += Math.log(w - 1 - j) - Math.log(j + 1);
  }
  return tail;
}

async function throughput(): Promise<void> {
  const pipeline = new EntropyPipeline([new OsEntropySource()]);
  const target = new Uint8Array(64 << 20);
  const reads = 32;
  let alarms = 0;
  const fill = async (): Promise<void> => {
    for (;;) {
      try {
        return await pipeline.readInto(target);
      } catch (e) {
        if (!(e instanceof EntropyFailure)) throw e;
        alarms++;
        await pipeline.acknowledge('os', 'bench');
      }
    }
  };
  await fill();
  let t = process.hrtime.bigint();
  for (let i = 0; i < reads; i++) await fill();
  const pipe = process.hrtime.bigint() - t;
  t = process.hrtime.bigint();
  for (let i = 0; i < reads; i++) randomFillSync(target);
  const raw = process.hrtime.bigint() - t;
  console.log(`OS path through EntropyPipeline.readInto(64 MiB): ${gbps(reads * target.length, pipe)}; randomFillSync alone: ${gbps(reads * target.length, raw)}; false alarms on the way: ${alarms}`);
}

function soak(): void {
  const m = new HealthMonitor(8, 8, 2 ** -30);
  const { rctCutoff, aptCutoff, aptWindow } = m.params;
  m.start();
  const chunk = new Uint8Array(16 << 20);
  let tested = 0;
  const alarms = { rct: 0, apt: 0 };
  const t = process.hrtime.bigint();
  while (tested < samples) {
    const view = chunk.subarray(0, Math.min(chunk.length, samples - tested));
    randomFillSync(view);
    tested += view.length;
    const f = m.feed(view).failure;
    if (f) {
      alarms[f.test === 'rct' ? 'rct' : 'apt']++;
      m.acknowledge();
      m.start();
    }
  }
  const ns = process.hrtime.bigint() - t;
  const rctRate = 256 ** -(rctCutoff - 1) * (255 / 256);
  const aptRate = aptWindowAlarmRate(aptWindow, aptCutoff);
  const expected = tested * rctRate + (tested / aptWindow) * aptRate;
  console.log(`soak: ${tested.toExponential(3)} OS samples at α = 2^-30, H = 8 (RCT ${rctCutoff}, APT ${aptCutoff}/${aptWindow}) in ${gbps(tested, ns)}`);
  console.log(`  alarms: RCT ${alarms.rct}, APT ${alarms.apt}; expected for truly random bytes ${expected.toFixed(3)} (RCT ${rctRate.toExponential(3)}/sample, APT ${aptRate.toExponential(3)}/window)`);
  console.log(`  one false alarm per ~${(1 / (rctRate + aptRate / aptWindow) / 2 ** 30).toFixed(1)} GiB of good samples`);
}

await throughput();
soak();
