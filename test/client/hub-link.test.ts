// The client's side of the hub's key-instruction API (issue S10): every way a hub can fail to answer as
// the contract says (src-shared/hub-api) is a named outcome, never a throw. The hub here is a stub of
// fetch (the real hubs are in key-establishment.test.ts): these are the answers a real one never gives.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fetchInstructions, postKeyRequest, type HubEndpoint } from '../../src-client/keys/hub-link';
import { open as openEnvelope, seal } from '../../src-shared/dske/aead';
import { decodeFetch, encodeInstructions } from '../../src-shared/hub-api/instruction-list';
import { transportKeyId } from '../../src-shared/hub-api/transport-key';

const key = randomBytes(32);
const hub: HubEndpoint = { hub: 'hub-x', url: 'http://hub.invalid', key, keyId: transportKeyId(7) };
const answer = (status: number, body: Uint8Array | string, type: string): typeof fetch => async () => new Response(body, { status, headers: { 'content-type': type } });
const JSON_T = 'application/json';
const OCT = 'application/octet-stream';

describe('hub link', () => {
  it('a request: accepted, refused with the hub’s code and message, or an answer outside the contract', async () => {
    expect(await postKeyRequest(hub, new Uint8Array(8), { fetch: answer(200, JSON.stringify({ accepted: true, instructions: 2 }), JSON_T) })).toEqual({ ok: true, value: { instructions: 2 } });
    expect(await postKeyRequest(hub, new Uint8Array(8), { fetch: answer(409, JSON.stringify({ code: 'recipient-exhausted', message: 'No more PSRD.' }), JSON_T) }))
      .toEqual({ ok: false, code: 'recipient-exhausted', reason: 'hub hub-x refused (recipient-exhausted: No more PSRD)' });
    expect(await postKeyRequest(hub, new Uint8Array(8), { fetch: answer(502, '<html>', 'text/html') })).toMatchObject({ ok: false, code: 'http-502', reason: 'hub hub-x refused (http-502, HTTP 502)' });
    expect(await postKeyRequest(hub, new Uint8Array(8), { fetch: answer(200, 'yes', 'text/plain') })).toMatchObject({ ok: false, code: 'bad-answer' });
    expect(await postKeyRequest(hub, new Uint8Array(8), { fetch: answer(200, JSON.stringify({ accepted: true }), JSON_T) })).toMatchObject({ ok: false, code: 'bad-answer' });
    const down: typeof fetch = async () => {
      throw new TypeError('fetch failed');
    };
    expect(await postKeyRequest(hub, new Uint8Array(8), { fetch: down })).toEqual({ ok: false, code: 'unreachable', reason: 'hub hub-x (http://hub.invalid): it cannot be reached' });
    const slow: typeof fetch = (_i, init) => new Promise((_res, rej) => init!.signal!.addEventListener('abort', () => rej(init!.signal!.reason)));
    expect(await postKeyRequest(hub, new Uint8Array(8), { fetch: slow, timeoutMs: 50 })).toMatchObject({ ok: false, code: 'unreachable', reason: expect.stringContaining('did not answer in time') });
  });

  it('a fetch: sealed under the transport key with the acknowledged number; an answer under another key, or not a list, is bad-answer', async () => {
    let asked = -1;
    const good: typeof fetch = async (_i, init) => {
      asked = decodeFetch(openEnvelope(key, new Uint8Array(init!.body as Uint8Array)).plaintext);
      return new Response(seal(key, hub.keyId, encodeInstructions([{ id: 5, frame: new Uint8Array([2, 1]) }])), { status: 200, headers: { 'content-type': OCT } });
    };
    expect(await fetchInstructions(hub, 4, { fetch: good })).toEqual({ ok: true, value: [{ id: 5, frame: new Uint8Array([2, 1]) }] });
    expect(asked).toBe(4);
    expect(await fetchInstructions(hub, 0, { fetch: answer(200, seal(randomBytes(32), hub.keyId, encodeInstructions([])), OCT) })).toMatchObject({ ok: false, code: 'bad-answer' });
    expect(await fetchInstructions(hub, 0, { fetch: answer(200, seal(key, transportKeyId(8), encodeInstructions([])), OCT) })).toMatchObject({ ok: false, code: 'bad-answer' });
    expect(await fetchInstructions(hub, 0, { fetch: answer(200, seal(key, hub.keyId, new Uint8Array([0, 0, 0, 1])), OCT) })).toMatchObject({ ok: false, code: 'bad-answer' });
    expect(await fetchInstructions(hub, 0, { fetch: answer(401, JSON.stringify({ code: 'aead', message: 'The envelope does not authenticate.' }), JSON_T) })).toMatchObject({ ok: false, code: 'aead' });
  });
});
