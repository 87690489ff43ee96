// Key establishment between two reference clients through three real Security Servers (issue S10,
// parts 2 and 4; draft §11.4, App. A, the offline variant). Each hub is a real station and a real
// src-server listening on loopback HTTP; Alice and Bob are enrolled at each, their packages delivered to
// files and imported into their own client stores, the stations' reports pushed to the servers. Shown:
// A establishes a 256-bit key with B through 3 hubs, k = 2, and B recovers the same key; with one hub
// down both still get it and the down hub is named; a lying hub (which re-encrypts and re-tags an altered
// share with its own copy of B's PSRD, all a hub can do) is named and the key is the same; two hubs down
// is a clear error; a replayed instruction set is refused without spending PSRD; a lost answer, and a
// process killed in the middle of recovering, lose nothing.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClientCli } from '../../src-client/cli';
import { ClientFailure } from '../../src-client/errors';
import { KeyClient, writeKeySettings, type Established, type FetchReport } from '../../src-client/keys/key-client';
import { ClientStore } from '../../src-client/store/client-store';
import { decodeInstruction, psrdBytesPerHub } from '../../src-shared/dske/appendix-a';
import { pad, signMessage } from '../../src-shared/dske/appendix-a/layout';
import type { HeldInstruction } from '../../src-shared/hub-api/instruction-list';
import { halfOf } from '../../src-shared/hub-api/table-layout';
import { readPackageHeader } from '../../src-shared/psrd/package-reader';
import { clientPsrd } from '../../src-server/holdings';
import { tempDir } from '../support/station';
import { psrdOf } from './support/hub';
import { openLiveHub, type LiveHub } from './support/live-hub';
import { intercepting as intercept, lie, type Tamper } from './support/lying-hub';

const HUBS = ['hub-a', 'hub-b', 'hub-c'];
const M = 2;
const LEN = psrdBytesPerHub(M);
const PKG = 20_000;
const DEAD = 'http://127.0.0.1:9'; // nothing listens there

interface Person {
  store: ClientStore;
  /** Client ID at each hub. */
  readonly ids: Record<string, string>;
  /** The package at each hub: where it begins in the table, and its PSRD (the hub holds the same bytes). */
  readonly pkg: Record<string, { tableOffset: number; psrd: Uint8Array }>;
}

const work = tempDir('dske-client-keys-');
let live: LiveHub[];
let alice: Person;
let bob: Person;

const url = (hub: string): string => live.find((l) => l.hub === hub)!.server.url;

beforeAll(async () => {
  live = [];
  for (const hub of HUBS) live.push(await openLiveHub(hub));
  const people: Record<string, { store: ClientStore; ids: Record<string, string>; pkg: Person['pkg'] }> = {};
  for (const name of ['alice', 'bob']) {
    const dir = join(work, name);
    ClientStore.init(dir);
    people[name] = { store: ClientStore.open(dir), ids: {}, pkg: {} };
  }
  for (const l of live) {
    for (const name of ['alice', 'bob']) {
      const p = people[name]!;
      const e = await l.enrol(name);
      const file = await l.deliverFile(e.client, PKG);
      p.store.registerKeys(readFileSync(e.keysFile));
      p.store.importPackage(readFileSync(file));
      p.store.setHubUrl(l.hub, l.server.url);
      p.ids[l.hub] = e.client;
      p.pkg[l.hub] = { tableOffset: readPackageHeader(readFileSync(file)).header.tableOffset, psrd: psrdOf(readFileSync(file), e.keysFile) };
    }
    await l.push();
  }
  alice = people.alice!;
  bob = people.bob!;
}, 240_000);

afterAll(async () => {
  alice?.store.close();
  bob?.store.close();
  for (const l of live ?? []) await l.cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** A fetch for `who` whose instruction lists from some hubs go through `tamper` (support/lying-hub.ts). */
const intercepting = (who: Person, tamper: Record<string, Tamper>): typeof fetch => intercept(who.store, Object.fromEntries(HUBS.map((h) => [h, url(h)])), tamper);

/** The hub's copy of B's PSRD at `index` (the station delivered the same bytes to both). */
const hubCopy = (who: Person, hub: string, index: number): Uint8Array => {
  const p = who.pkg[hub]!;
  return p.psrd.slice(index - p.tableOffset, index - p.tableOffset + LEN);
};

/** What hub-b can do as a liar (support/lying-hub.ts): with its copy of B's PSRD. */
const lieAtB = lie((index) => hubCopy(bob, 'hub-b', index));

const usedBy = (who: Person, side: 'forRequests' | 'forInstructions'): number[] => who.store.status().map((s) => s[side].usedBytes);
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

async function establishAndRecover(bobFetch?: typeof fetch): Promise<Established & { got: FetchReport }> {
  const est = await new KeyClient(alice.store).establish({ peers: bob.ids, hubs: HUBS, k: 2, m: M });
  const got = await new KeyClient(bob.store, bobFetch ? { fetch: bobFetch } : {}).fetchAndRecover();
  return { ...est, got };
}

describe('key establishment through three Security Servers (k = 2, n = 3, a 256-bit key)', () => {
  it('A establishes a key with B; B fetches the instructions and recovers the same key; both keep it; every byte of PSRD is spent once on each side', async () => {
    const hubHeldBefore = await Promise.all(live.map((l) => clientPsrd(l.server.core, alice.ids[l.hub]!)));
    const { secretId, key, hubs, got } = await establishAndRecover();
    expect(key).toHaveLength(32);
    expect(secretId).toMatch(/^[0-9a-f]{32}$/);
    expect(hubs).toEqual(HUBS.map((hub) => ({ hub, ok: true, instructions: 1 })));
    expect(got.hubs.map((h) => [h.hub, h.ok, h.fetched])).toEqual(HUBS.map((h) => [h, true, 1]));
    expect(got.rejected).toEqual([]);
    expect(got.refused).toEqual([]);
    expect(got.waiting).toEqual([]);
    expect(got.recovered).toHaveLength(1);
    const r = got.recovered[0]!;
    expect(r.secretId).toBe(secretId);
    expect(same(r.key, key)).toBe(true);
    expect([...r.hubs].sort()).toEqual(HUBS);
    expect(r.liars).toEqual([]);
    expect(r.sender).toContain(`hub-a/${Number(alice.ids['hub-a']!.slice(2))}`);
    // Each side spent psrdBytesPerHub(2) = 112 bytes per hub: A in its own halves, B in the hubs' halves.
    expect(usedBy(alice, 'forRequests')).toEqual([LEN, LEN, LEN]);
    expect(usedBy(bob, 'forInstructions')).toEqual([LEN, LEN, LEN]);
    expect(usedBy(bob, 'forRequests')).toEqual([0, 0, 0]);
    // The hubs spent the same bytes of A's table: A's first LEN bytes, gone from each server.
    for (const [i, l] of live.entries()) {
      const after = await clientPsrd(l.server.core, alice.ids[l.hub]!);
      expect(after.length).toBe(hubHeldBefore[i]!.length - LEN);
      expect(after.equals(hubHeldBefore[i]!.subarray(LEN))).toBe(true);
    }
    // Both keep the key, sealed, by secret ID.
    expect(new KeyClient(alice.store).key(secretId, 'sent')).toMatchObject({ confirmed: true, hubs: HUBS });
    expect(same(new KeyClient(alice.store).key(secretId, 'sent')!.key, key)).toBe(true);
    expect(same(new KeyClient(bob.store).key(secretId, 'received', r.sender)!.key, key)).toBe(true);
    expect(new KeyClient(bob.store).key(secretId, 'received', 'hub-a/999')).toBeUndefined();
    expect(readFileSync(join(bob.store.dir, 'keys.sealed')).includes(Buffer.from(key))).toBe(false);
    expect(readFileSync(join(bob.store.dir, 'keys.sealed'), 'utf8')).not.toContain(Buffer.from(key).toString('base64'));
    // Fetched and acknowledged: nothing comes again.
    const again = await new KeyClient(bob.store).fetchAndRecover();
    expect(again.recovered).toEqual([]);
    expect(again.hubs.map((h) => h.fetched)).toEqual([0, 0, 0]);
  });

  it('with one hub down, A still establishes the key and names the hub; B recovers it from the other two and names the hub it could not reach', async () => {
    alice.store.setHubUrl('hub-c', DEAD);
    bob.store.setHubUrl('hub-c', DEAD);
    try {
      const { key, hubs, got } = await establishAndRecover();
      expect(hubs.filter((h) => h.ok).map((h) => h.hub)).toEqual(['hub-a', 'hub-b']);
      const down = hubs.find((h) => h.hub === 'hub-c')!;
      expect(down).toMatchObject({ ok: false, code: 'unreachable' });
      expect(down.ok ? '' : down.reason).toContain('hub hub-c');
      expect(got.hubs.find((h) => h.hub === 'hub-c')).toMatchObject({ ok: false, code: 'unreachable' });
      expect(got.recovered).toHaveLength(1);
      expect(same(got.recovered[0]!.key, key)).toBe(true);
      expect([...got.recovered[0]!.hubs].sort()).toEqual(['hub-a', 'hub-b']);
    } finally {
      alice.store.setHubUrl('hub-c', url('hub-c'));
      bob.store.setHubUrl('hub-c', url('hub-c'));
    }
  });

  it('a hub that refuses the request is named with its reason (here: no such recipient there); the key is still established through the other two', async () => {
    const { hubs, key, got } = await (async () => {
      const est = await new KeyClient(alice.store).establish({ peers: { ...bob.ids, 'hub-c': 'c-999999' }, hubs: HUBS, k: 2, m: M });
      return { ...est, got: await new KeyClient(bob.store).fetchAndRecover() };
    })();
    const refused = hubs.find((h) => h.hub === 'hub-c')!;
    expect(refused).toMatchObject({ ok: false, code: 'unknown-recipient' });
    expect(refused.ok ? '' : refused.reason).toMatch(/^hub hub-c refused \(unknown-recipient: No recipient number 999999 is registered at this hub\)$/);
    expect(got.recovered).toHaveLength(1);
    expect(same(got.recovered[0]!.key, key)).toBe(true);
  });

  it('a lying hub (the share altered, re-encrypted and re-tagged with its own copy of B’s PSRD) is named, and B recovers the same key', async () => {
    let lied = 0;
    const liar = intercepting(bob, {
      'hub-b': (list) => {
        lied += list.length;
        return lieAtB(list);
      },
    });
    const { key, got } = await establishAndRecover(liar);
    expect(lied).toBe(1);
    expect(got.rejected).toEqual([]); // its tag verifies: only the secret's polynomial gives it away
    expect(got.recovered).toHaveLength(1);
    expect(same(got.recovered[0]!.key, key)).toBe(true);
    expect(got.recovered[0]!.liars).toEqual(['hub-b']);
    expect([...got.recovered[0]!.hubs].sort()).toEqual(['hub-a', 'hub-c']);
  });

  it('a liar among the first two shares to arrive: the secret waits (its shares kept, sealed) and is recovered when the third hub answers', async () => {
    const est = await new KeyClient(alice.store).establish({ peers: bob.ids, hubs: HUBS, k: 2, m: M });
    bob.store.setHubUrl('hub-c', DEAD);
    let first: FetchReport;
    try {
      first = await new KeyClient(bob.store, { fetch: intercepting(bob, { 'hub-b': lieAtB }) }).fetchAndRecover();
    } finally {
      bob.store.setHubUrl('hub-c', url('hub-c'));
    }
    expect(first.recovered).toEqual([]);
    expect(first.waiting).toEqual([{ secretId: est.secretId, hubs: ['hub-a', 'hub-b'] }]);
    const inbox = readFileSync(join(bob.store.dir, 'inbox.sealed'), 'utf8');
    expect(inbox).not.toContain('"opened"'); // sealed, not in clear
    const got = await new KeyClient(bob.store).fetchAndRecover();
    expect(got.recovered).toHaveLength(1);
    expect(same(got.recovered[0]!.key, est.key)).toBe(true);
    expect(got.recovered[0]!.liars).toEqual(['hub-b']);
  });

  it('a secret past the expiry its sender set is refused (§11.6)', async () => {
    const est = await new KeyClient(alice.store).establish({ peers: bob.ids, hubs: HUBS, k: 2, m: M, expiresAt: Math.floor(Date.now() / 1000) - 60 });
    const got = await new KeyClient(bob.store).fetchAndRecover();
    expect(got.recovered).toEqual([]);
    expect(got.refused).toEqual([expect.objectContaining({ secretId: est.secretId, code: 'expired' })]);
    expect(new KeyClient(bob.store).key(est.secretId, 'received')).toBeUndefined();
  });

  it('an instruction whose tag fails (altered without the PSRD) is named; the key still comes from the other two', async () => {
    const breaker = intercepting(bob, {
      'hub-a': (list) => list.map((i) => {
        const f = new Uint8Array(i.frame);
        f[f.length - 20]! ^= 1;
        return { id: i.id, frame: f };
      }),
    });
    const { key, got } = await establishAndRecover(breaker);
    expect(got.rejected).toEqual([expect.objectContaining({ hub: 'hub-a', code: 'tag-mismatch' })]);
    expect(got.recovered).toHaveLength(1);
    expect(same(got.recovered[0]!.key, key)).toBe(true);
  });

  it('a replayed instruction set is refused before any PSRD is spent: the same frames again, and re-made at fresh indices with the hubs’ copies of B’s PSRD', async () => {
    const seen: HeldInstruction[] = [];
    const recorder = intercepting(bob, Object.fromEntries(HUBS.map((h) => [h, (list: HeldInstruction[]) => {
      seen.push(...list.map((i) => ({ ...i, hub: h })));
      return list;
    }])));
    const { got } = await establishAndRecover(recorder);
    expect(got.recovered).toHaveLength(1);
    expect(seen).toHaveLength(3);
    const before = usedBy(bob, 'forInstructions');
    let next = 1_000_000;
    /** Adds `made(frame)` for each of the hub's recorded frames to the hub's first answer, under new instruction numbers (as the hub would number them). */
    const once = (made: (h: string, frame: Uint8Array) => Uint8Array): typeof fetch => {
      const done = new Set<string>();
      return intercepting(bob, Object.fromEntries(HUBS.map((h) => [h, (list: HeldInstruction[]) => {
        if (done.has(h)) return list;
        done.add(h);
        return [...list, ...seen.filter((s) => (s as HeldInstruction & { hub: string }).hub === h).map((s) => ({ id: next++, frame: made(h, s.frame) }))];
      }])));
    };
    // The same frames again.
    const replay = once((_, frame) => frame);
    const r1 = await new KeyClient(bob.store, { fetch: replay }).fetchAndRecover();
    expect(r1.recovered).toEqual([]);
    expect(r1.rejected.map((x) => [x.hub, x.code]).sort()).toEqual(HUBS.map((h) => [h, 'replay']));
    expect(r1.rejected[0]!.reason).toMatch(/recovered before \(§11\.6\)/);
    // Re-made at unused indices of the hubs' halves, padded and tagged with the hubs' copies: still the same secret ID from the same sender.
    const fresh = once((h, frame) => {
      const msg = decodeInstruction(frame);
      const share = pad(new Uint8Array(msg.share), hubCopy(bob, h, msg.psrdIndex));
      const half = halfOf({ tableOffset: bob.pkg[h]!.tableOffset, bytes: PKG }, 'hub');
      const index = half.offset + half.length - LEN;
      const psrd = hubCopy(bob, h, index);
      return signMessage({ ...msg, psrdIndex: index, share: pad(share, psrd) }, psrd);
    });
    const r2 = await new KeyClient(bob.store, { fetch: fresh }).fetchAndRecover();
    expect(r2.recovered).toEqual([]);
    expect(r2.rejected.map((x) => [x.hub, x.code]).sort()).toEqual(HUBS.map((h) => [h, 'replay']));
    expect(usedBy(bob, 'forInstructions')).toEqual(before);
  });

  it('a lost answer loses nothing: instructions are acknowledged only after they are stored, and come again until then', async () => {
    let drops = 0;
    const lossy: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (String(input).endsWith('/v1/dske/instructions') && drops < 3) {
        drops++;
        throw new TypeError('fetch failed'); // the hub answered; the answer never arrived
      }
      return res;
    };
    const est = await new KeyClient(alice.store).establish({ peers: bob.ids, hubs: HUBS, k: 2, m: M });
    const lost = await new KeyClient(bob.store, { fetch: lossy }).fetchAndRecover();
    expect(lost.hubs.map((h) => h.ok)).toEqual([false, false, false]);
    expect(lost.recovered).toEqual([]);
    const got = await new KeyClient(bob.store).fetchAndRecover();
    expect(got.recovered).toHaveLength(1);
    expect(same(got.recovered[0]!.key, est.key)).toBe(true);
  });

  it('a process killed after acknowledging the instructions and marking the first one’s PSRD loses nothing: the next run recovers the key through all three hubs', async () => {
    const est = await new KeyClient(alice.store).establish({ peers: bob.ids, hubs: HUBS, k: 2, m: M });
    const dir = bob.store.dir;
    bob.store.close();
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'support', 'recover-child.ts'), dir], { cwd: join(__dirname, '..', '..'), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const signal = await new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, sig) => res(sig)));
      expect(signal).toBe('SIGKILL');
      expect(out).toBe('');
    } finally {
      bob.store = ClientStore.open(dir);
    }
    expect(bob.store.claims('hub-a').length + bob.store.claims('hub-b').length + bob.store.claims('hub-c').length).toBe(1);
    const got = await new KeyClient(bob.store).fetchAndRecover();
    expect(got.hubs.map((h) => h.fetched)).toEqual([0, 0, 0]); // the hubs had forgotten them: they came from B's inbox
    expect(got.rejected).toEqual([]);
    expect(got.recovered).toHaveLength(1);
    expect(same(got.recovered[0]!.key, est.key)).toBe(true);
    expect([...got.recovered[0]!.hubs].sort()).toEqual(HUBS);
    expect(HUBS.flatMap((h) => bob.store.claims(h))).toEqual([]);
  });

  it('with two hubs down, A gets a clear error naming both, and B’s one share waits', async () => {
    const failedId = randomBytes(16);
    alice.store.setHubUrl('hub-b', DEAD);
    alice.store.setHubUrl('hub-c', DEAD);
    try {
      const e = await new KeyClient(alice.store).establish({ peers: bob.ids, hubs: HUBS, k: 2, m: M, secretId: failedId }).then(() => undefined, (x: unknown) => x);
      expect(e).toBeInstanceOf(ClientFailure);
      expect((e as ClientFailure).code).toBe('establish-failed');
      expect((e as Error).message).toMatch(/^Only 1 of 3 hubs accepted the key request, and 2 are needed; no key was established\./);
      expect((e as Error).message).toContain('Hub hub-b (http://127.0.0.1:9): it cannot be reached.');
      expect((e as Error).message).toContain('Hub hub-c (http://127.0.0.1:9): it cannot be reached.');
      // The key kept before posting is gone again: nothing unconfirmed is left.
      expect(new KeyClient(alice.store).key(Buffer.from(failedId).toString('hex'), 'sent')).toBeUndefined();
    } finally {
      alice.store.setHubUrl('hub-b', url('hub-b'));
      alice.store.setHubUrl('hub-c', url('hub-c'));
    }
    const got = await new KeyClient(bob.store).fetchAndRecover();
    expect(got.recovered).toEqual([]);
    expect(got.waiting).toEqual([{ secretId: expect.stringMatching(/^[0-9a-f]{32}$/), hubs: ['hub-a'] }]);
  });

  it('from the command line: set-hub, establish --via HUB=PEER … --k 2, fetch; two hubs down exits 1 with the reason', async () => {
    const cli = async (who: Person, ...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
      let out = '';
      let err = '';
      const code = await runClientCli(['--data', who.store.dir, ...argv], { out: (x) => (out += x), err: (x) => (err += x) }, {});
      return { code, out, err };
    };
    const dirs = [alice, bob].map((p) => p.store.dir);
    alice.store.close();
    bob.store.close();
    try {
      expect(await cli(alice, 'set-hub', 'hub-c', url('hub-c'))).toMatchObject({ code: 0, out: `Hub hub-c is reached at ${url('hub-c')}.\n` });
      const via = HUBS.flatMap((h) => ['--via', `${h}=${bob.ids[h]}`]);
      const est = await cli(alice, 'establish', ...via, '--k', '2');
      expect(est.code, est.err).toBe(0);
      const id = /^Established key ([0-9a-f]{32}) \(256 bits\) through hub-a, hub-b, hub-c; it is kept in /.exec(est.out)?.[1];
      expect(id).toBeDefined();
      const got = await cli(bob, 'fetch');
      expect(got.code, got.err).toBe(0);
      expect(got.out).toContain(`Recovered key ${id} from `);
      const again = await cli(bob, 'fetch');
      expect(again.code).toBe(0);
      expect(again.out).not.toContain('Recovered');
      expect(await cli(alice, 'set-hub', 'hub-b', DEAD)).toMatchObject({ code: 0 });
      expect(await cli(alice, 'set-hub', 'hub-c', DEAD)).toMatchObject({ code: 0 });
      const down = await cli(alice, 'establish', ...via, '--k', '2');
      expect(down.code).toBe(1);
      expect(down.err).toMatch(/^Only 1 of 3 hubs accepted the key request, and 2 are needed; no key was established\. Hub hub-b .* Hub hub-c /);
      expect((await cli(alice, 'establish', '--k', '2')).code).toBe(2);
      expect((await cli(alice, 'establish', '--via', 'hub-a', '--k', '2')).code).toBe(2);
      expect(await cli(alice, 'set-hub', 'hub-b', url('hub-b'))).toMatchObject({ code: 0 });
      expect(await cli(alice, 'set-hub', 'hub-c', url('hub-c'))).toMatchObject({ code: 0 });
      expect((await cli(alice, 'set-hub', 'hub-c', 'ftp://x')).code).toBe(1);
      // The keys the command line established and recovered are the same.
      alice.store = ClientStore.open(dirs[0]!);
      bob.store = ClientStore.open(dirs[1]!);
      expect(same(new KeyClient(alice.store).key(id!, 'sent')!.key, new KeyClient(bob.store).key(id!, 'received')!.key)).toBe(true);
      // B's shares from hub-a of the two failed attempts wait.
      expect((await new KeyClient(bob.store).fetchAndRecover()).waiting).toHaveLength(2);
    } finally {
      try {
        alice.store.status();
      } catch {
        alice.store = ClientStore.open(dirs[0]!);
      }
      try {
        bob.store.status();
      } catch {
        bob.store = ClientStore.open(dirs[1]!);
      }
    }
  });

  it('refuses before spending anything: k below k_min, a hub without an address, a recipient not named at a hub', async () => {
    const before = usedBy(alice, 'forRequests');
    const a = new KeyClient(alice.store);
    const refusedWith = async (p: Promise<unknown>, code: string): Promise<void> => {
      const e = await p.then(() => undefined, (x: unknown) => x);
      expect(e).toBeInstanceOf(ClientFailure);
      expect((e as ClientFailure).code, (e as Error).message).toBe(code);
    };
    await refusedWith(a.establish({ peers: bob.ids, hubs: HUBS, k: 1, m: M }), 'bad-request');
    await refusedWith(a.establish({ peers: { 'hub-a': bob.ids['hub-a']! }, hubs: HUBS, k: 2, m: M }), 'bad-request');
    await refusedWith(a.establish({ peers: bob.ids, hubs: ['hub-a', 'hub-a'], k: 2, m: M }), 'bad-request');
    writeKeySettings(alice.store, { kMin: 3, nMax: 16 });
    await refusedWith(a.establish({ peers: bob.ids, hubs: HUBS, k: 2, m: M }), 'bad-request');
    writeKeySettings(alice.store, { kMin: 2, nMax: 16 });
    rmSync(join(alice.store.dir, 'hubs', 'hub-c', 'endpoint.json'));
    try {
      await refusedWith(a.establish({ peers: bob.ids, hubs: HUBS, k: 2, m: M }), 'no-hub-url');
    } finally {
      alice.store.setHubUrl('hub-c', url('hub-c'));
    }
    expect(usedBy(alice, 'forRequests')).toEqual(before);
  });
});
