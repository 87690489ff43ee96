// Disk full (issue S5 item 6): on a real, small filesystem (a 4 MiB tmpfs, mounted as root), a
// generation that fills the disk says exactly what it committed — in its result and in the ledger —
// leaves no .partial, and read-only commands still answer on the full disk; once space is freed, the
// generation resumes to its exact total. The ledger itself meeting a full disk refuses cleanly.
// Failures of the ledger in the middle of a generation are simulated on an ordinary folder.
import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, openSync, readdirSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStation, type Station } from '../../src-main/station/station';
import { StationFailure } from '../../src-shared/api/result';
import { discardSegmentFiles, overwriteAndUnlink } from '../../src-node/psrd-store/segment-file';
import { OP, openTestStation, SMALL_POLICY, tempDir, type TestStation } from '../support/station';
import { refusal as rejection } from '../support/refusal';

const SEGMENT = SMALL_POLICY.segmentBytes;

/** Writes `path` until the filesystem refuses (ENOSPC); returns how many bytes it took. */
function fillDisk(path: string): number {
  const fd = openSync(path, 'wx', 0o600);
  const block = Buffer.alloc(4096, 0x5a);
  let bytes = 0;
  try {
    for (;;) {
      try {
        bytes += writeSync(fd, block, 0, block.length, bytes);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOSPC') return bytes;
        throw e;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Files of the pool folder that are not whole, recorded segments. */
const partials = (pool: string): string[] => readdirSync(pool).filter((n) => n.endsWith('.partial'));

const committedIn = (message: string): number => Number(/segments? (?:was|were) added to the pool \([^,]+, (\d+) bytes\)/.exec(message)?.[1]);

describe('a generation that fills a real disk (4 MiB tmpfs)', () => {
  let mnt = '';
  let mounted = false;
  let why = '';
  let station: Station | undefined;

  beforeEach(() => {
    mnt = tempDir('dske-diskfull-');
    mounted = false;
    if (process.getuid?.() !== 0) {
      why = 'needs root to mount a small tmpfs';
      return;
    }
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', mnt], { stdio: 'pipe' });
      mounted = true;
    } catch (e) {
      why = `mount -t tmpfs failed here (${String((e as { stderr?: Buffer }).stderr ?? e).trim()})`;
    }
  });

  afterEach(async () => {
    await station?.close().catch(() => undefined);
    station = undefined;
    if (mounted) {
      try {
        execFileSync('umount', [mnt], { stdio: 'pipe' });
      } catch {
        execFileSync('umount', ['-l', mnt], { stdio: 'pipe' });
      }
    }
    rmSync(mnt, { recursive: true, force: true });
  });

  it('reports exactly what was committed, leaves no .partial, answers read-only when full, and resumes once space is freed', async (ctx) => {
    if (!mounted) ctx.skip(why);
    const dataDir = join(mnt, 'station');
    const pool = join(dataDir, 'pool');
    station = openStation({ dataDir, host: 'test', mode: 'create', policy: SMALL_POLICY });
    // Room to free later: so that the rest of the generation fits once the disk has space again.
    const reserve = join(mnt, 'reserve');
    const fd = openSync(reserve, 'wx');
    writeSync(fd, Buffer.alloc(1536 * 1024, 1));
    closeSync(fd);

    const BYTES = 3 * 1024 * 1024;
    const failure = await rejection(station.handlers.pool.generate({ bytes: BYTES }, OP));
    expect(failure.code).toBe('disk-full');
    expect(failure.message).toMatch(/^The disk filled up after \d+ segments were added to the pool \([^)]+ bytes\); the rest \([^)]+\) was not generated\. Free space and resume the generation\.$/);
    const committed = committedIn(failure.message);
    const recorded = station.pool.state.unallocated();
    expect(recorded.length).toBeGreaterThan(0);
    expect(committed).toBe(recorded.reduce((a, s) => a + s.bytes, 0));
    expect(committed).toBe(recorded.length * SEGMENT);
    expect(station.pool.status().unallocatedBytes).toBe(committed);
    const failed = station.ledger.entries().find((e) => e.type === 'pool.generation-failed')!;
    expect(failed.data).toMatchObject({ bytesDone: committed, bytesRemaining: BYTES - committed, code: 'disk-full', reason: failure.message });
    expect(partials(pool)).toEqual([]);
    expect(readdirSync(pool).sort()).toEqual(recorded.flatMap((s) => [`${s.id}.keys`, `${s.id}.seg`]).sort());

    // The ledger meets the full disk too: make its next line need a new page, fill the disk, and ask.
    padLedgerToPageEnd(station, dataDir);
    const filler = join(mnt, 'filler');
    expect(fillDisk(filler)).toBeGreaterThan(0);
    const entries = station.ledger.entries().length;
    const ledgerBytes = statSync(join(dataDir, 'ledger.jsonl')).size;
    const refused = await rejection(station.handlers.pool.generate({ bytes: SEGMENT }, OP));
    expect(refused.code).toBe('disk-full');
    expect(refused.message).toBe('The ledger could not be written (the disk is full); nothing was changed.');
    expect(station.ledger.entries().length).toBe(entries);
    expect(statSync(join(dataDir, 'ledger.jsonl')).size).toBe(ledgerBytes);
    expect(await station.ledger.verify()).toMatchObject({ ok: true, entries });
    expect(await station.handlers.pool.status({}, OP)).toMatchObject({ unallocatedBytes: committed });
    expect(partials(pool)).toEqual([]);
    await station.close();
    station = undefined;

    // Read-only on the full disk: status, segments and verification answer, and nothing is written.
    const readOnly = openStation({ dataDir, host: 'test', mode: 'read', policy: SMALL_POLICY });
    try {
      expect(await readOnly.handlers.pool.status({}, OP)).toMatchObject({ unallocatedBytes: committed, segmentCount: recorded.length });
      expect((await readOnly.handlers.pool.segments({}, OP)).total).toBe(recorded.length);
      expect(await readOnly.handlers.audit.verify({}, OP)).toMatchObject({ ok: true, entries });
    } finally {
      await readOnly.close();
    }
    expect(statSync(join(dataDir, 'ledger.jsonl')).size).toBe(ledgerBytes);
    // Opening to write needs a little space (its lock file took the page it gave back when the station
    // closed): with that taken too, it is refused in a sentence, not an errno.
    const lastPage = join(mnt, 'last-page');
    fillDisk(lastPage);
    expect(() => openStation({ dataDir, host: 'test', policy: SMALL_POLICY })).toThrow(/^The station folder .* cannot be locked \(the disk is full\)\.$/);

    // Space again: the failed generation is resumable, and resuming it reaches the exact total.
    unlinkSync(lastPage);
    unlinkSync(filler);
    unlinkSync(reserve);
    station = openStation({ dataDir, host: 'test', policy: SMALL_POLICY });
    expect((await station.ledger.verify()).ok).toBe(true);
    const job = station.pool.state.resumable();
    expect(job).toMatchObject({ job: failed.data.job, bytes: BYTES, bytesDone: committed, state: 'failed' });
    const resumed = await station.handlers.pool.generate({ bytes: BYTES - committed, resumes: job!.job }, OP);
    expect(resumed.bytes).toBe(BYTES - committed);
    expect(station.pool.status().unallocatedBytes).toBe(BYTES);
    expect(station.pool.state.resumable()).toBeUndefined();
    expect(partials(pool)).toEqual([]);
  }, 60_000);

  it('removes an unfinished segment even when overwriting it needs space the disk no longer has', async (ctx) => {
    if (!mounted) ctx.skip(why);
    const dir = join(mnt, 'pool');
    mkdirSync(dir);
    const id = 'seg-0123456789abcdef00000000';
    // A sparse .partial (a chunk written past a hole): overwriting the hole needs new pages.
    for (const name of [`${id}.seg.partial`, `${id}.keys.partial`]) {
      const fd = openSync(join(dir, name), 'wx');
      writeSync(fd, Buffer.alloc(100, 1), 0, 100, 0);
      ftruncateSync(fd, 1024 * 1024);
      closeSync(fd);
    }
    fillDisk(join(mnt, 'filler'));
    expect(() => overwriteAndUnlink(join(dir, `${id}.seg.partial`))).toThrow(/ENOSPC/);
    expect(discardSegmentFiles(dir, id)).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });
});

/**
 * Appends one padding entry so that the ledger ends a few bytes short of a page boundary: the next
 * entry must then take a new page, which a full tmpfs refuses (the slack of a page is writable).
 */
function padLedgerToPageEnd(station: Station, dataDir: string): void {
  const file = join(dataDir, 'ledger.jsonl');
  const size = (): number => statSync(file).size;
  const before = size();
  station.ledger.append('test.padding', { pad: '' });
  const base = size() - before; // the length of a padding line with nothing in it
  for (let attempt = 0; attempt < 8; attempt++) {
    const slack = 4096 - (size() % 4096);
    if (slack < 64) return;
    const line = slack - 20 >= base ? slack - 20 : slack - 20 + 4096;
    station.ledger.append('test.padding', { pad: 'x'.repeat(line - base) });
  }
  throw new Error('could not pad the ledger to a page boundary');
}

describe('the ledger refusing entries in the middle of a generation', () => {
  let ts: TestStation;
  beforeEach(() => {
    ts = openTestStation();
  });
  afterEach(() => ts.cleanup());

  /** Makes the ledger refuse the nth entry of `type` (and, with `also`, every later entry of those types). */
  function refuse(type: string, nth: number, code: 'disk-full' | 'ledger-write', also: readonly string[] = []): void {
    const ledger = ts.station.ledger;
    const append = ledger.append.bind(ledger);
    let seen = 0;
    let refusing = false;
    ledger.append = (t, data, now) => {
      if (t === type && ++seen === nth) refusing = true;
      if (refusing && (t === type || also.includes(t))) throw new StationFailure(code, code === 'disk-full' ? 'The ledger could not be written (the disk is full); nothing was changed.' : 'The ledger could not be written (the disk reported an error); restart the station.');
      return append(t, data, now);
    };
  }

  const pool = (): string => join(ts.dataDir, 'pool');
  const onDisk = (): string[] => readdirSync(pool()).sort();
  const recordedFiles = (): string[] => ts.station.pool.state.unallocated().flatMap((s) => [`${s.id}.keys`, `${s.id}.seg`]).sort();

  it('a full disk refusing a segment\'s entry: that segment and the ones after it are removed, and the message counts only what was recorded', async () => {
    refuse('pool.segment-added', 3, 'disk-full');
    const failure = await rejection(ts.station.handlers.pool.generate({ bytes: 6 * SEGMENT }, OP));
    expect(failure.code).toBe('disk-full');
    expect(failure.message).toContain(`after 2 segments were added to the pool (512 KiB, ${2 * SEGMENT} bytes); the rest (1.00 MiB) was not generated.`);
    expect(ts.station.pool.status().unallocatedBytes).toBe(2 * SEGMENT);
    expect(onDisk()).toEqual(recordedFiles());
    expect(ts.station.ledger.entries().find((e) => e.type === 'pool.generation-failed')?.data).toMatchObject({ bytesDone: 2 * SEGMENT, segments: 2 });
  });

  it('a ledger that cannot record the failure either: the message says so, and the next start records the generation interrupted with exactly its bytes', async () => {
    refuse('pool.segment-added', 2, 'disk-full', ['pool.generation-failed', 'job.ended']);
    const failure = await rejection(ts.station.handlers.pool.generate({ bytes: 4 * SEGMENT }, OP));
    expect(failure.code).toBe('disk-full');
    expect(failure.message).toMatch(/after 1 segment was added to the pool \(256 KiB, 262144 bytes\); .* The ledger could not record the failure; the next start records this generation as interrupted\.$/);
    expect(onDisk()).toEqual(recordedFiles());
    const station = await ts.reopen();
    const interrupted = station.ledger.entries().find((e) => e.type === 'pool.generation-interrupted');
    expect(interrupted?.data).toMatchObject({ bytesDone: SEGMENT, bytesRemaining: 3 * SEGMENT });
    expect(station.pool.state.resumable()).toMatchObject({ bytesDone: SEGMENT });
    expect(station.pool.status().unallocatedBytes).toBe(SEGMENT);
  });

  it('a ledger failure that may have written the entry: the segment is left for the next start to settle', async () => {
    refuse('pool.segment-added', 2, 'ledger-write');
    const failure = await rejection(ts.station.handlers.pool.generate({ bytes: 3 * SEGMENT }, OP));
    expect(failure.code).toBe('ledger-write');
    const [kept] = ts.station.pool.state.unallocated();
    expect(ts.station.pool.state.unallocated()).toHaveLength(1);
    const unsure = onDisk().filter((n) => !recordedFiles().includes(n));
    // The second segment, finished and waiting for its record; the third (never offered to the ledger) is gone.
    expect(unsure).toHaveLength(2);
    expect(unsure.every((n) => n.startsWith(kept.id.slice(0, -1)) && !n.endsWith('.partial'))).toBe(true);
    // The entry was not written after all: the next start erases the segment and says so.
    const station = await ts.reopen();
    expect(onDisk()).toEqual(recordedFiles());
    expect(station.ledger.entries().filter((e) => e.type === 'pool.partial-segment-discarded')).toHaveLength(1);
    expect(station.pool.status().unallocatedBytes).toBe(SEGMENT);
  });
});
