// The hub's key-instruction API (issue S10, part 1; §11.4, App. A) on a real Security Server fed by a
// real station: a client's key request, in its §11.4 envelope, turned into a key instruction the hub
// holds until the recipient fetches it (the offline variant), and the recipient recovering the sender's
// secret from it — with the PSRD both sides hold from the station's packages. Every byte of PSRD the hub
// uses is gone from it after (no byte used twice), and every refusal says why and spends nothing.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeInstruction, openInstruction, psrdBytesPerHub, recover, send } from '../../src-shared/dske/appendix-a';
import { open as openEnvelope, seal } from '../../src-shared/dske/aead';
import { decodeInstructions, encodeFetch } from '../../src-shared/hub-api/instruction-list';
import { halfOf } from '../../src-shared/hub-api/table-layout';
import { clientNumber, transportKey, transportKeyId } from '../../src-shared/hub-api/transport-key';
import { openPackage } from '../../src-shared/psrd/package-reader';
import { nodeCipher } from '../../src-node/psrd-store/package-cipher-node';
import { clientPsrd } from '../../src-server/holdings';
import { enrolClient, keysIn } from '../support/enrol';
import { shipTo, registerWith, startTestServer, type TestServer } from '../support/server';
import { OP, openTestStation, tempDir, type TestStation } from '../support/station';

interface Party {
  readonly client: string;
  readonly number: number;
  readonly key: Uint8Array;
  readonly psrd: Uint8Array;
  readonly tableOffset: number;
}

let ts: TestStation;
let server: TestServer;
let alice: Party;
let bob: Party;
const M = 2;
const LEN = psrdBytesPerHub(M);

beforeAll(async () => {
  ts = openTestStation();
  const work = tempDir('dske-hub-api-');
  await ts.station.handlers.pool.generate({ bytes: 1 << 20, sources: ['os'] }, OP);
  server = await startTestServer();
  await server.listen();
  await registerWith(ts.station, server, work);
  await shipTo(ts.station, server, work);
  const party = async (name: string): Promise<Party> => {
    const e = await enrolClient(ts.station, OP, { name, keysDir: join(work, name) });
    const path = join(work, `${name}.pkg`);
    await ts.station.handlers.delivery.deliver({ client: e.client, bytes: 4000, to: `file:${path}` }, OP);
    const ik = keysIn(readFileSync(e.keysFile));
    const pkg = openPackage(readFileSync(path), ik, nodeCipher);
    return { client: e.client, number: clientNumber(e.client)!, key: transportKey(ik, 'hub', e.client), psrd: pkg.psrd, tableOffset: pkg.header.tableOffset };
  };
  alice = await party('alice');
  bob = await party('bob');
  await ts.station.handlers.sync.push({ server: server.url }, OP);
});
afterAll(async () => {
  await server?.close();
  await ts?.cleanup();
});

async function post(path: string, body: Uint8Array): Promise<{ status: number; body: Buffer; json?: { code?: string; message?: string; instructions?: number } }> {
  const r = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body });
  const bytes = Buffer.from(await r.arrayBuffer());
  const json = r.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(bytes.toString('utf8')) : undefined;
  return { status: r.status, body: bytes, ...(json ? { json } : {}) };
}

/** Alice's key request for a fresh secret, at `index` of her table. */
function request(index: number, secretId = randomBytes(16)): { frame: Uint8Array; secret: Uint8Array; secretId: Uint8Array } {
  const psrd = alice.psrd.slice(index - alice.tableOffset, index - alice.tableOffset + LEN);
  const sent = send({ k: 1, m: M, secretId, hubs: [{ senderId: alice.number, recipientIds: [bob.number], psrdIndex: index, psrd }] });
  return { frame: seal(alice.key, transportKeyId(alice.number), sent.requests[0]), secret: sent.secret, secretId };
}

async function fetchFor(p: Party, acknowledged = 0): Promise<{ id: number; frame: Uint8Array }[]> {
  const r = await post('/v1/dske/instructions', seal(p.key, transportKeyId(p.number), encodeFetch(acknowledged)));
  expect(r.status).toBe(200);
  return decodeInstructions(openEnvelope(p.key, r.body).plaintext);
}

describe("the hub's key-instruction API", () => {
  it('turns a request into an instruction the recipient fetches later and recovers the same secret from', async () => {
    const { frame, secret } = request(alice.tableOffset);
    const r = await post('/v1/dske/requests', frame);
    expect(r).toMatchObject({ status: 200, json: { instructions: 1 } });
    const held = await fetchFor(bob);
    expect(held).toHaveLength(1);
    const msg = decodeInstruction(held[0].frame);
    // The hub chose the index, in its own half of Bob's table.
    const hubHalf = halfOf({ tableOffset: bob.tableOffset, bytes: bob.psrd.length }, 'hub');
    expect(msg.psrdIndex).toBe(hubHalf.offset);
    const share = openInstruction(0, msg, bob.psrd.slice(msg.psrdIndex - bob.tableOffset, msg.psrdIndex - bob.tableOffset + LEN));
    const got = recover([share], { kMin: 1 });
    expect(Buffer.from(got.secret).equals(Buffer.from(secret))).toBe(true);
    // Both spans are gone from the hub: Alice's request bytes and Bob's instruction bytes.
    expect((await clientPsrd(server.core, alice.client)).length).toBe(4000 - LEN);
    expect((await clientPsrd(server.core, bob.client)).length).toBe(4000 - LEN);
    // Acknowledged, the instruction is forgotten; unacknowledged, it would come again.
    expect(await fetchFor(bob)).toHaveLength(1);
    expect(await fetchFor(bob, held[0].id)).toHaveLength(0);
    // Long after its instructions are gone, the same request is still a replay (§11.6) …
    expect((await post('/v1/dske/requests', frame)).json).toMatchObject({ code: 'duplicate-secret' });
    // … and the next instruction never reuses an id the client acknowledged (or it would be skipped).
    expect((await post('/v1/dske/requests', request(alice.tableOffset + 4 * LEN).frame)).status).toBe(200);
    const next = await fetchFor(bob);
    expect(next).toHaveLength(1);
    expect(next[0].id).toBeGreaterThan(held[0].id);
    await fetchFor(bob, next[0].id);
  });

  it('refuses, spending nothing: a replayed request, a reused index, the hub’s half, an altered envelope, an unknown client', async () => {
    const first = request(alice.tableOffset + LEN);
    expect((await post('/v1/dske/requests', first.frame)).status).toBe(200);
    const before = (await clientPsrd(server.core, alice.client)).length;
    expect((await post('/v1/dske/requests', first.frame)).json).toMatchObject({ code: 'duplicate-secret' });
    expect((await post('/v1/dske/requests', request(alice.tableOffset + LEN).frame)).json).toMatchObject({ code: 'psrd-unavailable' });
    const hubHalf = halfOf({ tableOffset: alice.tableOffset, bytes: alice.psrd.length }, 'hub');
    expect((await post('/v1/dske/requests', request(hubHalf.offset).frame)).json).toMatchObject({ code: 'wrong-half' });
    const altered = Buffer.from(request(alice.tableOffset + 2 * LEN).frame);
    altered[altered.length - 1] ^= 1;
    expect(await post('/v1/dske/requests', altered)).toMatchObject({ status: 401, json: { code: 'aead' } });
    const stranger = seal(randomBytes(32), transportKeyId(999_999), new Uint8Array(10));
    expect(await post('/v1/dske/requests', stranger)).toMatchObject({ status: 404, json: { code: 'unknown-client' } });
    expect((await post('/v1/dske/requests', Buffer.from('junk'))).json).toMatchObject({ code: 'malformed' });
    expect((await clientPsrd(server.core, alice.client)).length).toBe(before);
  });

  it("a request whose tag fails spends its PSRD all the same (a one-time key is never tried twice)", async () => {
    const index = alice.tableOffset + 3 * LEN;
    const psrd = alice.psrd.slice(index - alice.tableOffset, index - alice.tableOffset + LEN);
    psrd[0] ^= 1; // Alice's copy disagrees with the hub's: the tag cannot verify
    const sent = send({ k: 1, m: M, secretId: randomBytes(16), hubs: [{ senderId: alice.number, recipientIds: [bob.number], psrdIndex: index, psrd }] });
    const before = (await clientPsrd(server.core, alice.client)).length;
    expect(await post('/v1/dske/requests', seal(alice.key, transportKeyId(alice.number), sent.requests[0]))).toMatchObject({ status: 401, json: { code: 'tag' } });
    expect((await clientPsrd(server.core, alice.client)).length).toBe(before - LEN);
  });
});
