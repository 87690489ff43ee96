// bench/deliver: one client package written to a file and verified by read-back, through the station's
// own delivery (pool read and decrypt → package sealing → write, fsync → O_DIRECT read-back → compare),
// beside `cp` + `cmp` of a file of the same size on the same file system, run in one go, as ratios;
// the stages of the station's write side timed alone; and the process's RSS during a small and a large
// delivery (flat: the package streams in 1 MiB chunks).
//   npx tsx bench/deliver.ts [--size 256MiB] [--rounds 3] [--small 16MiB] [--dir /var/tmp] [--no-stages]
//
// The package file's digests (SHA-256 per MiB) are taken on a hashing thread (hardware/carriers/block-hasher.ts).
// The station is timed on its write + verify phases (from the first 'write' progress event to the
// last 'verify' one), which is what `cp` + `cmp` does; the whole delivery (reservation, destruction of
// the station's copy, the ledger's fsyncs) is printed beside it. The baselines, from the cheapest:
//   cp + cmp               the source in the page cache (just written through it), no fsync, cmp from memory
//   cp + sync + cmp        the same, durable
//   cold cp + sync + cmp   the page cache dropped first (root only), so cp reads the source from the disk
//   cold, read back        as the last, and the copy's pages dropped after the sync, so cmp reads the copy
//                          from the disk (the source from the cache, where cp left it)
// The goal (issue S6, ≥ 0.8×) is judged on the last, "cold, read back": it is the same work as the
// station's. The station reads its pool from the disk (written with O_DIRECT, never in the page cache),
// must make the package durable before it counts, and must read it back from the medium, not from
// memory (O_DIRECT), comparing every byte. The warm variants are printed because they are what a user
// sees of cp, but they skip two of those three disk passes. Without root the cold variants are skipped.
// The order alternates from round to round.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { constants as fsConstants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { blockHasher } from '../hardware/carriers/block-hasher';
import { openStation } from '../src-main/station/station';
import type { Ctx } from '../src-main/station/core';
import { clientPackageStream, rangeBytes } from '../src-main/station/delivery/package-stream';
import { nodeCipher } from '../src-node/psrd-store/package-cipher-node';
import { chunkAad, chunkNonce } from '../src-shared/psrd/package-format';
import type { ChunkCipherInto } from '../src-shared/psrd/package-writer';
import type { PsrdRange } from '../src-shared/psrd/range';
import { formatBytes, parseSize } from '../src-shared/psrd/size';
import { shipWholePool } from '../test/support/server';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] as string) : fallback;
}
const size = parseSize(arg('--size', '256MiB'))!;
const small = parseSize(arg('--small', '16MiB'))!;
const rounds = Number(arg('--rounds', '3'));
const base = arg('--dir', '/var/tmp');
const stages = !process.argv.includes('--no-stages');
const ctx: Ctx = { host: 'bench', session: {}, signal: new AbortController().signal, operator: { name: 'Bench Operator', roles: ['operator', 'desk'] } };
const MiB = 1 << 20;

const dir = mkdtempSync(join(base, 'dske-bench-deliver-'));
const out = join(dir, 'out');
/** The station's data directory: apart from the packages' folder (the station never writes PSRD into its own data). */
const dataDir = join(dir, 'station');
mkdirSync(dataDir);
spawnSync('mkdir', ['-p', out]);
// One operator runs the bench: no two-person threshold.
writeFileSync(join(dataDir, 'station.json'), JSON.stringify({ pool: { segmentBytes: 64 << 20, chunkBytes: 1 << 20 }, delivery: { twoPersonAboveBytes: 2 ** 40 } }));

const sh = (cmd: string): number => {
  const t = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', cmd], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${cmd} failed`);
  return Number(process.hrtime.bigint() - t) / 1e9;
};
/** Drops the whole page cache (dirty pages written first); false where that is not allowed (not root). */
const dropCaches = (): boolean => spawnSync('sh', ['-c', 'sync && echo 3 > /proc/sys/vm/drop_caches'], { stdio: 'ignore' }).status === 0;
const canDrop = dropCaches();
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const range = (xs: number[]): string => `${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)}`;
const mbps = (bytes: number, s: number): string => `${(bytes / s / 1e6).toFixed(0)} MB/s`;
const timed = async (f: () => Promise<void> | void): Promise<number> => {
  const t = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t) / 1e9;
};

async function main(): Promise<void> {
  const station = openStation({ dataDir, host: 'test' });
  const h = station.handlers;
  try {
    // The stages read whole untouched segments (64 MiB): two more than they need, for the deliveries' leftovers.
    const poolBytes = rounds * size + 2 * small + MiB + (stages ? size + (128 << 20) : 0);
    console.log(`generating a pool of ${formatBytes(poolBytes)} …${canDrop ? '' : ' (not root: the cold-cache variants are skipped)'}`);
    await h.pool.generate({ bytes: poolBytes, sources: ['os'] }, ctx);
    // Only what the Security Server holds may be allocated: the pool is shipped to a throwaway server first.
    await shipWholePool(station, ctx);
    // A client enrolled as at the desk: identity checked, registered, initial keys handed over apart.
    const app = await h.enrolment.apply({ name: 'Bench Client', medium: 'file' }, ctx);
    await h.enrolment.checkIdentity({ application: app.application, document: 'passport', number: 'B0000001', checks: ['photo-matches', 'not-expired', 'mrz-consistent', 'name-matches'], outcome: 'accepted' }, ctx);
    const client = (await h.enrolment.register({ application: app.application }, ctx)).client!;
    mkdirSync(join(dir, 'client-keys'));
    await h.enrolment.handOverKeys({ application: app.application, to: `file:${join(dir, 'client-keys', 'bench-client.keys')}` }, ctx);

    // One delivery: its write + verify time from the progress events, its whole time, and RSS sampled every 20 ms.
    let n = 0;
    const deliver = async (bytes: number): Promise<{ io: number; write: number; whole: number; rssPeak: number; packageBytes: number }> => {
      let first = 0n;
      let verifyStart = 0n;
      let last = 0n;
      const off = station.events.on('delivery.progress', (p) => {
        if (p.phase === 'write' && first === 0n) first = process.hrtime.bigint();
        if (p.phase === 'verify' && verifyStart === 0n) verifyStart = process.hrtime.bigint();
        if (p.phase === 'verify') last = process.hrtime.bigint();
      });
      let rssPeak = process.memoryUsage().rss;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
      const t = process.hrtime.bigint();
      const r = await h.delivery.deliver({ client, bytes, to: `file:${join(out, `p${n++}.pkg`)}` }, ctx);
      const whole = Number(process.hrtime.bigint() - t) / 1e9;
      clearInterval(sampler);
      off();
      return { io: Number(last - first) / 1e9, write: Number(verifyStart - first) / 1e9, whole, rssPeak, packageBytes: r.packageBytes };
    };

    await deliver(small); // warm-up (worker start, first reads)
    const rssBefore = process.memoryUsage().rss;
    const smallRun = await deliver(small);

    const src = join(dir, 'src.bin');
    const block = randomBytes(MiB);
    spawnSync('sh', ['-c', `: > ${src}`]);
    for (let i = 0; i < size / MiB; i++) writeFileSync(src, block, { flag: 'a' });
    const station_: number[] = [];
    const writes: number[] = [];
    const whole: number[] = [];
    const base_: Record<string, number[]> = { 'cp + cmp': [], 'cp + sync + cmp': [], 'cold cp + sync + cmp': [], 'cold, read back': [] };
    const cp = join(out, 'cp.bin');
    let bigRun = smallRun;
    for (let i = 0; i < rounds; i++) {
      const runStation = async (): Promise<void> => {
        bigRun = await deliver(size);
        station_.push(bigRun.io);
        writes.push(bigRun.write);
        whole.push(bigRun.whole);
      };
      const runCp = (): void => {
        base_['cp + cmp']!.push(sh(`cp ${src} ${cp} && cmp ${src} ${cp}`));
        rmSync(cp);
        base_['cp + sync + cmp']!.push(sh(`cp ${src} ${cp} && sync ${cp} && cmp ${src} ${cp}`));
        rmSync(cp);
        if (canDrop) {
          dropCaches();
          base_['cold cp + sync + cmp']!.push(sh(`cp ${src} ${cp} && sync ${cp} && cmp ${src} ${cp}`));
          rmSync(cp);
          dropCaches();
          const copy = sh(`cp ${src} ${cp} && sync ${cp}`);
          // The copy's clean pages dropped (posix_fadvise DONTNEED), so cmp reads it from the disk.
          const drop = sh(`dd if=${cp} iflag=nocache count=0 status=none`);
          base_['cold, read back']!.push(copy + drop + sh(`cmp ${src} ${cp}`));
          rmSync(cp);
        }
      };
      if (i % 2 === 0) {
        await runStation();
        runCp();
      } else {
        runCp();
        await runStation();
      }
    }
    const s = median(station_);
    console.log(`\nDelivery of ${formatBytes(size)} (package ${bigRun.packageBytes} bytes) to a file on the same file system, ${rounds} rounds, load ${loadavg()[0].toFixed(1)}:`);
    console.log(`  station write + verify     ${s.toFixed(3)} s  ${mbps(size, s)}   (runs ${range(station_)})`);
    console.log(`    of which writing          ${median(writes).toFixed(3)} s (${range(writes)}), reading back ${(s - median(writes)).toFixed(3)} s`);
    console.log(`  station whole delivery     ${median(whole).toFixed(3)} s  ${mbps(size, median(whole))}   (reservation, destruction of its copy, ledger fsyncs included)`);
    for (const [name, xs] of Object.entries(base_)) {
      if (xs.length === 0) continue;
      const b = median(xs);
      const ratios = station_.map((x, k) => (xs[k] ?? b) / x);
      console.log(`  ${name.padEnd(26)} ${b.toFixed(3)} s  ${mbps(size, b)}   (runs ${range(xs)})   → station / baseline ${(b / s).toFixed(2)}× (per round ${range(ratios).replace(/(\d\.\d\d)\d/g, '$1')})${name === 'cold, read back' ? '   ← the goal' : ''}`);
    }
    console.log(`RSS: before ${formatBytes(rssBefore)}; peak during ${formatBytes(small)}: ${formatBytes(smallRun.rssPeak)}; peak during ${formatBytes(size)}: ${formatBytes(bigRun.rssPeak)} (large / small ${(bigRun.rssPeak / smallRun.rssPeak).toFixed(2)})`);

    if (stages) await stagesOf(station.pool, size);
  } finally {
    await station.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The write side's stages one at a time, each over `bytes`, in this process: where the time of a
 * delivery's write phase goes. The pool is read cold (caches dropped, where allowed), as in a delivery.
 */
async function stagesOf(pool: import('../src-main/station/pool/pool').Pool, bytes: number): Promise<void> {
  const ranges: PsrdRange[] = [];
  let want = bytes;
  for (const seg of pool.state.segments.values()) {
    if (want === 0 || seg.state !== 'unallocated' || seg.erased.length > 0) continue;
    const length = Math.min(want, seg.bytes);
    ranges.push({ segment: seg.id, offset: 0, length });
    want -= length;
  }
  if (want > 0) return console.log('\n(stages skipped: not enough untouched pool left)');
  const rows: [string, string, number][] = [];
  const plain = randomBytes(MiB);
  const key = randomBytes(32);
  const aad = chunkAad(randomBytes(32), 0, false);
  const chunks = bytes / MiB;

  dropCaches();
  rows.push(['pool read + decrypt (the package stream\'s reader, cold)', 'main + thread pool', await timed(async () => {
    for await (const piece of rangeBytes(pool, ranges)) void piece;
  })]);
  // As the package writer seals: into one reused output buffer where the cipher can (sealInto).
  const into = (nodeCipher as Partial<ChunkCipherInto>).sealInto;
  const sealed = new Uint8Array(MiB + 16);
  rows.push([`sealing, 1 MiB chunks (nodeCipher.${into ? 'sealInto' : 'seal'})`, 'main', await timed(() => {
    for (let i = 0; i < chunks; i++) {
      if (into) into(key, chunkNonce(i), aad, plain, sealed);
      else nodeCipher.seal(key, chunkNonce(i), aad, plain);
    }
  })]);
  rows.push(['hashing, SHA-256 per MiB (createHash)', 'main', await timed(() => {
    for (let i = 0; i < chunks; i++) createHash('sha256').update(plain).digest();
  })]);
  rows.push(['hashing, SHA-256 per MiB (block-hasher.ts, 4 buffers)', 'hashing thread', await timed(async () => {
    const hasher = blockHasher(4, MiB);
    for (const slot of hasher.slots) slot.set(plain);
    const q: Promise<string>[] = [];
    for (let i = 0; i < chunks; i++) {
      q.push(hasher.digest(i % 4, MiB));
      if (q.length >= 4) await q.shift();
    }
    await Promise.all(q);
    hasher.close();
  })]);
  rows.push(['hashing, SHA-256 per MiB (subtle.digest, 2 in flight)', 'thread pool', await timed(async () => {
    const q: Promise<ArrayBuffer>[] = [];
    for (let i = 0; i < chunks; i++) {
      q.push(webcrypto.subtle.digest('SHA-256', plain));
      if (q.length >= 2) await q.shift();
    }
    await Promise.all(q);
  })]);
  dropCaches();
  rows.push(['the package stream alone (read, decrypt, seal; cold)', 'main + thread pool', await timed(async () => {
    const stream = clientPackageStream(pool, { hub: 'hub', client: 'c-000001', packageId: `pkg-${'0'.repeat(32)}`, tableOffset: 0 }, ranges, new Uint8Array(64));
    for await (const piece of stream.pieces()) void piece;
  })]);
  // Writing: 1 MiB blocks 4 deep from page-aligned memory, O_DIRECT, then fsync; and through the page cache + fsync.
  type WasmMemoryCtor = new (d: { initial: number }) => { readonly buffer: ArrayBuffer };
  const Memory = (globalThis as unknown as { WebAssembly: { Memory: WasmMemoryCtor } }).WebAssembly.Memory;
  const aligned = new Uint8Array(new Memory({ initial: 16 }).buffer, 0, MiB);
  aligned.set(plain);
  const writeFile = async (flags: number): Promise<void> => {
    const path = join(dir, 'stage.bin');
    const fh = await open(path, flags, 0o600);
    try {
      const q: Promise<unknown>[] = [];
      for (let i = 0; i < chunks; i++) {
        q.push(fh.write(aligned, 0, MiB, i * MiB));
        if (q.length >= 4) await q.shift();
      }
      await Promise.all(q);
      await fh.sync();
    } finally {
      await fh.close();
    }
  };
  const { O_WRONLY, O_CREAT, O_TRUNC, O_DIRECT, O_RDONLY } = fsConstants;
  rows.push(['writing, O_DIRECT, 4 in flight, fsync', 'thread pool', await timed(() => writeFile(O_WRONLY | O_CREAT | O_TRUNC | (O_DIRECT ?? 0)))]);
  rmSync(join(dir, 'stage.bin'));
  rows.push(['writing, page cache, 4 in flight, fsync', 'thread pool', await timed(() => writeFile(O_WRONLY | O_CREAT | O_TRUNC))]);
  rows.push(['reading back, O_DIRECT, 4 in flight (no compare)', 'thread pool', await timed(async () => {
    const fh = await open(join(dir, 'stage.bin'), O_RDONLY | (O_DIRECT ?? 0));
    const bufs = [0, 1, 2, 3].map(() => new Uint8Array(new Memory({ initial: 16 }).buffer));
    try {
      const q: Promise<unknown>[] = [];
      for (let i = 0; i < chunks; i++) {
        q.push(fh.read(bufs[i % 4]!, 0, MiB, i * MiB));
        if (q.length >= 3) await q.shift();
      }
      await Promise.all(q);
    } finally {
      await fh.close();
    }
  })]);
  rmSync(join(dir, 'stage.bin'));
  console.log(`\nStages of the write side, ${formatBytes(bytes)} each, alone, load ${loadavg()[0].toFixed(1)}:`);
  for (const [name, thread, t] of rows) console.log(`  ${name.padEnd(58)} ${t.toFixed(3)} s  ${mbps(bytes, t).padStart(10)}  (${thread})`);
}

void main();
