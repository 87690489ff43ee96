// A client package as a file (hardware/carriers/package-file.ts) and the file carrier: written through
// an exclusive .partial with O_DIRECT, read back with O_DIRECT and compared by 1 MiB block digests.
// The first part runs anywhere (a temporary folder); the second, as root, on loop devices: a full
// volume, a read-only one, a device that stops answering mid-write (a loop device shrunk under it, a
// FUSE daemon killed), and
// the throughput beside cp and cmp (printed; bench/deliver.ts measures it).
import { createCipheriv, createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CarrierProgress, PackageStream } from '../../hardware/carriers/carrier';
import { FileCarrier } from '../../hardware/carriers/file';
import { stopHashingThread } from '../../hardware/carriers/block-hasher';
import { BLOCK_BYTES, verifyPackageFile, writePackageFile } from '../../hardware/carriers/package-file';
import { refusal as failure } from '../support/refusal';
import { MiB, sh, tryRun } from '../support/media';


/** A fake package: AES-CTR of zeros under a seed, in pieces of 1 MiB plus a tag, as the interface allows. */
function fakePackage(length: number, seed: number, opts: { pieceBytes?: number; lie?: number } = {}): PackageStream {
  const piece = opts.pieceBytes ?? MiB + 16;
  return {
    hubId: 'hub-1',
    clientId: 'client-1',
    packageId: `p${seed}`,
    ranges: [],
    length: length + (opts.lie ?? 0),
    async *pieces() {
      const c = createCipheriv('aes-256-ctr', Buffer.alloc(32, seed), Buffer.alloc(16));
      const zeros = Buffer.alloc(piece);
      for (let left = length; left > 0; ) {
        const n = Math.min(left, piece);
        yield c.update(zeros.subarray(0, n));
        left -= n;
      }
    },
  };
}

async function packageSha(pkg: PackageStream): Promise<string> {
  const h = createHash('sha256');
  for await (const p of pkg.pieces()) h.update(p);
  return h.digest('hex');
}

const fileSha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

const never = new AbortController().signal;
const quiet = (): void => undefined;
const work = mkdtempSync(join(tmpdir(), 'dske-pkgfile-'));
const mounts = new Set<string>();
const loops = new Set<string>();

afterAll(() => {
  for (const m of mounts) tryRun('umount', m) || tryRun('umount', '-l', m);
  for (const d of loops) tryRun('losetup', '-d', d);
  rmSync(work, { recursive: true, force: true });
});

let n = 0;
const fresh = (): string => {
  const d = join(work, `d${n++}`);
  mkdirSync(d);
  return d;
};

describe('package files in a folder', () => {
  it('writes an odd-length package in blocks and reads it back the same, with progress to the end', async () => {
    const dir = fresh();
    const pkg = fakePackage(3 * MiB + 4097, 1, { pieceBytes: 700_001 });
    const seen: CarrierProgress[] = [];
    const w = await writePackageFile(join(dir, 'a.pkg'), pkg, (p) => seen.push(p), never);
    expect(w).toMatchObject({ length: pkg.length, blockBytes: BLOCK_BYTES });
    expect(w.sha256).toHaveLength(4);
    expect(fileSha(join(dir, 'a.pkg'))).toBe(await packageSha(pkg));
    expect(readdirSync(dir)).toEqual(['a.pkg']);
    expect(seen.map((p) => p.bytesDone)).toEqual([MiB, 2 * MiB, 3 * MiB, pkg.length]);
    const back: number[] = [];
    const v = await verifyPackageFile(join(dir, 'a.pkg'), w, (p) => back.push(p.bytesDone), never);
    expect(back.at(-1)).toBe(pkg.length);
    expect(v.direct ? v.note : v.note).toBe(v.direct ? undefined : expect.stringMatching(/page cache/));
  });

  it('never writes over a file, nor over an unfinished one', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'taken.pkg'), 'mine');
    expect((await failure(writePackageFile(join(dir, 'taken.pkg'), fakePackage(MiB, 2), quiet, never))).code).toBe('medium-not-allowed');
    expect(readFileSync(join(dir, 'taken.pkg'), 'utf8')).toBe('mine');
    writeFileSync(join(dir, 'b.pkg.partial'), 'theirs');
    expect((await failure(writePackageFile(join(dir, 'b.pkg'), fakePackage(MiB, 2), quiet, never))).code).toBe('medium-not-allowed');
    expect(readFileSync(join(dir, 'b.pkg.partial'), 'utf8')).toBe('theirs');
  });

  it('names the first differing MiB of a flipped byte, a short file, a long file; a missing file differs at once', async () => {
    const dir = fresh();
    const pkg = fakePackage(4 * MiB + 10, 3);
    const path = join(dir, 'c.pkg');
    const w = await writePackageFile(path, pkg, quiet, never);
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.from([0x5a]), 0, 1, 2 * MiB + 12345);
    closeSync(fd);
    expect((await failure(verifyPackageFile(path, w, quiet, never))).message).toMatch(/differ; the first difference is in MiB 2\b/);
    truncateSync(path, 0);
    rmSync(path);
    const w2 = await writePackageFile(path, pkg, quiet, never);
    truncateSync(path, 3 * MiB + 5);
    const short = await failure(verifyPackageFile(path, w2, quiet, never));
    expect(short.code).toBe('verify-failed');
    expect(short.message).toMatch(/shorter .* MiB 3\b/);
    rmSync(path);
    const w3 = await writePackageFile(path, pkg, quiet, never);
    appendFileSync(path, 'x');
    expect((await failure(verifyPackageFile(path, w3, quiet, never))).message).toMatch(/longer .* MiB 4\b/);
    rmSync(path);
    expect((await failure(verifyPackageFile(path, w3, quiet, never))).message).toMatch(/not on the medium.*MiB 0/);
    // A package of whole MiBs with one byte more on the medium: the extra block differs.
    const whole = fakePackage(2 * MiB, 4);
    const w4 = await writePackageFile(path, whole, quiet, never);
    appendFileSync(path, 'y');
    expect((await failure(verifyPackageFile(path, w4, quiet, never))).message).toMatch(/longer .* MiB 2\b/);
  });

  it('takes the same digests, and still catches a flipped byte, when the hashing thread is stopped mid-write and mid-verify', async () => {
    const dir = fresh();
    const pkg = fakePackage(12 * MiB + 99, 7);
    const path = join(dir, 'h.pkg');
    const w = await writePackageFile(path, pkg, (p) => void (p.bytesDone === 3 * MiB && stopHashingThread()), never);
    const want = readFileSync(path);
    expect(w.sha256).toEqual(Array.from({ length: 13 }, (_, i) => createHash('sha256').update(want.subarray(i * MiB, (i + 1) * MiB)).digest('hex')));
    await verifyPackageFile(path, w, (p) => void (p.bytesDone === 5 * MiB && stopHashingThread()), never);
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.from([want[9 * MiB + 7]! ^ 1]), 0, 1, 9 * MiB + 7);
    closeSync(fd);
    expect((await failure(verifyPackageFile(path, w, (p) => void (p.bytesDone === 2 * MiB && stopHashingThread()), never))).message).toMatch(/differ; the first difference is in MiB 9\b/);
  });

  it('leaves nothing when cancelled, or when the stream is not the length it said', async () => {
    const dir = fresh();
    const ac = new AbortController();
    const f = await failure(writePackageFile(join(dir, 'd.pkg'), fakePackage(8 * MiB, 5), (p) => p.bytesDone >= 2 * MiB && ac.abort(), ac.signal));
    expect(f.code).toBe('cancelled');
    await expect(writePackageFile(join(dir, 'e.pkg'), fakePackage(2 * MiB, 5, { lie: 1 }), quiet, never)).rejects.toThrow(/not its stated/);
    await expect(writePackageFile(join(dir, 'e.pkg'), fakePackage(2 * MiB, 5, { lie: -1 }), quiet, never)).rejects.toThrow(/more than its stated/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps memory flat for a 256 MiB package (only the digests are kept)', async () => {
    const dir = fresh();
    const pkg = fakePackage(256 * MiB, 6);
    const before = process.memoryUsage();
    let peak = 0;
    const sample = (): void => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.rss - before.rss);
    };
    const w = await writePackageFile(join(dir, 'big.pkg'), pkg, sample, never);
    await verifyPackageFile(join(dir, 'big.pkg'), w, sample, never);
    expect(w.sha256).toHaveLength(256);
    // The package's pieces come and go; what stays is a few MiB of buffers and 256 digests.
    expect(peak).toBeLessThan(96 * MiB);
    rmSync(join(dir, 'big.pkg'));
  }, 120_000);

  it('file carrier: refuses a missing folder and an existing file, writes, verifies, describes and discards its own', async () => {
    const dir = fresh();
    const pkg = fakePackage(MiB + 1, 7);
    expect((await failure(FileCarrier.open(join(dir, 'nope', 'x.pkg')).preflight(pkg.length))).code).toBe('medium-unplugged');
    writeFileSync(join(dir, 'old.pkg'), 'keep');
    const old = FileCarrier.open(join(dir, 'old.pkg'));
    const refused = await failure(old.preflight(pkg.length));
    expect(refused.code).toBe('medium-not-allowed');
    expect(refused.message).toMatch(/already a file named old\.pkg/);
    await old.discard(pkg);
    expect(readFileSync(join(dir, 'old.pkg'), 'utf8')).toBe('keep');
    expect((await failure(FileCarrier.open(join(dir, 'huge.pkg')).preflight(2 ** 60))).code).toBe('medium-full');
    const c = FileCarrier.open(join(dir, 'new.pkg'));
    expect(await c.describe()).toEqual({ kind: 'file', target: join(dir, 'new.pkg') });
    await c.preflight(pkg.length);
    const w = await c.write(pkg, quiet, never);
    await c.verify(pkg, w, quiet, never);
    expect(fileSha(join(dir, 'new.pkg'))).toBe(await packageSha(pkg));
    await expect(c.verify(fakePackage(MiB, 7), w, quiet, never)).rejects.toThrow(/do not match this package/);
    await c.release();
    await c.discard(pkg);
    expect(readdirSync(dir).sort()).toEqual(['old.pkg']);
  });
});

const isRoot = process.getuid?.() === 0;
const loopsUsable = isRoot && existsSync('/dev/loop-control') && tryRun('losetup', '-f');
const noLoops = !isRoot ? 'not root' : !loopsUsable ? 'loop devices unavailable' : undefined;

function loopVolume(fs: 'ext4' | 'exfat', sizeMiB: number, opts: { ro?: boolean } = {}): { dev: string; mnt: string; img: string } {
  const k = n++;
  const img = join(work, `v${k}.img`);
  const mnt = join(work, `m${k}`);
  mkdirSync(mnt);
  sh('truncate', '-s', `${sizeMiB}M`, img);
  const dev = sh('losetup', '-f', '--show', img).trim();
  loops.add(dev);
  if (fs === 'ext4') {
    sh('mkfs.ext4', '-q', '-F', dev);
    sh('mount', ...(opts.ro ? ['-o', 'ro'] : []), dev, mnt);
  } else {
    sh('mkfs.exfat', dev);
    sh('mount.exfat-fuse', ...(opts.ro ? ['-o', 'ro'] : []), dev, mnt);
  }
  mounts.add(mnt);
  return { dev, mnt, img };
}

describe.skipIf(noLoops !== undefined)(`package files on loop-device volumes${noLoops ? ` (skipped: ${noLoops})` : ''}`, () => {
  for (const fs of ['ext4', 'exfat'] as const) {
    it(`a package bigger than the free space of ${fs}: ENOSPC on a write → medium-full, no .partial left`, async () => {
      const v = loopVolume(fs, 12);
      const f = await failure(writePackageFile(join(v.mnt, 'full.pkg'), fakePackage(16 * MiB, 8), quiet, never));
      expect(f.code).toBe('medium-full');
      expect(f.message).toMatch(/no space left/);
      expect(readdirSync(v.mnt).filter((x) => x.includes('.pkg'))).toEqual([]);
      // The room is there again: the next package fits.
      await writePackageFile(join(v.mnt, 'fits.pkg'), fakePackage(4 * MiB, 8), quiet, never);
    });

    it(`a read-only mount of ${fs}: EROFS at the open → medium-read-only, at preflight and at write`, async () => {
      const v = loopVolume(fs, 12, { ro: true });
      expect((await failure(FileCarrier.open(join(v.mnt, 'x.pkg')).preflight(MiB))).code).toBe('medium-read-only');
      const f = await failure(writePackageFile(join(v.mnt, 'x.pkg'), fakePackage(MiB, 9), quiet, never));
      expect(f.code).toBe('medium-read-only');
      expect(f.message).toMatch(/read-only file system/);
    });
  }

  it('a device that stops answering mid-write (the loop device shrunk under ext4): EIO → medium-unplugged, nothing on the system drive', async () => {
    const v = loopVolume('ext4', 64);
    let broken = false;
    const f = await failure(
      writePackageFile(
        join(v.mnt, 'gone.pkg'),
        fakePackage(24 * MiB, 10),
        (p) => {
          if (!broken && p.bytesDone >= 2 * MiB) {
            broken = true;
            // What a stick's controller dying looks like to the block layer: every I/O past the end fails.
            truncateSync(v.img, MiB);
            sh('losetup', '-c', v.dev);
          }
        },
        never,
      ),
    );
    expect(broken).toBe(true);
    expect(f.code).toBe('medium-unplugged');
    expect(f.message).toMatch(/stopped answering/);
    tryRun('umount', v.mnt) || tryRun('umount', '-l', v.mnt);
    mounts.delete(v.mnt);
    expect(readdirSync(v.mnt)).toEqual([]);
  });

  it('a FUSE daemon gone mid-write (exfat-fuse killed): ENOTCONN → medium-unplugged', async () => {
    const v = loopVolume('exfat', 64);
    // The daemon this test started, found by its own command line (the device and the mountpoint).
    const daemon = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .find((p) => {
        try {
          const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
          return argv.includes(v.dev) && argv.includes(v.mnt);
        } catch {
          return false;
        }
      });
    expect(daemon).toBeDefined();
    let killed = false;
    const f = await failure(
      writePackageFile(
        join(v.mnt, 'gone.pkg'),
        fakePackage(24 * MiB, 12),
        (p) => {
          if (!killed && p.bytesDone >= 2 * MiB) {
            killed = true;
            process.kill(Number(daemon), 'SIGKILL');
          }
        },
        never,
      ),
    );
    expect(killed).toBe(true);
    expect(f.code).toBe('medium-unplugged');
    expect(f.message).toMatch(/disconnected/);
    tryRun('umount', v.mnt) || tryRun('umount', '-l', v.mnt);
    mounts.delete(v.mnt);
  });

  it('writes and reads back 64 MiB on ext4 with O_DIRECT both ways (its speed beside cp and cmp printed)', async () => {
    const v = loopVolume('ext4', 200);
    const pkg = fakePackage(64 * MiB, 11);
    const t0 = performance.now();
    const w = await writePackageFile(join(v.mnt, 'speed.pkg'), pkg, quiet, never);
    const t1 = performance.now();
    const r = await verifyPackageFile(join(v.mnt, 'speed.pkg'), w, quiet, never);
    const t2 = performance.now();
    expect(w.direct && r.direct).toBe(true);
    const src = join(work, 'speed.src');
    const h = openSync(src, 'w');
    for await (const p of pkg.pieces()) writeSync(h, p);
    closeSync(h);
    const c0 = performance.now();
    sh('cp', src, join(v.mnt, 'speed.cp'));
    sh('sync', '-f', join(v.mnt, 'speed.cp'));
    const c1 = performance.now();
    sh('cmp', src, join(v.mnt, 'speed.cp'));
    const c2 = performance.now();
    const g0 = performance.now();
    for await (const p of pkg.pieces()) void p; // what producing the fake package itself costs
    const g1 = performance.now();
    const mbs = (ms: number): number => Math.round(64 / 1.048576 / (ms / 1000));
    console.log(
      `64 MiB on ext4 (loop): write+fsync ${mbs(t1 - t0)} MB/s, O_DIRECT verify ${mbs(t2 - t1)} MB/s, together ${mbs(t2 - t0)} MB/s; ` +
        `cp+sync ${mbs(c1 - c0)} MB/s, cmp (from the page cache) ${mbs(c2 - c1)} MB/s, together ${mbs(c2 - c0)} MB/s; ` +
        `the fake package alone (AES-CTR, counted in ours) ${Math.round(g1 - g0)} ms`,
    );
    // Printed, not asserted (no timing assertions in tests): bench/deliver.ts measures the speed.
    rmSync(src);
  }, 120_000);
});
