// The whole system (issue S10, part 5): three Security Hubs, each a real station feeding its own real
// Security Server over loopback HTTP (pool shipped and acknowledged, ranges reported); two clients
// enrolled at all three — Alice's PSRD on a USB stick (a loop-mounted ext4 volume, read back by her
// client from the mounted files), Bob's on printed QR sheets (rasterised by poppler, decoded by his
// client from the PNG pages) — and the two establishing keys through the hubs with k = 2, n = 3: the
// same key on both sides; with one hub down, and with one hub lying (a valid tag: it holds Bob's PSRD),
// still the same key, the down and the lying hub named; with two hubs down, a clear refusal.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPackageFile } from '../../src-client/import/package-file';
import { readQrSheetImages } from '../../src-client/import/qr-images';
import { KeyClient, writeKeySettings } from '../../src-client/keys/key-client';
import { ClientStore } from '../../src-client/store/client-store';
import { openPackage } from '../../src-shared/psrd/package-reader';
import { psrdBytesPerHub } from '../../src-shared/dske/appendix-a';
import { nodeCipher } from '../../src-node/psrd-store/package-cipher-node';
import { keysIn } from '../support/enrol';
import { MediaLab, noLoopsReason, noQrToolsReason, type Volume } from '../support/media';
import { tempDir } from '../support/station';
import { openLiveHub, type LiveHub } from '../client/support/live-hub';
import { intercepting, lie } from '../client/support/lying-hub';

const HUBS = ['hub-a', 'hub-b', 'hub-c'] as const;
const M = 2;
const LEN = psrdBytesPerHub(M);
const skip = noLoopsReason ?? noQrToolsReason;

interface Person {
  readonly store: ClientStore;
  readonly ids: Record<string, string>;
  /** The PSRD of each hub's package (the hub holds the same bytes) and where it begins in the table. */
  readonly psrd: Record<string, { tableOffset: number; bytes: Uint8Array }>;
}

let live: LiveHub[] = [];
let lab: MediaLab;
let stick: Volume;
let alice: Person;
let bob: Person;
const work = tempDir('dske-whole-system-');
const urls = (): Record<string, string> => Object.fromEntries(live.map((l) => [l.hub, l.server.url]));
const DEAD = 'http://127.0.0.1:9';

function person(name: string): Person {
  const dir = join(work, name);
  ClientStore.init(dir);
  const store = ClientStore.open(dir);
  writeKeySettings(store, { kMin: 2, nMax: 3 });
  return { store, ids: {}, psrd: {} };
}

function importInto(p: Person, hub: string, client: string, keysFile: string, pkg: Uint8Array): void {
  p.store.registerKeys(readFileSync(keysFile));
  p.store.importPackage(pkg);
  p.store.setHubUrl(hub, live.find((l) => l.hub === hub)!.server.url);
  p.ids[hub] = client;
  const opened = openPackage(pkg, keysIn(readFileSync(keysFile)), nodeCipher);
  p.psrd[hub] = { tableOffset: opened.header.tableOffset, bytes: opened.psrd };
}

beforeAll(async () => {
  if (skip) return;
  lab = new MediaLab('dske-whole-system-media-');
  stick = lab.makeVolume('ext4', 32);
  for (const hub of HUBS) live.push(await openLiveHub(hub, 2 << 20, { allowFixedDrives: true }));
  alice = person('alice');
  bob = person('bob');
  for (const l of live) {
    // Alice: her package written to the stick by the station, read by her client from the mounted volume.
    const a = await l.enrol('alice');
    const onStick = await l.deliver(a.client, 16_000, `usb:${stick.dev}`);
    importInto(alice, l.hub, a.client, a.keysFile, readPackageFile(join(stick.mnt, `dske-${onStick.package}.pkg`)));
    // Bob: a printed QR sheet, rasterised page by page, decoded by his client from the images.
    const b = await l.enrol('bob');
    const pdf = join(work, `bob-${l.hub}.pdf`);
    await l.deliver(b.client, 8000, `qr:${pdf}`);
    const pages = join(work, `bob-${l.hub}-page`);
    execFileSync('pdftoppm', ['-r', '150', '-png', pdf, pages]);
    const images = readdirSync(work).filter((f) => f.startsWith(`bob-${l.hub}-page`) && f.endsWith('.png')).map((f) => join(work, f));
    expect(images.length).toBeGreaterThan(0);
    importInto(bob, l.hub, b.client, b.keysFile, readQrSheetImages(images));
    await l.push();
  }
}, 300_000);

afterAll(async () => {
  alice?.store.close();
  bob?.store.close();
  for (const l of live) await l.cleanup();
  try {
    lab?.cleanup();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

async function exchange(opts: { down?: readonly string[]; bobFetch?: typeof fetch } = {}) {
  for (const p of [alice, bob]) for (const l of live) p.store.setHubUrl(l.hub, opts.down?.includes(l.hub) ? DEAD : l.server.url);
  const sent = await new KeyClient(alice.store, { timeoutMs: 3000 }).establish({ peers: bob.ids, hubs: [...HUBS], k: 2, m: M });
  const got = await new KeyClient(bob.store, { timeoutMs: 3000, ...(opts.bobFetch ? { fetch: opts.bobFetch } : {}) }).fetchAndRecover();
  return { sent, got, mine: got.recovered.find((r) => r.secretId === sent.secretId) };
}

describe.skipIf(skip !== undefined)(`the whole system: three hubs, a stick and a QR sheet, k = 2 of n = 3${skip ? ` — skipped: ${skip}` : ''}`, () => {
  it('Alice and Bob get the same 256-bit key through the three hubs', async () => {
    const { sent, mine } = await exchange();
    expect(sent.key.length).toBe(32);
    expect(sent.hubs.every((h) => h.ok)).toBe(true);
    expect(mine && same(mine.key, sent.key)).toBe(true);
    expect(mine?.liars).toEqual([]);
  });

  it('one hub down: still the same key, and the hub that did not answer is named on both sides', async () => {
    const { sent, got, mine } = await exchange({ down: ['hub-c'] });
    expect(sent.hubs.find((h) => h.hub === 'hub-c')).toMatchObject({ ok: false });
    expect(got.hubs.find((h) => h.hub === 'hub-c')).toMatchObject({ ok: false });
    expect(mine && same(mine.key, sent.key)).toBe(true);
    expect([...(mine?.hubs ?? [])].sort()).toEqual(['hub-a', 'hub-b']);
  });

  it('one hub lying with a valid tag (it holds Bob’s PSRD): still the same key, and the liar named', async () => {
    const bobAtB = bob.psrd['hub-b']!;
    const liar = intercepting(bob.store, urls(), { 'hub-b': lie((index) => bobAtB.bytes.slice(index - bobAtB.tableOffset, index - bobAtB.tableOffset + LEN)) });
    const { sent, mine } = await exchange({ bobFetch: liar });
    expect(mine && same(mine.key, sent.key)).toBe(true);
    expect(mine?.liars).toEqual(['hub-b']);
  });

  it('two hubs down: no key, and a refusal that names both', async () => {
    await expect(exchange({ down: ['hub-b', 'hub-c'] })).rejects.toMatchObject({ code: 'establish-failed', message: expect.stringMatching(/hub-b[\s\S]*hub-c|hub-c[\s\S]*hub-b/) });
  });
});
