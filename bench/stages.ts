// bench/stages: where the time of a pool generation goes, one stage at a time, each beside its baseline
// in the same process; then the whole generation in-process; then the hardware path, where the device is
// the limit: a QRNG played at a fixed rate (50 MB/s by default) through a real pty (socat; the serial
// driver) and through a FIFO (the device-file driver), the station generating from it, and whether it
// kept up (the rate achieved beside the rate offered, and how far the device fell behind).
//   npx tsx bench/stages.ts [--size 512MiB] [--rounds 3] [--dir /var/tmp] [--qrng-rate 50MB] [--qrng-seconds 6] [--no-stages] [--no-hardware]
// Each stage runs in 1 MiB chunks as the station runs it; figures are medians of the rounds, stages
// alternating within a round. s/GiB is the time a stage would add to a 1 GiB pool on one core.
import { spawn, spawnSync } from 'node:child_process';
import { createCipheriv, createHmac, randomBytes, randomFillSync } from 'node:crypto';
import { closeSync, constants, fsyncSync, mkdtempSync, openSync, readSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { EntropyPipeline } from '../src-main/station/entropy/pipeline';
import { HealthMonitor } from '../src-main/station/entropy/health';
import { fastScanPath, scanBytes, scanBytesScalar, scanScratch, ScanState } from '../src-main/station/entropy/scan';
import { HmacSha512Conditioner } from '../src-main/station/entropy/conditioner';
import { createSource, OsEntropySource } from '../hardware/entropy';
import { alignedBlocks, workerSealer } from '../src-node/psrd-store/chunk-sealer';
import { openStation, type Station } from '../src-main/station/station';
import { defaultPolicy } from '../src-main/station/pool/pool';
import type { Ctx } from '../src-main/station/core';
import { formatBytes, parseSize } from '../src-shared/psrd/size';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] as string) : fallback;
}
const size = parseSize(arg('--size', '512MiB'))!;
const rounds = Number(arg('--rounds', '3'));
const base = arg('--dir', '/var/tmp');
const qrngRate = parseSize(arg('--qrng-rate', '50MB'))!;
const qrngSeconds = Number(arg('--qrng-seconds', '6'));
const hardware = !process.argv.includes('--no-hardware');
const stagesToo = !process.argv.includes('--no-stages');

const MiB = 1 << 20;
const GiB = 2 ** 30;
const chunks = Math.max(1, Math.floor(size / MiB));
const SEGMENT_CHUNKS = defaultPolicy.segmentBytes / MiB;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Seconds per GiB of one run of `body` over `chunks` chunks of 1 MiB. */
async function perGiB(body: (i: number) => void | Promise<void>, setup?: () => void | Promise<void>, teardown?: () => void | Promise<void>): Promise<number> {
  await setup?.();
  const t = process.hrtime.bigint();
  for (let i = 0; i < chunks; i++) await body(i);
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  await teardown?.();
  return (s * GiB) / (chunks * MiB);
}

/** A pause after deleting files, so that the next stage does not meet the disk still busy discarding them. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 500));

interface Stage {
  readonly name: string;
  readonly note?: string;
  readonly run: () => Promise<number>;
}

interface Group {
  readonly title: string;
  readonly stages: readonly Stage[];
}

const data = randomFillSync(new Uint8Array(MiB));
const dir = mkdtempSync(join(base, 'dske-stages-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// --- the stages --------------------------------------------------------------------------------------

const drbg: Group = {
  title: 'entropy: the OS source (main thread)',
  stages: [
    { name: 'randomFillSync (OpenSSL DRBG, as OsEntropySource)', run: () => perGiB(() => void randomFillSync(data)) },
    {
      name: 'baseline: read /dev/urandom (kernel ChaCha20)',
      run: () => {
        let fd = -1;
        return perGiB(
          () => void readSync(fd, data, 0, MiB, null),
          () => void (fd = openSync('/dev/urandom', 'r')),
          () => closeSync(fd),
        );
      },
    },
  ],
};

const p = new HealthMonitor(8, 8, 2 ** -40).params; // the OS source's cutoffs (α = 2^-40): RCT 6, APT 19 of 512
const scratch = scanScratch(MiB);
const scans: Group = {
  title: `SP 800-90B health tests over every byte, RCT ${p.rctCutoff} / APT ${p.aptCutoff} of ${p.aptWindow} (main thread; fast path here: ${fastScanPath()})`,
  stages: [
    {
      name: 'scanBytes, WebAssembly SIMD, bytes in its memory (as the pipeline reads them)',
      run: () => {
        const s = new ScanState();
        scratch?.set(data);
        return perGiB(() => void scanBytes(s, scratch ?? data, p.rctCutoff, p.aptCutoff, p.aptWindow));
      },
    },
    { name: 'scanBytes, WebAssembly SIMD, copying the bytes in', run: () => perGiB(((s) => () => void scanBytes(s, data, p.rctCutoff, p.aptCutoff, p.aptWindow))(new ScanState())) },
    { name: 'baseline: scanBytes, 32-bit words in JavaScript (before)', run: () => perGiB(((s) => () => void scanBytes(s, data, p.rctCutoff, p.aptCutoff, p.aptWindow, 'js-words'))(new ScanState())) },
    { name: 'baseline: scanBytesScalar, the §4.4 reference', run: () => perGiB(((s) => () => void scanBytesScalar(s, data, 0, MiB, p.rctCutoff, p.aptCutoff, p.aptWindow))(new ScanState())) },
    { name: 'baseline: copying the 1 MiB (memcpy)', run: () => perGiB(((dst) => () => dst.set(data))(new Uint8Array(MiB))) },
    {
      name: 'HealthMonitor.feed (the tests, the start-up discard, release in whole windows)',
      run: () => {
        const m = new HealthMonitor(8, 8, 2 ** -40);
        m.start();
        const raw = m.rawBuffer(MiB) ?? new Uint8Array(MiB);
        return perGiB(() => {
          raw.set(data);
          if (m.feed(raw).failure) {
            m.acknowledge();
            m.start();
          }
        });
      },
    },
  ],
};

const conditioning: Group = {
  title: 'conditioning (hardware sources only; the OS source is passed through)',
  stages: [6, 8].flatMap((h): Stage[] => {
    const c = new HmacSha512Conditioner(8, h);
    const nIn = c.description.inputBytesPerBlock;
    const key = new TextEncoder().encode('dske-station/sp800-90b/hmac-sha512-conditioner/v1');
    return [
      { name: `HMAC-SHA-512 at H = ${h} (${nIn} raw bytes per block), ${c.implementation}, per MiB of raw input`, run: () => perGiB(() => void c.push(data)) },
      {
        name: `baseline: createHmac per block at H = ${h} (before)`,
        run: () => perGiB(() => {
          for (let o = 0; o + nIn <= MiB; o += nIn) createHmac('sha512', key).update(data.subarray(o, o + nIn)).digest();
        }),
      },
    ];
  }),
};

const NONCE = Buffer.alloc(12);
// The sealer frees each GCM output piece at once, by transferring it to a closed port (chunk-sealer.ts).
const { port1: bin } = new MessageChannel();
bin.close();
const encryption: Group = {
  title: 'encryption at rest: AES-256-GCM under a fresh key per 1 MiB chunk (sealer workers)',
  stages: [
    {
      name: 'GCM in 64 KiB pieces, each freed at once (as the sealer)',
      run: () => perGiB(() => {
        const c = createCipheriv('aes-256-gcm', randomBytes(32), NONCE);
        const pieces: ArrayBuffer[] = [];
        for (let o = 0; o < MiB; o += 65536) pieces.push(c.update(data.subarray(o, o + 65536)).buffer as ArrayBuffer);
        c.final();
        bin.postMessage(null, pieces);
      }),
    },
    {
      name: 'baseline: GCM in 64 KiB pieces left to the garbage collector (before)',
      run: () => perGiB(() => {
        const c = createCipheriv('aes-256-gcm', randomBytes(32), NONCE);
        for (let o = 0; o < MiB; o += 65536) c.update(data.subarray(o, o + 65536));
        c.final();
      }),
    },
    {
      name: 'baseline: GCM in one 1 MiB update',
      run: () => perGiB(() => {
        const c = createCipheriv('aes-256-gcm', randomBytes(32), NONCE);
        c.update(data);
        c.final();
      }),
    },
    {
      name: 'baseline: AES-256-CTR in 64 KiB pieces (no authentication)',
      run: () => perGiB(() => {
        const c = createCipheriv('aes-256-ctr', randomBytes(32), Buffer.alloc(16));
        for (let o = 0; o < MiB; o += 65536) c.update(data.subarray(o, o + 65536));
        c.final();
      }),
    },
  ],
};

const aligned = ((b) => new Uint8Array(b.buffer, b.byteOffset, MiB))(alignedBlocks(MiB / 4096)[0]!);
aligned.set(data);

/** 1 MiB writes into 64 MiB files, each file fsynced when full; returns s/GiB of writes and of fsyncs apart. */
async function writes(direct: boolean): Promise<{ write: number; fsync: number }> {
  let fsyncS = 0;
  let fd = -1;
  let file = 0;
  const open = (): void => {
    fd = openSync(join(dir, `w${file++}`), constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (direct ? constants.O_DIRECT : 0), 0o600);
  };
  const close = (): void => {
    const t = process.hrtime.bigint();
    fsyncSync(fd);
    fsyncS += Number(process.hrtime.bigint() - t) / 1e9;
    closeSync(fd);
  };
  const total = await perGiB(
    (i) => {
      if (i % SEGMENT_CHUNKS === 0) {
        if (i > 0) close();
        open();
      }
      writeSync(fd, aligned, 0, MiB, (i % SEGMENT_CHUNKS) * MiB);
    },
    undefined,
    close,
  );
  // Deleted after the clock stops: on a file system mounted with discard, a delete keeps the disk busy a while.
  for (let f = 0; f < file; f++) unlinkSync(join(dir, `w${f}`));
  await settle();
  const fsync = (fsyncS * GiB) / (chunks * MiB);
  return { write: total - fsync, fsync };
}

let lastFsync = { direct: 0, cached: 0 };
const disk: Group = {
  title: `writing to the disk in ${base} (1 MiB writes, an fsync per 64 MiB segment)`,
  stages: [
    {
      name: 'O_DIRECT writes from an aligned buffer (as the sealer)',
      run: async () => {
        const r = await writes(true);
        lastFsync = { ...lastFsync, direct: r.fsync };
        return r.write;
      },
    },
    {
      name: 'baseline: writes through the page cache (before; and dd, openssl)',
      run: async () => {
        const r = await writes(false);
        lastFsync = { ...lastFsync, cached: r.fsync };
        return r.write;
      },
    },
    { name: 'fsync of each segment after O_DIRECT writes', run: async () => lastFsync.direct },
    { name: 'fsync of each segment after page-cache writes', run: async () => lastFsync.cached },
  ],
};

/** The sealer with `workers` workers: GCM, staging, O_DIRECT writes, an end and an fsync per segment. */
async function sealing(workers: number): Promise<number> {
  const sealer = workerSealer(MiB, workers);
  const key = randomBytes(32);
  const aad = Buffer.from('bench');
  let fd = -1;
  let inFlight: Promise<void>[] = [];
  let file = 0;
  let pos = 0;
  const finish = async (): Promise<void> => {
    await Promise.all(inFlight);
    inFlight = [];
    await sealer.end(fd, pos);
    fsyncSync(fd);
    closeSync(fd);
  };
  try {
    return await perGiB(
      async (i) => {
        if (i % SEGMENT_CHUNKS === 0) {
          if (i > 0) await finish();
          fd = openSync(join(dir, `s${file++}`), constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_DIRECT, 0o600);
          sealer.begin(fd, new Uint8Array(32));
          pos = 32;
        }
        const b = sealer.buffer();
        b.set(data);
        inFlight.push(sealer.seal(fd, pos, key, aad, b));
        pos += MiB + 16;
        if (inFlight.length > 4) await inFlight.shift();
      },
      undefined,
      finish,
    );
  } finally {
    await sealer.close();
    for (let f = 0; f < file; f++) unlinkSync(join(dir, `s${f}`));
    await settle();
  }
}

const sealers: Group = {
  title: 'sealing: GCM + staging + O_DIRECT writes + fsync, on worker threads (wall time; main thread only hands chunks over)',
  stages: [
    { name: 'sealer, 2 workers (the default on 2 cores)', run: () => sealing(2) },
    { name: 'sealer, 1 worker', run: () => sealing(1) },
  ],
};

let station: Station | undefined;
const ctx: Ctx = { host: 'cli', session: {}, signal: new AbortController().signal, operator: { name: 'Bench Operator', roles: ['operator'] } } as unknown as Ctx;
const stationDir = join(dir, 'station');
const bookkeeping: Group = {
  title: 'bookkeeping (main thread)',
  stages: [
    {
      name: 'ledger append (3 fsyncs), once per 64 MiB segment',
      run: async () => {
        station ??= openStation({ dataDir: stationDir, host: 'cli', mode: 'create' });
        const n = 20;
        const t = process.hrtime.bigint();
        for (let i = 0; i < n; i++) station.ledger.append('test.bench-probe', { i });
        const each = Number(process.hrtime.bigint() - t) / 1e9 / n;
        return each * (GiB / defaultPolicy.segmentBytes);
      },
    },
  ],
};

const whole: Group = {
  title: 'together',
  stages: [
    {
      name: 'EntropyPipeline(os).readInto(1 MiB): DRBG + health tests + copy out (main thread)',
      run: () => {
        const pipe = new EntropyPipeline([new OsEntropySource()], { alpha: 2 ** -40 });
        const target = new Uint8Array(MiB);
        return perGiB(() => pipe.readInto(target), undefined, () => pipe.close());
      },
    },
    {
      name: 'pool generation in-process (pipeline + sealers + fsync + ledger), wall time',
      run: async () => {
        station ??= openStation({ dataDir: stationDir, host: 'cli', mode: 'create' });
        const t = process.hrtime.bigint();
        await station.handlers.pool.generate({ bytes: chunks * MiB, sources: ['os'] }, ctx);
        const s = Number(process.hrtime.bigint() - t) / 1e9;
        for (const seg of station.pool.state.unallocated()) station.pool.destroySegment(seg, 'bench');
        await settle();
        return (s * GiB) / (chunks * MiB);
      },
    },
  ],
};

// --- run ---------------------------------------------------------------------------------------------

if (stagesToo) console.log(`bench/stages: ${formatBytes(chunks * MiB)} per stage, median of ${rounds} rounds; files under ${base}; load average ${loadavg()[0]!.toFixed(2)}`);
const groups = stagesToo ? [drbg, scans, conditioning, encryption, disk, sealers, bookkeeping, whole] : [];
const results = new Map<Stage, number[]>();
for (let r = 0; r < rounds; r++) for (const g of groups) for (const s of g.stages) results.set(s, [...(results.get(s) ?? []), await s.run()]);
for (const g of groups) {
  console.log(`\n${g.title}`);
  for (const s of g.stages) {
    const xs = results.get(s)!;
    const m = median(xs);
    console.log(`  ${s.name.padEnd(92)} ${(GiB / m / 1e9).toFixed(2).padStart(7)} GB/s  ${m.toFixed(3)} s/GiB  [${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)}]`);
  }
}
await station?.close();
if (stagesToo) console.log(`\nload average at the end ${loadavg()[0]!.toFixed(2)}`);

// --- the hardware path -------------------------------------------------------------------------------

// The device: a child process writing random bytes into `path` on a fixed schedule. When the reader is
// slow the writes block and the device falls behind its schedule. It reports as it goes (one line per
// 1 MiB: bytes sent, seconds since it started, how far behind it fell during that MiB): a real device
// whose buffer is smaller than that lag would have dropped samples.
const DEVICE = `
const { openSync, writeSync } = require('node:fs');
const { randomFillSync } = require('node:crypto');
const [path, rate, seconds] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const fd = openSync(path, 'w');
const block = Buffer.alloc(65536);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const t0 = performance.now();
let sent = 0;
let behind = 0;
try {
  while (sent < rate * seconds) {
    const due = ((performance.now() - t0) / 1000) * rate;
    if (sent >= due + block.length) {
      Atomics.wait(sleeper, 0, 0, Math.max(1, ((sent - due) / rate) * 1000));
      continue;
    }
    behind = Math.max(behind, due - sent);
    randomFillSync(block);
    let off = 0;
    while (off < block.length) off += writeSync(fd, block, off, block.length - off);
    sent += block.length;
    if (sent % (1 << 20) === 0) {
      process.stderr.write(JSON.stringify({ sent, seconds: (performance.now() - t0) / 1000, behind }) + '\\n');
      behind = 0;
    }
  }
} catch {
  // The reader went away.
}
`;

interface DeviceStatus {
  readonly sent: number;
  readonly seconds: number;
  /** The most it fell behind its schedule since the last line. */
  readonly behind: number;
  /** When this side received the line (performance.now()). */
  readonly at: number;
}

/** Plays the device into `path`; its status lines as they arrive, and a way to stop it. */
function playDevice(path: string): { statuses: DeviceStatus[]; stop: () => Promise<void> } {
  const child = spawn(process.execPath, ['-e', DEVICE, path, String(qrngRate), String(qrngSeconds)], { stdio: ['ignore', 'ignore', 'pipe'] });
  const statuses: DeviceStatus[] = [];
  let rest = '';
  child.stderr.on('data', (d: Buffer) => {
    const lines = (rest + d.toString()).split('\n');
    rest = lines.pop()!;
    for (const l of lines) statuses.push({ ...(JSON.parse(l) as Omit<DeviceStatus, 'at'>), at: performance.now() });
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { statuses, stop: () => (child.kill('SIGKILL'), exited) };
}

/** A station generating from `spec` at claimed H while the device plays; rates offered and achieved. */
type Player = ReturnType<typeof playDevice>;

/**
 * The serial QRNG on one pty (bench/pty-device.py): the device writes into the master side, the station
 * reads the slave, one pass through the tty layer as from a USB CDC-ACM device. One play per rig.
 */
async function ptyRig(): Promise<{ readonly path: string; play: () => Player; close: () => Promise<void> }> {
  const child = spawn('python3', [join(import.meta.dirname, 'pty-device.py')], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const path = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.on('exit', (code) => reject(new Error(`pty-device.py exited (${code})`)));
  });
  const statuses: DeviceStatus[] = [];
  let rest = '';
  child.stderr.on('data', (d: Buffer) => {
    const lines = (rest + d.toString()).split('\n');
    rest = lines.pop()!;
    for (const l of lines) statuses.push({ ...(JSON.parse(l) as Omit<DeviceStatus, 'at'>), at: performance.now() });
  });
  const close = (): Promise<void> => (child.kill('SIGKILL'), exited);
  const stopPlaying = async (): Promise<void> => {
    child.kill('SIGUSR1');
    await new Promise((r) => setTimeout(r, 50));
  };
  return { path, play: () => (child.stdin.write(`play ${qrngRate} ${qrngSeconds}\n`), { statuses, stop: stopPlaying }), close };
}

async function qrng(label: string, spec: string, h: number, devicePath: string | (() => Player), startDeviceFirst: boolean): Promise<void> {
  const play = typeof devicePath === 'string' ? () => playDevice(devicePath) : devicePath;
  const nIn = new HmacSha512Conditioner(8, h).description.inputBytesPerBlock;
  // The output that 90 % of the device's bytes make after conditioning: the generation ends before the device does.
  const bytes = Math.floor((qrngRate * qrngSeconds * 0.9) / nIn) * 64;
  const sdir = mkdtempSync(join(base, 'dske-qrng-'));
  // α = 2^-40: at the default 2^-30 a good source at H = 8 trips the RCT about once per 4 GiB, i.e. every ~80 s
  // at 50 MB/s, which would stop this run for nothing (a unit this fast wants α = 2^-40 in its settings too).
  const st = openStation({ dataDir: sdir, host: 'cli', mode: 'create', entropy: { alphaExponent: 40, claimedMinEntropy: { [spec]: h } } });
  let device: Player | undefined = startDeviceFirst ? play() : undefined;
  let tested = 0;
  const off = st.events.on('pool.progress', (pr) => {
    tested = Math.max(tested, pr.sources.reduce((a, s) => a + s.samplesTested, 0));
    // A serial port discards what was queued before it opened: the device starts once it is open.
    if (!device && pr.phase === 'start-up test') device = play();
  });
  try {
    await st.handlers.pool.generate({ bytes, sources: [spec] }, ctx);
    const end = performance.now();
    const statuses = device?.statuses ?? [];
    await device?.stop();
    // The device's state when the generation ended (after that nobody reads it), and when it started.
    const last = statuses.filter((x) => x.at <= end).at(-1);
    const first = statuses[0];
    if (!last || !first) throw new Error('the device reported nothing');
    const startedAt = first.at - first.seconds * 1000;
    const seconds = (end - startedAt) / 1000;
    const consumed = tested / seconds;
    const lag = (from: number, to: number): string => formatBytes(Math.max(1, ...statuses.filter((x) => x.at <= end && x.seconds >= from && x.seconds < to).map((x) => x.behind)));
    console.log(
      `  ${label}, H = ${h} (${nIn} raw bytes per 64 out): the device managed ${(last.sent / last.seconds / 1e6).toFixed(1)} MB/s of ${(qrngRate / 1e6).toFixed(0)}, ` +
        `falling behind by at most ${lag(0, 1)} in its first second and ${lag(1, Infinity)} after · the station tested ${(consumed / 1e6).toFixed(1)} MB/s (${((consumed / qrngRate) * 100).toFixed(0)} %) and generated ${(bytes / seconds / 1e6).toFixed(1)} MB/s of PSRD`,
    );
  } catch (e) {
    await device?.stop();
    console.log(`  ${label}, H = ${h}: failed — ${(e as Error).message}`);
  } finally {
    off();
    await st.close();
    rmSync(sdir, { recursive: true, force: true });
  }
}

/** The rig alone: the device read by the bare driver machinery, no station (what the rig can carry at all). */
async function ceiling(label: string, devicePath: string | (() => Player), read: (onBytes: (n: number) => void) => Promise<() => Promise<void>>, startDeviceFirst: boolean): Promise<void> {
  const play = typeof devicePath === 'string' ? () => playDevice(devicePath) : devicePath;
  let got = 0;
  let device = startDeviceFirst ? play() : undefined;
  const stop = await read((n) => (got += n));
  device ??= play();
  const t = performance.now();
  await new Promise((r) => setTimeout(r, qrngSeconds * 900));
  const s = (performance.now() - t) / 1000;
  const rate = got / s;
  await device.stop();
  await stop();
  console.log(`  ${label}: ${(rate / 1e6).toFixed(1)} MB/s of ${(qrngRate / 1e6).toFixed(0)} offered`);
}

if (hardware) {
  console.log(`\nhardware path: a QRNG at ${(qrngRate / 1e6).toFixed(0)} MB/s for ${qrngSeconds} s, the station generating from it (pool, sealers, ledger; load average ${loadavg()[0]!.toFixed(2)})`);
  const fifoDir = mkdtempSync(join(base, 'dske-fifo-'));
  const fifo = join(fifoDir, 'qrng');
  spawnSync('mkfifo', [fifo]);
  await ceiling('baseline: the FIFO read with fs.read (1 MiB buffer), no station', fifo, async (onBytes) => {
    const { open } = await import('node:fs/promises');
    const fh = await open(fifo, 'r');
    const buf = Buffer.alloc(MiB);
    let on = true;
    const loop = (async () => {
      while (on) {
        const { bytesRead } = await fh.read(buf, 0, MiB, null);
        if (bytesRead === 0) break;
        onBytes(bytesRead);
      }
    })();
    return async () => {
      on = false;
      await loop.catch(() => undefined);
      await fh.close();
    };
  }, true);
  for (const h of [6, 8]) await qrng('device file (a FIFO; reads of up to 64 KiB)', `file:${fifo}`, h, fifo, true);
  rmSync(fifoDir, { recursive: true, force: true });
  if (spawnSync('socat', ['-V'], { stdio: 'ignore' }).error) console.log('  serial: socat is not installed; skipped');
  else {
    const ptyDir = mkdtempSync(join('/tmp', 'dske-pty-'));
    const socat = spawn('socat', [`pty,raw,echo=0,link=${ptyDir}/host`, `pty,raw,echo=0,link=${ptyDir}/device`], { stdio: 'ignore' });
    for (let i = 0; i < 250; i++) {
      await new Promise((r) => setTimeout(r, 20));
      if (spawnSync('test', ['-e', `${ptyDir}/device`]).status === 0) break;
    }
    await ceiling('baseline: the pty read by serialport alone (as the serial driver opens it), no station', `${ptyDir}/host`, async (onBytes) => {
      const { SerialPort } = await import('serialport');
      const port = new SerialPort({ path: `${ptyDir}/device`, baudRate: 9600, autoOpen: false });
      await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
      port.on('data', (c: Buffer) => onBytes(c.length));
      return () => new Promise<void>((resolve) => port.close(() => resolve()));
    }, false);
    await ceiling('the pty read by the serial driver alone (its reader thread; read(1 MiB) in a loop), no station', `${ptyDir}/host`, async (onBytes) => {
      const source = createSource(`serial:${ptyDir}/device:raw`);
      await source.open();
      let on = true;
      const loop = (async () => {
        while (on) onBytes((await source.read(MiB)).length);
      })();
      return async () => {
        on = false;
        await loop.catch(() => undefined);
        await source.close();
      };
    }, false);
    for (const h of [6, 8]) await qrng('serial (a pty through socat, read on the driver’s reader thread; reads of at most 4 KiB, the tty layer’s)', `serial:${ptyDir}/device:raw`, h, `${ptyDir}/host`, false);
    // The same device on one pty, as a USB CDC-ACM device is one tty (no copier between two ptys).
    {
      const rig = await ptyRig();
      await ceiling('the single pty read by the serial driver alone (its reader thread), no station', rig.play, async (onBytes) => {
        const source = createSource(`serial:${rig.path}:raw`);
        await source.open();
        let on = true;
        const loop = (async () => {
          while (on) onBytes((await source.read(MiB)).length);
        })();
        return async () => {
          on = false;
          const ended = loop.catch(() => undefined);
          await source.close();
          await ended;
          await rig.close();
        };
      }, false);
    }
    for (const h of [6, 8]) {
      const rig = await ptyRig();
      await qrng('serial (one pty, as a CDC-ACM device; read on the driver’s reader thread)', `serial:${rig.path}:raw`, h, rig.play, false);
      await rig.close();
    }
    socat.kill('SIGTERM');
    rmSync(ptyDir, { recursive: true, force: true });
  }
}
