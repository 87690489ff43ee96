// Delivery on real media through the station core (issue S6): an enrolled client → delivery.deliver →
// reconcile({deep:true}) → sync.status, with the carriers under them on real things — loop devices
// with ext4 and exFAT (FUSE) standing in for USB sticks (station.json allows fixed drives), SoftHSM2
// tokens, and QR sheets read back through pdftoppm and zbarimg. Each package is read back by an
// independent path (a remount, pkcs11-tool, a rasterised scan) and opened with the client's initial
// keys as exported on their own channel. Then the faults of a desk — a stick pulled mid-write, a full
// stick (at preflight, filled between preflight and write, filled during the write), a read-only mount, a fixed drive when
// not allowed, a token removed mid-write — each giving its typed code and leaving the range either
// never allocated or voided (destroyed here, reported voided), with the next delivery on fresh ranges.
// Last, the ledger holds neither the PSRD nor a PIN.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StationFailure } from '../../src-shared/api/result';
import type { DeliveryResult } from '../../src-shared/api/delivery';
import { openPackage } from '../../src-shared/psrd/package-reader';
import { nobleCipher } from '../../src-shared/psrd/package-cipher';
import { assembleChunks, decodeChunk } from '../../src-shared/psrd/qr-chunk';
import { overlapping, type PsrdRange } from '../../src-shared/psrd/range';
import { packageFileName } from '../../hardware/carriers/removable-volume';
import { OP, openTestStation, tempDir, type TestStation } from '../support/station';
import {
  MediaLab,
  MiB,
  SOFTHSM_MODULE,
  noExfatReason,
  noLoopsReason,
  noQrToolsReason,
  noSoftHsmReason,
  readPackageFromToken,
  scanSheet,
  sh,
  softHsmTokens,
  tokenObjectLabels,
  type Volume,
} from '../support/media';
import { refusal as failure } from '../support/refusal';
import { enrolClient } from '../support/enrol';
import { shipWholePool } from '../support/server';

// Letters and digits: a PIN that cannot turn up by chance in a timestamp or a byte count of the ledger.
const PIN = 'Pin7f3kQ9zxW';
const WRONG_PIN = 'Wrong4h8TbqL';
const TOKENS = ['client-main', 'client-gone', 'client-next', 'client-retry'];

const lab = new MediaLab('dske-media-deliver-');
const hsmRoot = tempDir('dske-media-hsm-');
const out = tempDir('dske-media-out-');
const dataDir = tempDir('dske-media-data-');
let tokenDirs = new Map<string, string>();
let ts: TestStation | undefined;
let client = '';
/** The client's initial keys, from the file exportInitialKeys wrote (the client's own channel). */
let initialKeys: Buffer;
/** The first 16 bytes of every PSRD the tests opened, and the PINs used: none may be in the ledger. */
const psrdHeads: Buffer[] = [];
let hsmDelivered = false;
const timings: string[] = [];

const station = (): TestStation['station'] => ts!.station;
const h = (): TestStation['station']['handlers'] => station().handlers;

function writeSettings(allowFixedDrives: boolean): void {
  // No two-person threshold here: a delivery larger than the pool must reach the pool's refusal with the token open.
  writeFileSync(join(dataDir, 'station.json'), JSON.stringify({ delivery: { allowFixedDrives, pkcs11Module: SOFTHSM_MODULE, twoPersonAboveBytes: 2 ** 40 } }));
}

/** "DSKEIKF1" | u32 BE header length | header JSON | 64 key bytes | SHA-256 of all before. */
function readInitialKeysFile(path: string): { header: { hub: string; client: string; checkValue: string }; keys: Buffer } {
  const b = readFileSync(path);
  expect(b.subarray(0, 8).toString('ascii')).toBe('DSKEIKF1');
  const n = b.readUInt32BE(8);
  const header = JSON.parse(b.subarray(12, 12 + n).toString('utf8')) as { hub: string; client: string; checkValue: string };
  expect(b.length).toBe(12 + n + 64 + 32);
  expect(createHash('sha256').update(b.subarray(0, b.length - 32)).digest().equals(b.subarray(b.length - 32))).toBe(true);
  return { header, keys: Buffer.from(b.subarray(12 + n, 12 + n + 64)) };
}

async function timed<T>(what: string, f: () => Promise<T>): Promise<T> {
  const t = performance.now();
  try {
    return await f();
  } finally {
    timings.push(`${what}: ${(performance.now() - t).toFixed(0)} ms`);
  }
}

const allocationEntries = (): { type: string; data: Record<string, unknown> }[] =>
  station().ledger.entries().filter((e) => e.type.startsWith('allocation.')) as unknown as { type: string; data: Record<string, unknown> }[];

/** Where the allocation record stands, to compare with after a call. */
function mark(): { ids: Set<string>; entries: number } {
  return { ids: new Set(station().core.allocations.byId.keys()), entries: allocationEntries().length };
}

function newAllocations(before: ReturnType<typeof mark>): ReturnType<typeof allocationOf>[] {
  return [...station().core.allocations.byId.values()].filter((a) => !before.ids.has(a.id));
}

const allocationOf = (id: string) => station().core.allocations.byId.get(id)!;

function expectDestroyed(ranges: readonly PsrdRange[]): void {
  for (const r of ranges) expect(() => [...station().pool.read(r.segment, r.offset, r.length)], `${r.segment}@${r.offset}`).toThrow(/destroyed/);
}

/** The refusal came before anything was reserved: no allocation entry, no allocation. */
function expectNothingRecorded(before: ReturnType<typeof mark>): void {
  expect(allocationEntries().length).toBe(before.entries);
  expect(newAllocations(before)).toEqual([]);
}

/**
 * One allocation was reserved, then voided with `code` (a fault in the write: nothing between the two
 * entries): its ranges destroyed here and a 'voided' report queued.
 */
async function expectVoided(before: ReturnType<typeof mark>, code: string): Promise<PsrdRange[]> {
  const added = newAllocations(before);
  expect(added).toHaveLength(1);
  const a = added[0]!;
  expect(a).toMatchObject({ client, purpose: 'psrd', phase: 'voided', code });
  const types = allocationEntries().filter((e) => e.data.allocation === a.id).map((e) => e.type);
  expect(types).toEqual(['allocation.reserved', 'allocation.voided']);
  expect(allocationEntries().find((e) => e.type === 'allocation.voided' && e.data.allocation === a.id)!.data.code).toBe(code);
  expectDestroyed(a.ranges);
  const sync = await h().sync.status({}, OP);
  expect(sync.waiting.filter((w) => w.package === a.package).map((w) => ({ kind: w.kind, seq: w.seq }))).toEqual([{ kind: 'voided', seq: a.report }]);
  return [...a.ranges];
}

/** The delivery is on the record as delivered: every phase journaled, the station's copy destroyed, the report queued. */
async function expectDelivered(r: DeliveryResult): Promise<void> {
  const id = station().core.allocations.byPackage.get(r.package)!;
  const a = allocationOf(id);
  expect(a).toMatchObject({ client, purpose: 'psrd', phase: 'delivered', bytes: r.bytes, packageBytes: r.packageBytes, report: r.report });
  expect(a.ranges).toEqual(r.ranges);
  expect(allocationEntries().filter((e) => e.data.allocation === id).map((e) => e.type)).toEqual(['allocation.reserved', 'allocation.written', 'allocation.verified', 'allocation.delivered']);
  expectDestroyed(r.ranges);
  const sync = await h().sync.status({}, OP);
  expect(sync.waiting.filter((w) => w.package === r.package).map((w) => ({ kind: w.kind, seq: w.seq, bytes: w.bytes }))).toEqual([{ kind: 'delivered', seq: r.report, bytes: r.bytes }]);
}

/** reconcile, deep (the segment files read back), finds nothing; nothing is unsettled; no byte is held twice. */
async function expectClean(): Promise<void> {
  const rec = await h().delivery.reconcile({ deep: true }, OP);
  expect(rec.problems).toEqual([]);
  expect(rec.ok).toBe(true);
  const all = [...station().core.allocations.byId.values()];
  expect(station().core.allocations.unsettled.size).toBe(0);
  expect(overlapping(all.flatMap((a) => a.ranges))).toEqual([]);
  expect(rec.deliveries + rec.voided).toBe(all.length);
}

/** Opens a package with the exported initial keys: the asked PSRD, its header naming the result's ranges. */
function opensAs(pkg: Uint8Array, r: DeliveryResult): Uint8Array {
  expect(pkg.length).toBe(r.packageBytes);
  const opened = openPackage(pkg, initialKeys, nobleCipher);
  expect(opened.header).toMatchObject({ client, package: r.package, bytes: r.bytes });
  expect(opened.header.ranges).toEqual(r.ranges);
  expect(opened.psrd.length).toBe(r.bytes);
  psrdHeads.push(Buffer.from(opened.psrd.subarray(0, 16)));
  return opened.psrd;
}

/** A delivery after a fault: it succeeds, on ranges that share no byte with the ranges the fault voided. */
async function freshDelivery(to: string, bytes: number, voided: readonly PsrdRange[] = [], token?: { pin: string }): Promise<DeliveryResult> {
  const r = await h().delivery.deliver({ client, bytes, to, ...(token ? { token } : {}) }, OP);
  expect(overlapping([...voided, ...r.ranges])).toEqual([]);
  await expectDelivered(r);
  return r;
}

const dskeFiles = (v: Volume): string[] => readdirSync(v.mnt).filter((n) => n.startsWith('dske-') || n.includes('.partial'));

beforeAll(async () => {
  // SoftHSM2 reads its configuration when the module is first loaded: the tokens come before any carrier.
  if (!noSoftHsmReason) tokenDirs = softHsmTokens(hsmRoot, TOKENS, PIN);
  writeSettings(true);
  ts = openTestStation({ dataDir, policy: { segmentBytes: MiB, chunkBytes: 64 * 1024, lowWaterBytes: MiB } });
  await h().pool.generate({ bytes: 48 * MiB, sources: ['os'] }, OP);
  await shipWholePool(ts.station);
  const enrolled = await enrolClient(ts.station, OP, { keysDir: join(out, 'keys') });
  client = enrolled.client;
  const ik = readInitialKeysFile(enrolled.keysFile);
  expect(ik.header).toMatchObject({ client, checkValue: (await h().clients.show({ client }, OP)).initialKeys.checkValue });
  initialKeys = ik.keys;
});

afterAll(async () => {
  try {
    lab.cleanup();
  } finally {
    await ts?.cleanup();
    rmSync(hsmRoot, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
    if (timings.length) console.log(`delivery on real media:\n  ${timings.join('\n  ')}`);
  }
});

describe.skipIf(noLoopsReason !== undefined)(`USB sticks (loop devices)${noLoopsReason ? ` — skipped: ${noLoopsReason}` : ''}`, () => {
  for (const fs of ['ext4', 'exfat'] as const) {
    const skip = fs === 'exfat' ? noExfatReason : undefined;
    it.skipIf(skip !== undefined)(`delivers 3 MiB to usb: on ${fs}; fsck is clean; after a remount the file opens into the PSRD${skip ? ` (skipped: ${skip})` : ''}`, async () => {
      const v = lab.makeVolume(fs, 24);
      const r = await timed(`USB ${fs}, 3 MiB`, () => h().delivery.deliver({ client, bytes: 3 * MiB, to: `usb:${v.dev}` }, OP));
      expect(r).toMatchObject({ client, bytes: 3 * MiB });
      expect(r.medium).toMatchObject({ kind: 'usb', target: v.dev, sizeBytes: 24 * MiB });
      expect(r.medium.serial).toMatch(/^loop:/);
      await expectDelivered(r);
      await expectClean();
      // The volume as the client gets it: unmounted (release may have done it), checked, mounted again.
      lab.unmount(v);
      lab.fsck(v); // throws on any fault found
      lab.mount(v);
      expect(dskeFiles(v)).toEqual([packageFileName(r.package)]);
      opensAs(readFileSync(join(v.mnt, packageFileName(r.package))), r);
      lab.unmount(v);
    }, 60_000);
  }

  it('a stick pulled out mid-write (lazy unmount from the progress event) is medium-unplugged: the range voided, the next delivery on fresh ranges', async () => {
    const v = lab.makeVolume('ext4', 24);
    const before = mark();
    let pulled = false;
    let pulledAt = 0;
    let total = 0;
    const off = station().events.on('delivery.progress', (p) => {
      if (!pulled && p.phase === 'write' && p.bytesDone > 0) {
        pulled = true;
        pulledAt = p.bytesDone;
        total = p.bytesTotal;
        lab.pull(v);
      }
    });
    let f: StationFailure;
    try {
      f = await timed('USB pulled mid-write', () => failure(h().delivery.deliver({ client, bytes: 3 * MiB, to: `usb:${v.dev}` }, OP)));
    } finally {
      off();
    }
    expect(pulled).toBe(true);
    // Pulled in the middle of the write (the write is the first half of the job's bytes).
    expect(pulledAt).toBeLessThan(total / 2);
    timings.push(`USB pulled after ${pulledAt} of ${total / 2} bytes written`);
    expect(f.code).toBe('medium-unplugged');
    const voided = await expectVoided(before, 'medium-unplugged');
    await expectClean();
    // Nothing landed on the system drive under the mountpoint, nor was left on the stick.
    expect(readdirSync(v.mnt)).toEqual([]);
    lab.mount(v);
    expect(dskeFiles(v)).toEqual([]);
    lab.unmount(v);
    lab.fsck(v);
    // Plugged in again: the next delivery goes through, on fresh ranges.
    lab.mount(v);
    const r = await freshDelivery(`usb:${v.dev}`, 256 * 1024, voided);
    lab.unmount(v);
    lab.mount(v);
    opensAs(readFileSync(join(v.mnt, packageFileName(r.package))), r);
    lab.unmount(v);
    await expectClean();
  }, 60_000);

  it('a stick too small for the package is medium-full at preflight: nothing is allocated', async () => {
    const v = lab.makeVolume('ext4', 2);
    const before = mark();
    const f = await failure(h().delivery.deliver({ client, bytes: 3 * MiB, to: `usb:${v.dev}` }, OP));
    expect(f.code).toBe('medium-full');
    expectNothingRecorded(before);
    expect(dskeFiles(v)).toEqual([]);
    await expectClean();
    await freshDelivery(`usb:${v.dev}`, 128 * 1024);
    await expectClean();
  }, 60_000);

  it('a stick filled between preflight and write is medium-full: the reserved range voided', async () => {
    const v = lab.makeVolume('ext4', 16);
    const before = mark();
    let filled = false;
    const off = station().events.on('delivery.progress', (p) => {
      if (!filled && p.phase === 'write') {
        filled = true;
        // Someone copies a file onto the stick meanwhile: 512 KiB stays free, the package needs 3 MiB.
        const s = statfsSync(v.mnt);
        sh('fallocate', '-l', String(s.bavail * s.bsize - 512 * 1024), join(v.mnt, 'filler'));
      }
    });
    let f: StationFailure;
    try {
      f = await failure(h().delivery.deliver({ client, bytes: 3 * MiB, to: `usb:${v.dev}` }, OP));
    } finally {
      off();
    }
    expect(filled).toBe(true);
    expect(f.code).toBe('medium-full');
    const voided = await expectVoided(before, 'medium-full');
    expect(dskeFiles(v)).toEqual([]);
    await expectClean();
    rmSync(join(v.mnt, 'filler'));
    await freshDelivery(`usb:${v.dev}`, 1 * MiB, voided);
    await expectClean();
    lab.unmount(v);
    lab.fsck(v);
  }, 60_000);

  it('a stick filled up during the write (ENOSPC after the first MiB) is medium-full: the reserved range voided, nothing left on it', async () => {
    // The file is written several MiB ahead of the progress reports: a package of 16 MiB leaves most
    // of its writes still to come when the first one reports.
    const v = lab.makeVolume('ext4', 32);
    const before = mark();
    let filledAt = -1;
    const off = station().events.on('delivery.progress', (p) => {
      if (filledAt < 0 && p.phase === 'write' && p.bytesDone > 0) {
        filledAt = p.bytesDone;
        const s = statfsSync(v.mnt);
        sh('fallocate', '-l', String(s.bavail * s.bsize), join(v.mnt, 'filler'));
      }
    });
    let f: StationFailure;
    try {
      f = await timed('USB filled mid-write, 16 MiB', () => failure(h().delivery.deliver({ client, bytes: 16 * MiB, to: `usb:${v.dev}` }, OP)));
    } finally {
      off();
    }
    expect(filledAt).toBeGreaterThan(0);
    expect(filledAt).toBeLessThan(16 * MiB);
    expect(f.code).toBe('medium-full');
    expect(f.message).toMatch(/no space left/);
    const voided = await expectVoided(before, 'medium-full');
    expect(dskeFiles(v)).toEqual([]);
    await expectClean();
    rmSync(join(v.mnt, 'filler'));
    await freshDelivery(`usb:${v.dev}`, 256 * 1024, voided);
    await expectClean();
    lab.unmount(v);
    lab.fsck(v);
  }, 60_000);

  it('a stick mounted read-only is medium-read-only: nothing is allocated', async () => {
    const v = lab.makeVolume('ext4', 16, { ro: true });
    const before = mark();
    const f = await failure(h().delivery.deliver({ client, bytes: 64 * 1024, to: `usb:${v.dev}` }, OP));
    expect(f.code).toBe('medium-read-only');
    expectNothingRecorded(before);
    await expectClean();
    lab.unmount(v);
    lab.mount(v);
    await freshDelivery(`usb:${v.dev}`, 64 * 1024);
    await expectClean();
  }, 60_000);

  it('a loop device when fixed drives are not allowed (station.json) is medium-not-allowed: nothing is allocated', async () => {
    const v = lab.makeVolume('ext4', 16);
    writeSettings(false);
    try {
      await ts!.reopen();
      const before = mark();
      const f = await failure(h().delivery.deliver({ client, bytes: 64 * 1024, to: `usb:${v.dev}` }, OP));
      expect(f.code).toBe('medium-not-allowed');
      expect(f.message).toMatch(/fixed drive/);
      expectNothingRecorded(before);
      expect(dskeFiles(v)).toEqual([]);
      await expectClean();
    } finally {
      writeSettings(true);
      await ts!.reopen();
    }
    await freshDelivery(`usb:${v.dev}`, 64 * 1024);
    await expectClean();
  }, 60_000);
});

describe.skipIf(noSoftHsmReason !== undefined)(`HSM tokens (SoftHSM2)${noSoftHsmReason ? ` — skipped: ${noSoftHsmReason}` : ''}`, () => {
  it('delivers 200 000 bytes to hsm:LABEL; pkcs11-tool reads the objects back and they open into the PSRD; a wrong PIN is refused and records nothing', async () => {
    const r = await timed('HSM, 200 000 bytes', () => h().delivery.deliver({ client, bytes: 200_000, to: 'hsm:client-main', token: { pin: PIN } }, OP));
    expect(r.medium).toMatchObject({ kind: 'hsm', target: 'client-main', model: 'SoftHSM project SoftHSM v2' });
    await expectDelivered(r);
    await expectClean();
    const pkg = readPackageFromToken(SOFTHSM_MODULE, 'client-main', PIN, r.package, hsmRoot);
    opensAs(pkg, r);
    hsmDelivered = true;

    const before = mark();
    const f = await failure(h().delivery.deliver({ client, bytes: 200_000, to: 'hsm:client-main', token: { pin: WRONG_PIN } }, OP));
    expect(f.code).toBe('medium-not-allowed');
    expect(f.message).toMatch(/refused the PIN/);
    expect(f.message).not.toContain(WRONG_PIN);
    expectNothingRecorded(before);
    expect(tokenObjectLabels(SOFTHSM_MODULE, 'client-main', PIN).filter((l) => l.startsWith('dske:') && !l.startsWith(`dske:${r.package}:`))).toEqual([]);
    await expectClean();
  }, 60_000);

  it('a token removed mid-write (its directory deleted from the progress event) is medium-unplugged: the range voided, the next delivery on fresh ranges', async () => {
    const dir = tokenDirs.get('client-gone')!;
    const before = mark();
    let removed = false;
    const off = station().events.on('delivery.progress', (p) => {
      if (!removed && p.phase === 'write' && p.bytesDone > 0) {
        removed = true;
        rmSync(dir, { recursive: true, force: true });
      }
    });
    let f: StationFailure;
    try {
      f = await timed('HSM token removed mid-write', () => failure(h().delivery.deliver({ client, bytes: 200_000, to: 'hsm:client-gone', token: { pin: PIN } }, OP)));
    } finally {
      off();
    }
    expect(removed).toBe(true);
    expect(f.code).toBe('medium-unplugged');
    expect(existsSync(dir)).toBe(false);
    const voided = await expectVoided(before, 'medium-unplugged');
    await expectClean();
    const r = await freshDelivery('hsm:client-next', 100_000, voided, { pin: PIN });
    opensAs(readPackageFromToken(SOFTHSM_MODULE, 'client-next', PIN, r.package, hsmRoot), r);
    await expectClean();
  }, 60_000);
  // The handler releases the carrier on every path (a token left logged in refused every later delivery to it).
  it('a delivery refused after the token was opened leaves it usable: the next delivery to it goes through', async () => {
    const before = mark();
    const f = await failure(h().delivery.deliver({ client, bytes: 1 << 30, to: 'hsm:client-retry', token: { pin: PIN } }, OP));
    expect(f.code).toBe('pool-insufficient');
    expectNothingRecorded(before);
    await expectClean();
    const r = await freshDelivery('hsm:client-retry', 50_000, [], { pin: PIN });
    opensAs(readPackageFromToken(SOFTHSM_MODULE, 'client-retry', PIN, r.package, hsmRoot), r);
  }, 30_000);
});

describe.skipIf(noQrToolsReason !== undefined)(`QR sheets${noQrToolsReason ? ` — skipped: ${noQrToolsReason}` : ''}`, () => {
  it('delivers 2000 bytes to qr:FILE.pdf; the codes scanned at 150 dpi reassemble into the package byte for byte', async () => {
    const pdf = join(out, 'sheet.pdf');
    const r = await timed('QR, 2000 bytes', () => h().delivery.deliver({ client, bytes: 2000, to: `qr:${pdf}` }, OP));
    expect(r.medium).toMatchObject({ kind: 'qr', target: pdf });
    expect(r.medium.codes).toBeGreaterThan(1);
    await expectDelivered(r);
    // Until it is printed and destroyed, the sheet's PDF is a third copy: reconcile says so, and only that.
    const pending = await h().delivery.reconcile({ deep: true }, OP);
    expect(pending.problems.map((p) => p.kind)).toEqual(['sheet-on-disk']);
    const scan = join(out, 'scan');
    mkdirSync(scan);
    const t = performance.now();
    const chunks = scanSheet(pdf, r.medium.codes!, scan).map((b) => decodeChunk(b));
    timings.push(`QR scan of ${r.medium.codes} codes (pdftoppm + zbarimg): ${(performance.now() - t).toFixed(0)} ms`);
    expect(new Set(chunks.map((c) => c.packageId))).toEqual(new Set([r.package]));
    const pkg = assembleChunks(chunks);
    opensAs(pkg, r);
    // "Printed": the sheet's file is destroyed and recorded; then the record is clean.
    expect(await h().delivery.destroySheet({ package: r.package }, OP)).toEqual({ package: r.package, path: pdf, found: true });
    expect(existsSync(pdf)).toBe(false);
    expect((await failure(h().delivery.destroySheet({ package: r.package }, OP))).code).toBe('bad-request');
    await expectClean();
  }, 60_000);

  it('a package above the QR limit is package-too-large: nothing is allocated, no sheet is written', async () => {
    const before = mark();
    const pdf = join(out, 'big.pdf');
    const f = await failure(h().delivery.deliver({ client, bytes: 40_000, to: `qr:${pdf}` }, OP));
    expect(f.code).toBe('package-too-large');
    expectNothingRecorded(before);
    expect(readdirSync(out).filter((n) => n.includes('big.pdf'))).toEqual([]);
    await expectClean();
  }, 30_000);
});

const noMedia = noLoopsReason !== undefined && noSoftHsmReason !== undefined && noQrToolsReason !== undefined;
describe.skipIf(noMedia)(`the ledger after the deliveries${noMedia ? ' — skipped: no medium could be used' : ''}`, () => {
  it('holds no PSRD and no PIN in any of its files', async () => {
    if (noSoftHsmReason === undefined) expect(hsmDelivered, 'the HSM delivery ran first').toBe(true);
    expect(psrdHeads.length).toBeGreaterThan(0);
    await ts!.reopen(); // so that the snapshot is written too
    const files = readdirSync(dataDir).filter((n) => n.startsWith('ledger'));
    expect(files).toContain('ledger.jsonl');
    for (const name of files) {
      const text = readFileSync(join(dataDir, name));
      for (const pin of [PIN, WRONG_PIN]) expect(text.includes(Buffer.from(pin)), `${pin === PIN ? 'the PIN' : 'the wrong PIN'} in ${name}`).toBe(false);
      for (const head of psrdHeads) {
        for (const form of [head, Buffer.from(head.toString('hex')), Buffer.from(head.toString('base64').slice(0, 20)), Buffer.from(head.toString('base64url').slice(0, 20))]) {
          expect(text.includes(form), `PSRD in ${name}`).toBe(false);
        }
      }
    }
    // Nor anywhere else in the data directory, for the PIN.
    const all = readdirSync(dataDir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile());
    for (const d of all) expect(readFileSync(join(d.parentPath ?? d.path, d.name)).includes(Buffer.from(PIN)), `the PIN in ${d.name}`).toBe(false);
  });
});
