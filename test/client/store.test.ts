// The client's store (issue S10; spec §11.1, §11.4): initial keys files and client packages from real
// stations of two hubs, imported into a client data directory, each package at its tableOffset in the
// client's PSRD table at its hub; the client's halves spent for key requests (lowest free span first),
// the hub's halves at the indices the hub names; strict one-time use of the PSRD, also across a process
// killed with SIGKILL inside and right after a take; crypto-erase of used-up chunks; and every bad input
// refused with a typed ClientFailure that leaves the data directory byte for byte as it was.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeInitialKeysFile } from '../../src-main/station/clients/initial-keys-file';
import { ClientFailure, type ClientErrorCode } from '../../src-client/errors';
import { ClientStore } from '../../src-client/store/client-store';
import { checkValueOf } from '../../src-client/store/initial-keys-file';
import { readPackageFile } from '../../src-client/import/package-file';
import { readPackageHeader } from '../../src-shared/psrd/package-reader';
import { encodePackage } from '../../src-shared/psrd/package-writer';
import { nobleCipher } from '../../src-shared/psrd/package-cipher';
import type { PackageHeader } from '../../src-shared/psrd/package-format';
import { keysIn } from '../support/enrol';
import { tempDir } from '../support/station';
import { openTestHub, psrdOf, type TestHub } from './support/hub';

const CHUNK = 16 * 1024;
let hubA: TestHub;
let hubB: TestHub;
const work = tempDir('dske-client-store-');
let alice: { client: string; keysFile: string };
let bob: { client: string; keysFile: string };
let carol: { client: string; keysFile: string };
/** alice's packages at hub A, bob's at hub A, carol's at hub B. */
let a1: { file: string; psrd: Uint8Array };
let a2: { file: string; psrd: Uint8Array };
let a3: { file: string; psrd: Uint8Array };
let b1: { file: string; psrd: Uint8Array };
let c1: { file: string; psrd: Uint8Array };
let n = 0;

/** Every file under dir, with the SHA-256 of its content (the lock file aside). */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name !== 'station.lock') out[relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

function refused(f: () => unknown, code: ClientErrorCode): ClientFailure {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ClientFailure);
    expect((e as ClientFailure).code, (e as Error).message).toBe(code);
    expect((e as Error).message).toMatch(/^\S.*\.$/s);
    return e as ClientFailure;
  }
  throw new Error(`expected a refusal with ${code}`);
}

/** A refusal that changes nothing in the data directory. */
function refusedUnchanged(store: ClientStore, f: () => unknown, code: ClientErrorCode): ClientFailure {
  const before = tree(store.dir);
  const status = store.status();
  const e = refused(f, code);
  expect(tree(store.dir)).toEqual(before);
  expect(store.status()).toEqual(status);
  return e;
}

function freshStore(): ClientStore {
  const dir = join(work, `store-${n++}`);
  ClientStore.init(dir);
  return ClientStore.open(dir, { chunkBytes: CHUNK });
}

const cat = (...parts: Uint8Array[]): Buffer => Buffer.concat(parts.map((p) => Buffer.from(p)));
const stateOf = (store: ClientStore, hub: string): { used: [number, number][]; chunks: { id: string; offset: number; key: string }[] } =>
  JSON.parse(readFileSync(join(store.dir, 'hubs', hub, 'state.json'), 'utf8')) as never;

beforeAll(async () => {
  hubA = await openTestHub('hub-a');
  hubB = await openTestHub('hub-b', 1 << 20);
  alice = await hubA.enrol('Alice');
  bob = await hubA.enrol('Bob');
  carol = await hubB.enrol('Carol');
  const pkg = async (hub: TestHub, who: { client: string; keysFile: string }, bytes: number): Promise<{ file: string; psrd: Uint8Array }> => {
    const { file } = await hub.deliverFile(who.client, bytes);
    return { file, psrd: psrdOf(readFileSync(file), who.keysFile) };
  };
  a1 = await pkg(hubA, alice, 100_000);
  a2 = await pkg(hubA, alice, 40_000);
  a3 = await pkg(hubA, alice, 5_000);
  b1 = await pkg(hubA, bob, 20_000);
  c1 = await pkg(hubB, carol, 30_000);
}, 120_000);

afterAll(async () => {
  await hubA?.cleanup();
  await hubB?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('the data directory', () => {
  it('init makes a 0700 folder with its own 0600 master key; a second init and an open of an empty folder are refused', () => {
    const dir = join(work, 'init');
    ClientStore.init(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'keys', 'master.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'keys', 'master.key')).size).toBe(32);
    const before = tree(dir);
    refused(() => ClientStore.init(dir), 'already-initialized');
    expect(tree(dir)).toEqual(before);
    refused(() => ClientStore.open(join(work, 'nothing-here')), 'not-initialized');
    rmSync(join(dir, 'keys', 'master.key'));
    refused(() => ClientStore.open(dir), 'master-key');
  });

  it('one process at a time: a second open is refused while the first holds the folder', () => {
    const store = freshStore();
    try {
      refused(() => ClientStore.open(store.dir), 'data-dir-locked');
      const reader = ClientStore.open(store.dir, { readOnly: true });
      expect(reader.status()).toEqual([]);
      refused(() => reader.takeForRequest('hub-a', 1), 'bad-request');
      refused(() => reader.takeAt('hub-a', 60_000, 1), 'bad-request');
      reader.close();
    } finally {
      store.close();
    }
    ClientStore.open(store.dir).close();
  });
});

describe('registration (initial keys file, §11.1)', () => {
  it('registers a hub; the same file again changes nothing; another registration for the hub is refused', () => {
    const store = freshStore();
    try {
      const r = store.registerKeys(readFileSync(alice.keysFile));
      expect(r).toEqual({ hub: 'hub-a', client: alice.client, checkValue: checkValueOf(psrdKeys(alice.keysFile)), added: true });
      const before = tree(store.dir);
      expect(store.registerKeys(readFileSync(alice.keysFile)).added).toBe(false);
      expect(tree(store.dir)).toEqual(before);
      const e = refusedUnchanged(store, () => store.registerKeys(readFileSync(bob.keysFile)), 'registration-conflict');
      expect(e.message).toContain(alice.client);
      // Same hub and client ID, other keys: refused too.
      const forged = encodeInitialKeysFile('hub-a', alice.client, checkValueOf(Buffer.alloc(64, 7)), Buffer.alloc(64, 7));
      refusedUnchanged(store, () => store.registerKeys(forged), 'registration-conflict');
      // The keys at rest are wrapped: the registration file does not hold them.
      const reg = readFileSync(join(store.dir, 'hubs', 'hub-a', 'registration.json'));
      expect(reg.includes(Buffer.from(psrdKeys(alice.keysFile)))).toBe(false);
      expect(reg.includes(Buffer.from(psrdKeys(alice.keysFile)).toString('base64'))).toBe(false);
      expect(store.status().map((s) => [s.hub, s.client])).toEqual([['hub-a', alice.client]]);
    } finally {
      store.close();
    }
  });

  it('refuses every malformed initial keys file with bad-keys-file and changes nothing', () => {
    const store = freshStore();
    try {
      const good = readFileSync(alice.keysFile);
      const h = good.readUInt32BE(8);
      const redigest = (b: Buffer): Buffer => {
        const body = b.subarray(0, b.length - 32);
        return Buffer.concat([body, createHash('sha256').update(body).digest()]);
      };
      const withHeader = (json: string): Buffer => redigest(Buffer.concat([Buffer.from('DSKEIKF1'), Buffer.from([0, 0, 0, Buffer.byteLength(json)].slice(0, 4)), Buffer.from(json), good.subarray(12 + h)]));
      const flipKey = Buffer.from(good);
      flipKey[12 + h + 5]! ^= 1;
      const cases: [string, Buffer][] = [
        ['empty', Buffer.alloc(0)],
        ['wrong magic', Buffer.concat([Buffer.from('DSKEIKF2'), good.subarray(8)])],
        ['a package', readFileSync(a1.file)],
        ['cut', good.subarray(0, good.length - 1)],
        ['trailing', Buffer.concat([good, Buffer.from([0])])],
        ['digest flipped', Buffer.concat([good.subarray(0, good.length - 1), Buffer.from([good[good.length - 1]! ^ 1])])],
        ['a key byte flipped (digest recomputed): check value fails', redigest(flipKey)],
        ['extra field', withHeader(JSON.stringify({ format: 1, hub: 'hub-a', client: alice.client, checkValue: '00000000', x: 1 }))],
        ['format 2', withHeader(JSON.stringify({ format: 2, hub: 'hub-a', client: alice.client, checkValue: '00000000' }))],
        ['bad hub', withHeader(JSON.stringify({ format: 1, hub: '../x', client: alice.client, checkValue: '00000000' }))],
        ['random', randomBytes(300)],
      ];
      for (const [what, bytes] of cases) {
        const e = refusedUnchanged(store, () => store.registerKeys(bytes), 'bad-keys-file');
        expect(e.message, what).toMatch(/initial keys file/);
      }
      expect(store.status()).toEqual([]);
    } finally {
      store.close();
    }
  });
});

function psrdKeys(file: string): Uint8Array {
  const b = readFileSync(file);
  return b.subarray(b.length - 96, b.length - 32);
}

describe('importing packages', () => {
  it('imports a package file; the same package a second time is refused (package-seen) and changes nothing', () => {
    const store = freshStore();
    try {
      store.registerKeys(readFileSync(alice.keysFile));
      const r = store.importPackage(readPackageFile(a1.file));
      expect(r).toMatchObject({ hub: 'hub-a', client: alice.client, bytes: 100_000, tableOffset: 0, available: 100_000 });
      expect(store.status()[0]).toMatchObject({
        heldBytes: 100_000, usedBytes: 0, availableBytes: 100_000, chunks: 2 * Math.ceil(50_000 / CHUNK), erasedChunks: 0, packages: [r.package],
        forRequests: { heldBytes: 50_000, usedBytes: 0, availableBytes: 50_000 }, forInstructions: { heldBytes: 50_000, usedBytes: 0, availableBytes: 50_000 },
      });
      refusedUnchanged(store, () => store.importPackage(readPackageFile(a1.file)), 'package-seen');
      // Seen stays seen after everything of it is used.
      store.takeForRequest('hub-a', 50_000);
      store.takeAt('hub-a', 50_000, 50_000);
      expect(store.status()[0]).toMatchObject({ usedBytes: 100_000, chunks: 0, erasedChunks: 8 });
      refusedUnchanged(store, () => store.importPackage(readPackageFile(a1.file)), 'package-seen');
    } finally {
      store.close();
    }
  });

  it('refuses a package for another client of the hub, a package of a hub not registered, and a package under other keys', () => {
    const store = freshStore();
    try {
      store.registerKeys(readFileSync(alice.keysFile));
      refusedUnchanged(store, () => store.importPackage(readFileSync(b1.file)), 'wrong-client');
      refusedUnchanged(store, () => store.importPackage(readFileSync(c1.file)), 'unknown-hub');
      // Registered with hub B too (as carol), hub B's package goes to hub B's store only.
      store.registerKeys(readFileSync(carol.keysFile));
      store.importPackage(readFileSync(c1.file));
      expect(store.status().map((s) => [s.hub, s.availableBytes])).toEqual([['hub-a', 0], ['hub-b', 30_000]]);
      refused(() => store.takeForRequest('hub-a', 1), 'used-up');
      refused(() => store.takeAt('hub-a', 0, 1), 'psrd-not-held');
      const first = store.takeForRequest('hub-b', 15_000);
      expect(first.index).toBe(0);
      expect(cat(first.bytes, store.takeAt('hub-b', 15_000, 15_000)).equals(Buffer.from(c1.psrd))).toBe(true);
    } finally {
      store.close();
    }
    const other = freshStore();
    try {
      // Alice's hub and client ID with keys that are not hers: the package does not open.
      const keys = randomBytes(64);
      other.registerKeys(encodeInitialKeysFile('hub-a', alice.client, checkValueOf(keys), keys));
      refusedUnchanged(other, () => other.importPackage(readFileSync(a1.file)), 'authentication-failed');
    } finally {
      other.close();
    }
  });

  it('refuses malformed, cut, extended, altered and foreign packages with a typed error and changes nothing', () => {
    const store = freshStore();
    try {
      store.registerKeys(readFileSync(alice.keysFile));
      const good = readFileSync(a2.file);
      const flip = (at: number): Buffer => {
        const b = Buffer.from(good);
        b[at]! ^= 0x40;
        return b;
      };
      const cases: [string, Uint8Array, ClientErrorCode][] = [
        ['empty', new Uint8Array(0), 'bad-package'],
        ['magic', flip(0), 'bad-package'],
        ['cut in the header', good.subarray(0, 20), 'bad-package'],
        ['cut in the body', good.subarray(0, good.length - 1), 'bad-package'],
        ['trailing byte', Buffer.concat([good, Buffer.from([0])]), 'bad-package'],
        ['body byte flipped', flip(good.length - 100), 'authentication-failed'],
        ['tag flipped', flip(good.length - 1), 'authentication-failed'],
        ['an initial keys file', readFileSync(alice.keysFile), 'bad-package'],
        ['random', randomBytes(5000), 'bad-package'],
      ];
      for (const [what, bytes, code] of cases) {
        const e = refusedUnchanged(store, () => store.importPackage(bytes), code);
        expect(e.message, what).not.toMatch(/undefined/);
      }
      // The header re-written to another package ID: no longer the package that was sealed.
      const h = good.readUInt32BE(8);
      const header = good.subarray(12, 12 + h).toString('utf8').replace(/"package":"pkg-[0-9a-f]{32}"/, `"package":"pkg-${'0'.repeat(32)}"`);
      refusedUnchanged(store, () => store.importPackage(Buffer.concat([good.subarray(0, 12), Buffer.from(header), good.subarray(12 + h)])), 'authentication-failed');
      refused(() => readPackageFile(alice.keysFile), 'bad-package');
      refused(() => readPackageFile(join(work, 'no-such.pkg')), 'io');
      expect(store.status()[0]!.heldBytes).toBe(0);
      // And the good one still imports.
      store.importPackage(good);
      expect(store.status()[0]!.heldBytes).toBe(40_000);
    } finally {
      store.close();
    }
  });
});

/** A package sealed with a client's own initial keys, placed at `tableOffset` (what a faulty station or a forger with the keys could make). */
async function forge(who: { client: string; keysFile: string }, like: string, bytes: number, tableOffset: number): Promise<Buffer> {
  const h = readPackageHeader(readFileSync(like)).header;
  const header: PackageHeader = { ...h, package: `pkg-${randomBytes(16).toString('hex')}`, ranges: [{ ...h.ranges[0]!, length: bytes }], bytes, tableOffset };
  const parts: Buffer[] = [];
  for await (const p of encodePackage(header, keysIn(readFileSync(who.keysFile)), [randomBytes(bytes)], nobleCipher)) parts.push(Buffer.from(p));
  return Buffer.concat(parts);
}

/** Alice's table at hub A with a1 and a2 (contiguous from 0). */
const table = (): Buffer => cat(a1.psrd, a2.psrd);
const aliceWith = (...pkgs: { file: string }[]): ClientStore => {
  const store = freshStore();
  store.registerKeys(readFileSync(alice.keysFile));
  for (const p of pkgs) store.importPackage(readFileSync(p.file));
  return store;
};

describe('the PSRD table (§11.4): each package at its tableOffset; its first half the client’s, its second the hub’s', () => {
  it('places each package where its header says, in any import order; a package over bytes already held is refused (table-overlap) and changes nothing', async () => {
    expect([a1, a2, a3].map((p) => readPackageHeader(readFileSync(p.file)).header.tableOffset)).toEqual([0, 100_000, 140_000]);
    expect(readPackageHeader(readFileSync(b1.file)).header.tableOffset).toBe(0);
    const store = aliceWith();
    try {
      expect(store.importPackage(readFileSync(a2.file)).tableOffset).toBe(100_000);
      // The lowest free span of the client's halves: a2's until a1 comes, then a1's.
      const r1 = store.takeForRequest('hub-a', 112);
      expect(r1.index).toBe(100_000);
      expect(Buffer.from(r1.bytes).equals(Buffer.from(a2.psrd.subarray(0, 112)))).toBe(true);
      store.importPackage(readFileSync(a1.file));
      const r2 = store.takeForRequest('hub-a', 112);
      expect(r2.index).toBe(0);
      expect(Buffer.from(r2.bytes).equals(Buffer.from(a1.psrd.subarray(0, 112)))).toBe(true);
      for (const at of [99_000, 120_000, 0, 139_999]) {
        const forged = await forge(alice, a1.file, 1000, at);
        const e = refusedUnchanged(store, () => store.importPackage(forged), 'table-overlap');
        expect(e.message).toMatch(/already holds/);
      }
      // The same kind of package placed after the table imports: the check is the place.
      expect(store.importPackage(await forge(alice, a1.file, 1000, 200_000))).toMatchObject({ tableOffset: 200_000, bytes: 1000 });
      expect(store.takeAt('hub-a', 200_500, 500)).toHaveLength(500);
      refused(() => store.takeAt('hub-a', 200_499, 1), 'wrong-half');
      expect(store.status()[0]).toMatchObject({ heldBytes: 141_000, forRequests: { heldBytes: 70_500, usedBytes: 224 } });
    } finally {
      store.close();
    }
  });

  it('takeForRequest: the lowest free span of the client’s halves that fits in one half, each byte once; refuses (handing out nothing) when none is left', () => {
    const store = aliceWith(a1, a2);
    try {
      const all = table();
      const got: { index: number; bytes: Uint8Array }[] = [];
      const take = (k: number, index: number): void => {
        const r = store.takeForRequest('hub-a', k);
        expect(r.index, `${k} bytes`).toBe(index);
        expect(Buffer.from(r.bytes).equals(all.subarray(index, index + k))).toBe(true);
        got.push(r);
      };
      let at = 0;
      for (const k of [1, 31, 16_352, 16_384, 17_000]) {
        take(k, at);
        at += k;
      }
      expect(at).toBe(49_768);
      refusedUnchanged(store, () => store.takeForRequest('hub-a', 30_001), 'used-up'); // 30_000 free, but no half holds more than 20_000 of them
      take(1000, 100_000); // 232 left in a1's half: too few, so a2's
      take(200, 49_768); // then the lowest span that fits
      take(32, 49_968); // exactly to the end of the half
      take(19_000, 101_000);
      refusedUnchanged(store, () => store.takeForRequest('hub-a', 1), 'used-up');
      refusedUnchanged(store, () => store.takeForRequest('hub-a', 0), 'bad-request');
      refusedUnchanged(store, () => store.takeForRequest('hub-a', 1.5), 'bad-request');
      refusedUnchanged(store, () => store.takeForRequest('hub-z', 1), 'unknown-hub');
      expect(store.status()[0]).toMatchObject({
        heldBytes: 140_000, usedBytes: 70_000, availableBytes: 70_000,
        forRequests: { heldBytes: 70_000, usedBytes: 70_000, availableBytes: 0 }, forInstructions: { heldBytes: 70_000, usedBytes: 0, availableBytes: 70_000 },
      });
      // The hub's halves are still whole.
      expect(Buffer.from(store.takeAt('hub-a', 50_000, 50_000)).equals(all.subarray(50_000, 100_000))).toBe(true);
      // A package imported afterwards adds its first half.
      store.importPackage(readFileSync(a3.file));
      const r = store.takeForRequest('hub-a', 2_500);
      expect(r.index).toBe(140_000);
      expect(Buffer.from(r.bytes).equals(Buffer.from(a3.psrd.subarray(0, 2_500)))).toBe(true);
    } finally {
      store.close();
    }
  });

  it('takeAt: exactly the bytes the hub names, in its halves only, each byte once, in any order', () => {
    const store = aliceWith(a1, a2);
    try {
      const all = table();
      for (const [i, k] of [[130_000, 112], [50_000, 112], [99_888, 112], [120_000, 112]] as const) expect(Buffer.from(store.takeAt('hub-a', i, k)).equals(all.subarray(i, i + k)), `${i}`).toBe(true);
      for (const [i, k] of [[130_000, 112], [130_050, 1], [129_950, 100], [99_800, 100], [49_999 + 1, 1]]) refusedUnchanged(store, () => store.takeAt('hub-a', i!, k!), 'psrd-used');
      // The client's halves, and spans across a half's edge, are not the hub's to choose.
      for (const [i, k] of [[0, 112], [49_990, 20], [99_990, 20], [119_990, 20], [100_000, 1]]) refusedUnchanged(store, () => store.takeAt('hub-a', i!, k!), 'wrong-half');
      for (const [i, k] of [[140_000, 1], [139_990, 20], [1e9, 112]]) refusedUnchanged(store, () => store.takeAt('hub-a', i!, k!), 'psrd-not-held');
      for (const [i, k] of [[-1, 1], [1.5, 1], [50_000, 0], [Number.MAX_SAFE_INTEGER, 2]]) refusedUnchanged(store, () => store.takeAt('hub-a', i!, k!), 'bad-request');
      refusedUnchanged(store, () => store.takeAt('hub-z', 50_500, 1), 'unknown-hub');
      expect(store.status()[0]).toMatchObject({ forRequests: { usedBytes: 0 }, forInstructions: { heldBytes: 70_000, usedBytes: 448, availableBytes: 69_552 } });
      // takeForRequest never hands out the hub's bytes: with the client's halves spent, it refuses.
      store.takeForRequest('hub-a', 50_000);
      store.takeForRequest('hub-a', 20_000);
      refusedUnchanged(store, () => store.takeForRequest('hub-a', 1), 'used-up');
      expect(Buffer.from(store.takeAt('hub-a', 130_112, 9_888)).equals(all.subarray(130_112, 140_000))).toBe(true);
    } finally {
      store.close();
    }
  });

  it('crypto-erases a chunk once wholly used, whichever side uses it and in whatever order: its key leaves the state and its file is gone', () => {
    const store = aliceWith(a1);
    try {
      const first = stateOf(store, 'hub-a').chunks;
      // Chunks are cut within each half: the client's at 0, 16384, 32768, 49152; the hub's from 50000.
      expect(first.map((c) => c.offset)).toEqual([0, CHUNK, 2 * CHUNK, 3 * CHUNK, 50_000, 50_000 + CHUNK, 50_000 + 2 * CHUNK, 50_000 + 3 * CHUNK]);
      const files = (): string[] => readdirSync(join(store.dir, 'hubs', 'hub-a', 'chunks')).sort();
      expect(files()).toEqual(first.map((c) => `${c.id}.psrd`).sort());
      // No chunk file holds PSRD in clear.
      for (const c of first) expect(readFileSync(store.chunkFile('hub-a', c.id)).includes(Buffer.from(a1.psrd.subarray(c.offset, c.offset + 32)))).toBe(false);

      store.takeForRequest('hub-a', CHUNK - 1);
      expect(stateOf(store, 'hub-a').chunks.map((c) => c.id)).toEqual(first.map((c) => c.id));
      expect(store.takeForRequest('hub-a', 1 + CHUNK + 10).index).toBe(CHUNK - 1);
      let now = stateOf(store, 'hub-a');
      expect(now.chunks.map((c) => c.id)).toEqual(first.slice(2).map((c) => c.id));
      expect(now.used).toEqual([[0, 2 * CHUNK + 10]]);
      // The hub's first chunk, taken back to front in two pieces: erased with the second.
      store.takeAt('hub-a', 50_000 + CHUNK / 2, CHUNK / 2);
      expect(stateOf(store, 'hub-a').chunks).toHaveLength(6);
      store.takeAt('hub-a', 50_000, CHUNK / 2);
      now = stateOf(store, 'hub-a');
      expect(now.chunks.map((c) => c.id)).toEqual([...first.slice(2, 4), ...first.slice(5)].map((c) => c.id));
      expect(now.used).toEqual([[0, 2 * CHUNK + 10], [50_000, 50_000 + CHUNK]]);
      const raw = readFileSync(join(store.dir, 'hubs', 'hub-a', 'state.json'), 'utf8');
      for (const gone of [first[0]!, first[1]!, first[4]!]) {
        expect(raw).not.toContain(gone.key);
        expect(raw).not.toContain(gone.id);
        expect(existsSync(store.chunkFile('hub-a', gone.id))).toBe(false);
      }
      expect(files()).toHaveLength(5);
      expect(store.status()[0]).toMatchObject({ chunks: 5, erasedChunks: 3, usedBytes: 3 * CHUNK + 10 });
    } finally {
      store.close();
    }
  });

  it('a damaged chunk file refuses the take with store-damaged and hands out nothing', () => {
    const store = aliceWith(a2);
    try {
      const id = stateOf(store, 'hub-a').chunks[1]!.id;
      const f = readFileSync(store.chunkFile('hub-a', id));
      f[20]! ^= 1;
      writeFileSync(store.chunkFile('hub-a', id), f);
      refusedUnchanged(store, () => store.takeForRequest('hub-a', CHUNK + 1), 'store-damaged');
      expect(Buffer.from(store.takeForRequest('hub-a', CHUNK).bytes).equals(Buffer.from(a2.psrd.subarray(0, CHUNK)))).toBe(true);
      refusedUnchanged(store, () => store.takeAt('hub-a', 100_000 + CHUNK, 1), 'wrong-half');
      expect(store.takeAt('hub-a', 120_000, 1)).toHaveLength(1);
    } finally {
      store.close();
    }
  });

  it('a state that does not add up (used spans cut back, a format 1 state) is refused as damaged, never read as fresh PSRD', () => {
    const store = aliceWith(a1);
    const path = join(store.dir, 'hubs', 'hub-a', 'state.json');
    try {
      store.takeForRequest('hub-a', CHUNK + 10); // erases the first chunk
      const good = readFileSync(path, 'utf8');
      const o = JSON.parse(good) as Record<string, unknown>;
      for (const [what, bad] of [
        ['used spans forgotten', { ...o, used: [] }],
        ['used span shortened', { ...o, used: [[0, CHUNK - 1]] }],
        ['used span out of the table', { ...o, used: [[0, CHUNK + 10], [200_000, 200_001]] }],
        ['used spans not merged', { ...o, used: [[0, 5], [5, CHUNK + 10]] }],
        ['format 1', { ...o, format: 1 }],
      ] as const) {
        writeFileSync(path, JSON.stringify(bad));
        const e = refused(() => store.takeForRequest('hub-a', 1), 'store-damaged');
        if (what === 'format 1') expect(e.message).toContain('earlier client');
      }
      writeFileSync(path, good);
      expect(store.takeForRequest('hub-a', 1).index).toBe(CHUNK + 10);
    } finally {
      store.close();
    }
  });
});

describe('takeAt under a claim: read again by its taker only, until released', () => {
  it('the same claim and span read the same bytes again; any other claim or span is psrd-used; chunks wait for the release', () => {
    const store = aliceWith(a1);
    try {
      const hubChunk = stateOf(store, 'hub-a').chunks.find((c) => c.offset === 50_000)!;
      const first = Buffer.from(store.takeAt('hub-a', 50_000, CHUNK, 'instruction-1'));
      expect(first.equals(Buffer.from(a1.psrd.subarray(50_000, 50_000 + CHUNK)))).toBe(true);
      // Wholly used, but claimed: still held.
      expect(existsSync(store.chunkFile('hub-a', hubChunk.id))).toBe(true);
      expect(store.claims('hub-a')).toEqual([{ claim: 'instruction-1', index: 50_000, length: CHUNK }]);
      expect(Buffer.from(store.takeAt('hub-a', 50_000, CHUNK, 'instruction-1')).equals(first)).toBe(true);
      refusedUnchanged(store, () => store.takeAt('hub-a', 50_000, CHUNK, 'instruction-2'), 'psrd-used');
      refusedUnchanged(store, () => store.takeAt('hub-a', 50_000, CHUNK - 1, 'instruction-1'), 'psrd-used');
      refusedUnchanged(store, () => store.takeAt('hub-a', 50_000, CHUNK), 'psrd-used');
      refusedUnchanged(store, () => store.takeAt('hub-a', 60_000, 1, 'bad claim'), 'bad-request');
      store.release('hub-a', 'instruction-0'); // unknown: nothing changes
      expect(store.claims('hub-a')).toHaveLength(1);
      store.release('hub-a', 'instruction-1');
      expect(store.claims('hub-a')).toEqual([]);
      expect(existsSync(store.chunkFile('hub-a', hubChunk.id))).toBe(false);
      expect(stateOf(store, 'hub-a').chunks.map((c) => c.id)).not.toContain(hubChunk.id);
      refusedUnchanged(store, () => store.takeAt('hub-a', 50_000, CHUNK, 'instruction-1'), 'psrd-used');
    } finally {
      store.close();
    }
  });

  it('killed after marking a claimed take: reopened, the same claim reads the same bytes; released, nobody does', () => {
    const store = aliceWith(a1);
    store.close();
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'support', 'take-child.ts'), store.dir, 'hub-a', 'mark', 'at', '70000', '112', 'instruction-9'], { encoding: 'utf8', cwd: join(__dirname, '..', '..') });
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout).toBe('');
    const again = ClientStore.open(store.dir, { chunkBytes: CHUNK });
    try {
      refused(() => again.takeAt('hub-a', 70_000, 112), 'psrd-used');
      expect(Buffer.from(again.takeAt('hub-a', 70_000, 112, 'instruction-9')).equals(Buffer.from(a1.psrd.subarray(70_000, 70_112)))).toBe(true);
      again.release('hub-a', 'instruction-9');
      refused(() => again.takeAt('hub-a', 70_000, 112, 'instruction-9'), 'psrd-used');
    } finally {
      again.close();
    }
  });
});

describe('strict one-time use across a process killed with SIGKILL', () => {
  const child = (dir: string, when: 'mark' | 'after', ...how: (string | number)[]): { signal: NodeJS.Signals | null; stdout: string } => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'support', 'take-child.ts'), dir, 'hub-a', when, ...how.map(String)], { encoding: 'utf8', cwd: join(__dirname, '..', '..') });
    return { signal: r.signal, stdout: r.stdout };
  };
  const parsed = (stdout: string): { index: number; bytes: Buffer } => {
    const [i, hex] = stdout.trim().split(' ');
    return { index: Number(i), bytes: Buffer.from(hex!, 'hex') };
  };

  it('killed inside a take, after marking and before returning: reopened, those bytes are never handed out', () => {
    const store = aliceWith(a1);
    const first = store.takeForRequest('hub-a', 1000);
    store.close();
    const r = child(store.dir, 'mark', 'request', 20_000);
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout).toBe(''); // it never returned the bytes
    const h = child(store.dir, 'mark', 'at', 60_000, 112);
    expect(h.signal).toBe('SIGKILL');
    expect(h.stdout).toBe('');
    const again = ClientStore.open(store.dir, { chunkBytes: CHUNK }); // the dead process's lock is taken over
    try {
      expect(again.status()[0]).toMatchObject({ usedBytes: 21_112, forRequests: { usedBytes: 21_000 }, forInstructions: { usedBytes: 112 }, erasedChunks: 1 });
      const next = again.takeForRequest('hub-a', 500);
      expect(Buffer.from(first.bytes).equals(Buffer.from(a1.psrd.subarray(0, 1000)))).toBe(true);
      expect(next.index).toBe(21_000);
      expect(Buffer.from(next.bytes).equals(Buffer.from(a1.psrd.subarray(21_000, 21_500)))).toBe(true);
      refused(() => again.takeAt('hub-a', 60_000, 112), 'psrd-used');
      refused(() => again.takeAt('hub-a', 60_111, 1), 'psrd-used');
    } finally {
      again.close();
    }
  });

  it('killed right after a take: the bytes it got are never handed out again', () => {
    const store = aliceWith(a1);
    store.close();
    const handed: { index: number; bytes: Buffer }[] = [];
    for (const k of [3000, 40_000, 1]) {
      const r = child(store.dir, 'after', 'request', k);
      expect(r.signal).toBe('SIGKILL');
      handed.push(parsed(r.stdout));
    }
    expect(handed.map((h) => h.index)).toEqual([0, 3000, 43_000]);
    const h = child(store.dir, 'after', 'at', 50_000, 30_000);
    expect(h.signal).toBe('SIGKILL');
    const hubBytes = parsed(h.stdout);
    expect(hubBytes.bytes.equals(Buffer.from(a1.psrd.subarray(50_000, 80_000)))).toBe(true);
    const again = ClientStore.open(store.dir);
    try {
      const rest = again.takeForRequest('hub-a', 50_000 - 43_001);
      expect(rest.index).toBe(43_001);
      handed.push({ index: rest.index, bytes: Buffer.from(rest.bytes) });
      expect(Buffer.concat(handed.map((x) => x.bytes)).equals(Buffer.from(a1.psrd.subarray(0, 50_000)))).toBe(true);
      refused(() => again.takeForRequest('hub-a', 1), 'used-up');
      refused(() => again.takeAt('hub-a', 50_000, 1), 'psrd-used');
      refused(() => again.takeAt('hub-a', 79_999, 1), 'psrd-used');
      expect(Buffer.from(again.takeAt('hub-a', 80_000, 20_000)).equals(Buffer.from(a1.psrd.subarray(80_000)))).toBe(true);
      expect(again.status()[0]).toMatchObject({ usedBytes: 100_000, chunks: 0, erasedChunks: 8 });
    } finally {
      again.close();
    }
  });
});
