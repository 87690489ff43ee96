// The client's store (issue S10, part 2; spec §11.1): initial keys files and client packages from real
// stations of two hubs, imported into a client data directory; strict one-time use of the PSRD, also
// across a process killed with SIGKILL inside and right after take(); crypto-erase of used-up chunks;
// and every bad input refused with a typed ClientFailure that leaves the data directory byte for byte
// as it was.
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
const stateOf = (store: ClientStore, hub: string): { used: number; base: number; chunks: { id: string; key: string }[] } =>
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
      refused(() => reader.take('hub-a', 1), 'bad-request');
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
      expect(r).toMatchObject({ hub: 'hub-a', client: alice.client, bytes: 100_000, available: 100_000 });
      expect(store.status()[0]).toMatchObject({ heldBytes: 100_000, usedBytes: 0, availableBytes: 100_000, chunks: Math.ceil(100_000 / CHUNK), erasedChunks: 0, packages: [r.package] });
      refusedUnchanged(store, () => store.importPackage(readPackageFile(a1.file)), 'package-seen');
      // Seen stays seen after everything of it is used.
      store.take('hub-a', 100_000);
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
      refused(() => store.take('hub-a', 1), 'used-up');
      expect(Buffer.from(store.take('hub-b', 30_000)).equals(Buffer.from(c1.psrd))).toBe(true);
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

describe('take(): strict one-time use', () => {
  it('hands out the packages’ PSRD in import order, each byte once, and refuses more than is held without handing out anything', () => {
    const store = freshStore();
    try {
      store.registerKeys(readFileSync(alice.keysFile));
      store.importPackage(readFileSync(a1.file));
      store.importPackage(readFileSync(a2.file));
      const all = cat(a1.psrd, a2.psrd);
      const got: Buffer[] = [];
      for (const k of [1, 31, 16_352, 16_384, 50_000, 17_000]) got.push(Buffer.from(store.take('hub-a', k)));
      const sofar = got.reduce((a, b) => a + b.length, 0);
      expect(Buffer.concat(got).equals(all.subarray(0, sofar))).toBe(true);
      const left = all.length - sofar;
      refusedUnchanged(store, () => store.take('hub-a', left + 1), 'used-up');
      refusedUnchanged(store, () => store.take('hub-a', 0), 'bad-request');
      refusedUnchanged(store, () => store.take('hub-a', 1.5), 'bad-request');
      refusedUnchanged(store, () => store.take('hub-z', 1), 'unknown-hub');
      got.push(Buffer.from(store.take('hub-a', left)));
      expect(Buffer.concat(got).equals(all)).toBe(true);
      refusedUnchanged(store, () => store.take('hub-a', 1), 'used-up');
      expect(store.status()[0]).toMatchObject({ heldBytes: 140_000, usedBytes: 140_000, availableBytes: 0, chunks: 0 });
      // A package imported afterwards continues the stream.
      store.importPackage(readFileSync(a3.file));
      expect(Buffer.from(store.take('hub-a', 5_000)).equals(Buffer.from(a3.psrd))).toBe(true);
    } finally {
      store.close();
    }
  });

  it('crypto-erases a chunk once wholly used: its key leaves the state and its file is gone; a partly used chunk keeps both', () => {
    const store = freshStore();
    try {
      store.registerKeys(readFileSync(alice.keysFile));
      store.importPackage(readFileSync(a1.file));
      const first = stateOf(store, 'hub-a').chunks;
      expect(first).toHaveLength(7);
      const files = (): string[] => readdirSync(join(store.dir, 'hubs', 'hub-a', 'chunks')).sort();
      expect(files()).toEqual(first.map((c) => `${c.id}.psrd`).sort());
      // No chunk file holds PSRD in clear.
      for (const c of first) expect(readFileSync(store.chunkFile('hub-a', c.id)).includes(Buffer.from(a1.psrd.subarray(0, 32)))).toBe(false);

      store.take('hub-a', CHUNK - 1);
      expect(stateOf(store, 'hub-a').chunks.map((c) => c.id)).toEqual(first.map((c) => c.id));
      store.take('hub-a', 1 + CHUNK + 10);
      const after = stateOf(store, 'hub-a');
      expect(after.chunks.map((c) => c.id)).toEqual(first.slice(2).map((c) => c.id));
      const raw = readFileSync(join(store.dir, 'hubs', 'hub-a', 'state.json'), 'utf8');
      for (const gone of first.slice(0, 2)) {
        expect(raw).not.toContain(gone.key);
        expect(raw).not.toContain(gone.id);
        expect(existsSync(store.chunkFile('hub-a', gone.id))).toBe(false);
      }
      expect(files()).toHaveLength(5);
      expect(store.status()[0]).toMatchObject({ chunks: 5, erasedChunks: 2, usedBytes: 2 * CHUNK + 10 });
    } finally {
      store.close();
    }
  });

  it('a damaged chunk file refuses take() with store-damaged and hands out nothing', () => {
    const store = freshStore();
    try {
      store.registerKeys(readFileSync(alice.keysFile));
      store.importPackage(readFileSync(a2.file));
      const id = stateOf(store, 'hub-a').chunks[1]!.id;
      const f = readFileSync(store.chunkFile('hub-a', id));
      f[20]! ^= 1;
      writeFileSync(store.chunkFile('hub-a', id), f);
      refusedUnchanged(store, () => store.take('hub-a', CHUNK + 1), 'store-damaged');
      expect(Buffer.from(store.take('hub-a', CHUNK)).equals(Buffer.from(a2.psrd.subarray(0, CHUNK)))).toBe(true);
    } finally {
      store.close();
    }
  });

  const child = (dir: string, k: number, when: 'mark' | 'after'): { status: number | null; signal: NodeJS.Signals | null; stdout: string } => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'support', 'take-child.ts'), dir, 'hub-a', String(k), when], { encoding: 'utf8', cwd: join(__dirname, '..', '..') });
    return { status: r.status, signal: r.signal, stdout: r.stdout };
  };

  it('a process killed inside take(), after marking and before returning: reopened, the next take starts after those bytes', () => {
    const store = freshStore();
    store.registerKeys(readFileSync(alice.keysFile));
    store.importPackage(readFileSync(a1.file));
    const first = Buffer.from(store.take('hub-a', 1000));
    store.close();
    const r = child(store.dir, 20_000, 'mark');
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout).toBe(''); // it never returned the bytes
    const again = ClientStore.open(store.dir, { chunkBytes: CHUNK }); // the dead process's lock is taken over
    try {
      expect(again.status()[0]).toMatchObject({ usedBytes: 21_000, availableBytes: 79_000, erasedChunks: 1 });
      const next = Buffer.from(again.take('hub-a', 500));
      expect(first.equals(Buffer.from(a1.psrd.subarray(0, 1000)))).toBe(true);
      expect(next.equals(Buffer.from(a1.psrd.subarray(21_000, 21_500)))).toBe(true);
    } finally {
      again.close();
    }
  });

  it('a process killed right after take(): the bytes it got are never handed out again', () => {
    const store = freshStore();
    store.registerKeys(readFileSync(alice.keysFile));
    store.importPackage(readFileSync(a1.file));
    store.close();
    const handed: Buffer[] = [];
    for (const k of [3000, 40_000, 1]) {
      const r = child(store.dir, k, 'after');
      expect(r.signal).toBe('SIGKILL');
      handed.push(Buffer.from(r.stdout.trim(), 'hex'));
    }
    const again = ClientStore.open(store.dir);
    try {
      handed.push(Buffer.from(again.take('hub-a', 100_000 - 43_001)));
      expect(Buffer.concat(handed).equals(Buffer.from(a1.psrd))).toBe(true);
      refused(() => again.take('hub-a', 1), 'used-up');
    } finally {
      again.close();
    }
  });
});
