// ETSI GS QKD 014 over DSKE, the whole path (issue S10, part 3): two reference clients, each the KME of one
// SAE, serve QKD 014 over HTTPS with mutual TLS; their keys come from DskeKeyPool, established through three
// real stations and Security Servers (k = 2 of 3). SAE A takes keys from its KME's enc_keys, SAE B gets
// the same keys from its KME's dec_keys; one request's keys ride one secret (batching); with one hub down
// the key is still the same; with two hubs down the answer is 503 with a clear message.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyClient } from '../../src-client/keys/key-client';
import { kmeConfig, type KmeConfig } from '../../src-client/qkd014/config';
import { DskeKeyPool, pairTag } from '../../src-client/qkd014/dske-pool';
import { keyIdOf, UUID } from '../../src-client/qkd014/key-pool';
import { LabCa, type Pem } from '../../src-client/qkd014/lab-certs';
import { buildQkd014Server } from '../../src-client/qkd014/server';
import { ClientStore } from '../../src-client/store/client-store';
import { psrdBytesPerHub } from '../../src-shared/dske/appendix-a';
import { tempDir } from '../support/station';
import { enrolAtEvery, openLiveHub, type LiveHub } from './support/live-hub';
import { saeCall, type SaeAnswer } from './support/sae-call';

const HUBS = ['hub-a', 'hub-b', 'hub-c'];
const PKG = 40_000;
const DEAD = 'http://127.0.0.1:9'; // nothing listens there

interface Kme {
  store: ClientStore;
  ids: Record<string, string>;
  config?: KmeConfig;
  app?: FastifyInstance;
  port?: number;
}

const work = tempDir('dske-qkd014-live-');
let live: LiveHub[];
let ca: LabCa;
const sae: Record<string, Pem> = {};
const kme: Record<string, Kme> = {};

const url = (hub: string): string => live.find((l) => l.hub === hub)!.server.url;
const down = (who: string, ...hubs: string[]): void => {
  for (const h of hubs) kme[who]!.store.setHubUrl(h, DEAD);
};
const up = (): void => {
  for (const k of Object.values(kme)) for (const h of HUBS) k.store.setHubUrl(h, url(h));
};

type Answer = SaeAnswer;

const call = (at: string, who: Pem, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer> => saeCall(kme[at]!.port!, who, ca.ca, method, path, body);

type Key = { key_ID: string; key: string };
const keysOf = (a: Answer): Key[] => {
  expect(a.status, JSON.stringify(a.body)).toBe(200);
  return (a.body as { keys: Key[] }).keys;
};
const enc = (body: unknown): Promise<Answer> => call('kme-a', sae['sae-a']!, 'POST', '/api/v1/keys/sae-b/enc_keys', body);
const dec = (keys: readonly Key[]): Promise<Answer> => call('kme-b', sae['sae-b']!, 'POST', '/api/v1/keys/sae-a/dec_keys', { key_IDs: keys.map((k) => ({ key_ID: k.key_ID })) });
const usedForRequests = (who: string): number[] => kme[who]!.store.status().map((s) => s.forRequests.usedBytes);

beforeAll(async () => {
  live = [];
  for (const hub of HUBS) live.push(await openLiveHub(hub));
  for (const name of ['kme-a', 'kme-b']) {
    const dir = join(work, name);
    ClientStore.init(dir);
    kme[name] = { store: ClientStore.open(dir), ids: {} };
  }
  await enrolAtEvery(live, ['kme-a', 'kme-b'].map((name) => ({ name, store: kme[name]!.store, ids: kme[name]!.ids })), PKG);
  ca = new LabCa(join(work, 'ca'));
  for (const s of ['sae-a', 'sae-b']) sae[s] = ca.sae(s);
  const ends = [['kme-a', 'sae-a', 'kme-b', 'sae-b'], ['kme-b', 'sae-b', 'kme-a', 'sae-a']] as const;
  for (const [me, mySae, other, otherSae] of ends) {
    const k = kme[me]!;
    k.config = kmeConfig({ kmeId: me, saes: [mySae], peers: [{ kmeId: other, saes: [otherSae], clients: kme[other]!.ids }], hubs: HUBS, k: 2 });
    const server = ca.server(me);
    k.app = await buildQkd014Server({ config: k.config, pool: new DskeKeyPool(k.store, k.config), tls: { cert: server.cert, key: server.key, ca: ca.ca } });
    await k.app.listen({ host: '127.0.0.1', port: 0 });
    k.port = (k.app.server.address() as { port: number }).port;
  }
}, 240_000);

afterAll(async () => {
  for (const k of Object.values(kme)) {
    await k.app?.close();
    k.store.close();
  }
  for (const l of live ?? []) await l.cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('QKD 014 over DSKE through three real hubs', () => {
  it('status: stored_key_count from the PSRD left, within max_key_count', async () => {
    const a = await call('kme-a', sae['sae-a']!, 'GET', '/api/v1/keys/sae-b/status');
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ source_KME_ID: 'kme-a', target_KME_ID: 'kme-b', master_SAE_ID: 'sae-a', slave_SAE_ID: 'sae-b', key_size: 256 });
    const n = a.body as Record<string, number>;
    expect(n.stored_key_count).toBeGreaterThan(0);
    expect(n.stored_key_count).toBeLessThanOrEqual(n.max_key_count!);
  });

  it('SAE A takes two keys from KME A; SAE B gets the same two from KME B, once; one secret carried both', async () => {
    const before = usedForRequests('kme-a');
    const keys = keysOf(await enc({ number: 2 }));
    expect(keys).toHaveLength(2);
    for (const k of keys) {
      expect(k.key_ID).toMatch(UUID);
      expect(Buffer.from(k.key, 'base64')).toHaveLength(32);
    }
    // One execution of m = 4 words at each hub.
    expect(usedForRequests('kme-a').map((u, i) => u - before[i]!)).toEqual([0, 1, 2].map(() => psrdBytesPerHub(4)));
    expect(keysOf(await dec(keys))).toEqual(keys);
    const again = await dec(keys);
    expect(again.status).toBe(400);
    expect(again.body.message).toMatch(/No key is held with key_ID/);
  });

  it('key_IDs derive from (master KME, secret ID, index); once handed out, neither key client keeps a copy', async () => {
    const [key] = keysOf(await enc({}));
    expect(keysOf(await call('kme-b', sae['sae-b']!, 'GET', `/api/v1/keys/sae-a/dec_keys?key_ID=${key!.key_ID}`))).toEqual([key]);
    const kept = (name: string): { keys: { role: string; secretId: string; key: string }[]; replay: { secretId: string }[] } => kme[name]!.store.vault.read('keys.sealed') as never;
    const holds = (name: string): boolean => kept(name).keys.some((k) => Buffer.from(k.key, 'base64').includes(Buffer.from(key!.key, 'base64')));
    // The key exists once on each side, with its SAE: not in either key client's store.
    expect(holds('kme-a')).toBe(false);
    expect(holds('kme-b')).toBe(false);
    // The slave derived the same key_ID from the secret it recovered (its replay record keeps the secret ID).
    const tag = pairTag('sae-a', 'sae-b').toString('hex');
    const recovered = kept('kme-b').replay.filter((r) => r.secretId.startsWith(tag));
    expect(recovered.some((r) => keyIdOf('kme-a', r.secretId, 0) === key!.key_ID)).toBe(true);
  });

  it('keys recovered by the key client outside the service (as dske-client fetch does) are still served, once', async () => {
    const keys = keysOf(await enc({ number: 2, size: 128 }));
    const report = await new KeyClient(kme['kme-b']!.store).fetchAndRecover();
    expect(report.recovered).toHaveLength(1);
    expect(keysOf(await dec(keys))).toEqual(keys);
    expect((await dec(keys)).status).toBe(400);
  });

  it('requests at the same time get distinct keys, each delivered to the slave; stored_key_count goes down', async () => {
    const status = async (): Promise<number> => (await call('kme-a', sae['sae-a']!, 'GET', '/api/v1/keys/sae-b/status')).body.stored_key_count as number;
    const before = await status();
    const sets = (await Promise.all([1, 2, 3].map((n) => enc({ number: n })))).map(keysOf);
    expect(sets.map((s) => s.length)).toEqual([1, 2, 3]);
    const all = sets.flat();
    expect(new Set(all.map((k) => k.key_ID)).size).toBe(6);
    expect(new Set(all.map((k) => k.key)).size).toBe(6);
    expect(await status()).toBeLessThan(before);
    const got = (await Promise.all(sets.map((s) => dec(s)))).map(keysOf);
    expect(got).toEqual(sets);
  });

  it('with one hub down at both ends, the key is still the same', async () => {
    down('kme-a', 'hub-c');
    down('kme-b', 'hub-c');
    try {
      const keys = keysOf(await enc({ number: 3, size: 512 }));
      expect(keys).toHaveLength(3);
      expect(keysOf(await dec(keys))).toEqual(keys);
    } finally {
      up();
    }
  });

  it('with two hubs down at the master KME: 503 naming the hubs; nothing was established', async () => {
    down('kme-a', 'hub-b', 'hub-c');
    try {
      const a = await enc({ number: 1 });
      expect(a.status).toBe(503);
      expect(Object.keys(a.body).sort()).toEqual(['details', 'message']);
      expect(a.body.message).toMatch(/^No key could be established with kme-b for sae-b: Only 1 of 3 hubs accepted the key request, and 2 are needed; no key was established\. Hub hub-b .* Hub hub-c /);
      expect(a.body.details).toEqual([{ code: 'establish-failed' }]);
    } finally {
      up();
    }
  });

  it('with two hubs down at the slave KME: 503 naming them; once they are back, the same key', async () => {
    const keys = keysOf(await enc({ number: 1 }));
    down('kme-b', 'hub-a', 'hub-b');
    try {
      const a = await dec(keys);
      expect(a.status).toBe(503);
      expect(a.body.message).toMatch(/cannot be delivered now: the hubs have not delivered enough shares \(hub hub-a: .*; hub hub-b: .*; 1 secret waits for shares from more hubs\)/);
    } finally {
      up();
    }
    expect(keysOf(await dec(keys))).toEqual(keys);
  });
});
