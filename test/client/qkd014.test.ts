// ETSI GS QKD 014 at the client (issue S10, part 3), the HTTP layer: two KMEs over HTTPS with mutual TLS
// (certificates made by openssl at test time), sharing an in-process MemoryKeyPool that keeps each key
// taken until its slave fetches it and then deletes it. Checked field by field against the
// specification: status, enc_keys (POST and GET), dec_keys (POST and GET; the path names the master SAE),
// every error (400, 401, 503 with {message, details}), and the same calls through curl as an SAE makes them.
// Last, the service as a process over a client store (`dske-client qkd014`).
import { execFile, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmeConfig, type KmeConfig } from '../../src-client/qkd014/config';
import { keyIdOf, MemoryKeyPool, UUID } from '../../src-client/qkd014/key-pool';
import { LabCa, type Pem } from '../../src-client/qkd014/lab-certs';
import { buildQkd014Server } from '../../src-client/qkd014/server';
import { ClientStore } from '../../src-client/store/client-store';
import { tempDir } from '../support/station';

const STATUS_FIELDS = ['source_KME_ID', 'target_KME_ID', 'master_SAE_ID', 'slave_SAE_ID', 'key_size', 'stored_key_count', 'max_key_count', 'max_key_per_request', 'max_key_size', 'min_key_size', 'max_SAE_ID_count'];
const HUBS = ['hub-a', 'hub-b', 'hub-c'];
const ids = (n: string): Record<string, string> => Object.fromEntries(HUBS.map((h) => [h, n]));

const work = tempDir('dske-qkd014-');
let ca: LabCa;
const sae: Record<string, Pem> = {};
let stranger: Pem; // an SAE certificate from another CA
const kme: Record<string, { app?: FastifyInstance; port: number }> = {};
let pool: MemoryKeyPool;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

function call(at: string, who: Pem, method: 'GET' | 'POST', path: string, body?: unknown, raw?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const data = raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const req = request({
      host: '127.0.0.1', port: kme[at]!.port, method, path, cert: who.cert, key: who.key, ca: ca.ca, servername: 'localhost',
      headers: data === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
    }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString('utf8') || '{}') as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function start(name: string, config: KmeConfig, p = pool): Promise<void> {
  const server = ca.server(name);
  const app = await buildQkd014Server({ config, pool: p, tls: { cert: server.cert, key: server.key, ca: ca.ca } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  kme[name] = { app, port: (app.server.address() as { port: number }).port };
}

beforeAll(async () => {
  ca = new LabCa(join(work, 'ca'));
  for (const s of ['sae-a1', 'sae-a2', 'sae-b1', 'sae-b2', 'sae-nobody']) sae[s] = ca.sae(s);
  stranger = new LabCa(join(work, 'other-ca'), 'Another CA').sae('sae-a1');
  pool = new MemoryKeyPool(1000);
  const a = kmeConfig({ kmeId: 'kme-a', saes: ['sae-a1', 'sae-a2'], peers: [{ kmeId: 'kme-b', saes: ['sae-b1', 'sae-b2'], clients: ids('c-000002') }], hubs: HUBS, k: 2, maxKeyPerRequest: 16, maxKeyCount: 1000 });
  const b = kmeConfig({ kmeId: 'kme-b', saes: ['sae-b1', 'sae-b2'], peers: [{ kmeId: 'kme-a', saes: ['sae-a1', 'sae-a2'], clients: ids('c-000001') }], hubs: HUBS, k: 2, maxKeyPerRequest: 16, maxKeyCount: 1000 });
  await start('kme-a', a);
  await start('kme-b', b);
  await start('kme-a-dry', a, new MemoryKeyPool(2));
}, 60_000);

afterAll(async () => {
  for (const k of Object.values(kme)) await k.app?.close();
  rmSync(work, { recursive: true, force: true });
});

const isError = (a: Answer, status: number, message: RegExp): void => {
  expect(a.status).toBe(status);
  expect(Object.keys(a.body).sort()).toEqual(['details', 'message']);
  expect(typeof a.body.message).toBe('string');
  expect(a.body.message).toMatch(message);
  expect(Array.isArray(a.body.details)).toBe(true);
  for (const d of a.body.details as unknown[]) expect(typeof d === 'object' && d !== null && !Array.isArray(d)).toBe(true);
};

const keysOf = (a: Answer): { key_ID: string; key: string }[] => {
  expect(a.status).toBe(200);
  expect(Object.keys(a.body)).toEqual(['keys']);
  const keys = a.body.keys as { key_ID: string; key: string }[];
  for (const k of keys) {
    expect(Object.keys(k).sort()).toEqual(['key', 'key_ID']);
    expect(k.key_ID).toMatch(UUID);
    expect(Buffer.from(k.key, 'base64').toString('base64')).toBe(k.key);
  }
  return keys;
};

describe('status', () => {
  it('has exactly the fields of the specification, consistent with each other', async () => {
    const a = await call('kme-a', sae['sae-a1']!, 'GET', '/api/v1/keys/sae-b1/status');
    expect(a.status).toBe(200);
    expect(Object.keys(a.body).sort()).toEqual([...STATUS_FIELDS].sort());
    expect(a.body).toMatchObject({ source_KME_ID: 'kme-a', target_KME_ID: 'kme-b', master_SAE_ID: 'sae-a1', slave_SAE_ID: 'sae-b1', key_size: 256, max_key_count: 1000, max_key_per_request: 16, max_key_size: 8192, min_key_size: 64, max_SAE_ID_count: 0 });
    const n = a.body as Record<string, number>;
    for (const f of ['key_size', 'stored_key_count', 'max_key_count', 'max_key_per_request', 'max_key_size', 'min_key_size', 'max_SAE_ID_count']) expect(Number.isSafeInteger(n[f])).toBe(true);
    expect(n.stored_key_count).toBeGreaterThanOrEqual(0);
    expect(n.stored_key_count).toBeLessThanOrEqual(n.max_key_count!);
    expect(n.max_key_per_request).toBeLessThanOrEqual(n.max_key_count!);
    expect(n.min_key_size).toBeLessThanOrEqual(n.key_size!);
    expect(n.key_size).toBeLessThanOrEqual(n.max_key_size!);
  });

  it('is the same from the other KME, with the roles of the ends swapped', async () => {
    const a = await call('kme-b', sae['sae-b2']!, 'GET', '/api/v1/keys/sae-a2/status');
    expect(a.body).toMatchObject({ source_KME_ID: 'kme-b', target_KME_ID: 'kme-a', master_SAE_ID: 'sae-b2', slave_SAE_ID: 'sae-a2' });
  });

  it('counts the keys taken off the stock', async () => {
    const before = (await call('kme-a-dry', sae['sae-a1']!, 'GET', '/api/v1/keys/sae-b1/status')).body.stored_key_count;
    expect(before).toBe(2);
  });
});

describe('enc_keys and dec_keys', () => {
  it('POST enc_keys: number keys of size bits; the slave gets the same keys by POST dec_keys, once', async () => {
    const enc = keysOf(await call('kme-a', sae['sae-a1']!, 'POST', '/api/v1/keys/sae-b1/enc_keys', { number: 3, size: 512, additional_slave_SAE_IDs: [], extension_mandatory: [], extension_optional: [{ abc_route_type: 'direct' }] }));
    expect(enc).toHaveLength(3);
    expect(new Set(enc.map((k) => k.key_ID)).size).toBe(3);
    for (const k of enc) expect(Buffer.from(k.key, 'base64')).toHaveLength(64);
    // The path names the master SAE; the caller is the slave.
    const dec = keysOf(await call('kme-b', sae['sae-b1']!, 'POST', '/api/v1/keys/sae-a1/dec_keys', { key_IDs: enc.map((k) => ({ key_ID: k.key_ID })) }));
    expect(dec).toEqual(enc);
    isError(await call('kme-b', sae['sae-b1']!, 'POST', '/api/v1/keys/sae-a1/dec_keys', { key_IDs: [{ key_ID: enc[0]!.key_ID }] }), 400, /No key is held with key_ID/);
  });

  it('POST enc_keys with an empty body: one key of the default 256 bits', async () => {
    const enc = keysOf(await call('kme-a', sae['sae-a2']!, 'POST', '/api/v1/keys/sae-b2/enc_keys', {}));
    expect(enc).toHaveLength(1);
    expect(Buffer.from(enc[0]!.key, 'base64')).toHaveLength(32);
    expect(keysOf(await call('kme-b', sae['sae-b2']!, 'GET', `/api/v1/keys/sae-a2/dec_keys?key_ID=${enc[0]!.key_ID}`))).toEqual(enc);
  });

  it('GET enc_keys?number&size; GET dec_keys?key_ID for each', async () => {
    const enc = keysOf(await call('kme-a', sae['sae-a1']!, 'GET', '/api/v1/keys/sae-b2/enc_keys?number=2&size=128'));
    expect(enc).toHaveLength(2);
    for (const k of enc) {
      expect(Buffer.from(k.key, 'base64')).toHaveLength(16);
      expect(keysOf(await call('kme-b', sae['sae-b2']!, 'GET', `/api/v1/keys/sae-a1/dec_keys?key_ID=${k.key_ID}`))).toEqual([k]);
    }
    const one = keysOf(await call('kme-a', sae['sae-a1']!, 'GET', '/api/v1/keys/sae-b2/enc_keys'));
    expect(one).toHaveLength(1);
    expect(Buffer.from(one[0]!.key, 'base64')).toHaveLength(32);
  });

  it('a key taken by kme-b for kme-a goes the other way as well', async () => {
    const enc = keysOf(await call('kme-b', sae['sae-b1']!, 'POST', '/api/v1/keys/sae-a2/enc_keys', { number: 16 }));
    expect(keysOf(await call('kme-a', sae['sae-a2']!, 'POST', '/api/v1/keys/sae-b1/dec_keys', { key_IDs: enc.map((k) => ({ key_ID: k.key_ID })) }))).toEqual(enc);
  });
});

describe('errors', () => {
  const A1 = (): Pem => sae['sae-a1']!;
  it('400: size not a multiple of 8, below min_key_size or above max_key_size', async () => {
    for (const size of [100, 56, 8200]) isError(await call('kme-a', A1(), 'POST', '/api/v1/keys/sae-b1/enc_keys', { size }), 400, /size must be a multiple of 8 between 64 and 8192/);
    isError(await call('kme-a', A1(), 'GET', '/api/v1/keys/sae-b1/enc_keys?size=abc'), 400, /size must be a whole number/);
  });

  it('400: number over max_key_per_request, zero, or not a number', async () => {
    isError(await call('kme-a', A1(), 'POST', '/api/v1/keys/sae-b1/enc_keys', { number: 17 }), 400, /number must be between 1 and max_key_per_request \(16\)/);
    isError(await call('kme-a', A1(), 'GET', '/api/v1/keys/sae-b1/enc_keys?number=0'), 400, /number must be between 1/);
    isError(await call('kme-a', A1(), 'POST', '/api/v1/keys/sae-b1/enc_keys', { number: 'two' }), 400, /number must be a whole number/);
    isError(await call('kme-a', A1(), 'POST', '/api/v1/keys/sae-b1/enc_keys', { number: 1.5 }), 400, /number must be a whole number/);
  });

  it('400: a malformed body, additional slave SAEs, an unsupported mandatory extension, an unknown slave', async () => {
    isError(await call('kme-a', A1(), 'POST', '/api/v1/keys/sae-b1/enc_keys', undefined, '{"number": 1'), 400, /malformed/);
    isError(await call('kme-a', A1(), 'POST', '/api/v1/keys/sae-b1/enc_keys', [1, 2]), 400, /JSON object/);
    isError(await call('kme-a', A1(), 'POST', '/api/v1/keys/sae-b1/enc_keys', { additional_slave_SAE_IDs: ['sae-b2'] }), 400, /additional_slave_SAE_IDs is not supported/);
    const ext = await call('kme-a', A1(), 'POST', '/api/v1/keys/sae-b1/enc_keys', { extension_mandatory: [{ abc_route_type: 'direct' }] });
    isError(ext, 400, /extension_mandatory/);
    expect(ext.body.details).toEqual([{ extension_unsupported: { abc_route_type: 'direct' } }]);
    isError(await call('kme-a', A1(), 'POST', '/api/v1/keys/sae-zz/enc_keys', {}), 400, /sae-zz is not an SAE this KME shares keys with/);
    isError(await call('kme-a', A1(), 'GET', '/api/v1/keys/sae-a2/status'), 400, /sae-a2 is not an SAE this KME shares keys with/);
  });

  it('400 at dec_keys: an unknown or malformed key_ID, an empty or malformed list, an unknown master', async () => {
    const B1 = sae['sae-b1']!;
    const unknown = keyIdOf('kme-a', '00'.repeat(16), 0);
    const a = await call('kme-b', B1, 'POST', '/api/v1/keys/sae-a1/dec_keys', { key_IDs: [{ key_ID: unknown }] });
    isError(a, 400, /No key is held with key_ID/);
    expect(a.body.details).toEqual([{ key_ID: unknown }]);
    isError(await call('kme-b', B1, 'GET', '/api/v1/keys/sae-a1/dec_keys?key_ID=not-a-uuid'), 400, /UUID/);
    isError(await call('kme-b', B1, 'GET', '/api/v1/keys/sae-a1/dec_keys'), 400, /names one key_ID/);
    isError(await call('kme-b', B1, 'POST', '/api/v1/keys/sae-a1/dec_keys', { key_IDs: [] }), 400, /Between 1 and max_key_per_request/);
    isError(await call('kme-b', B1, 'POST', '/api/v1/keys/sae-a1/dec_keys', { keys: [] }), 400, /key_IDs/);
    isError(await call('kme-b', B1, 'POST', '/api/v1/keys/sae-a1/dec_keys', { key_IDs: [{ key_ID: unknown }, { key_ID: unknown }] }), 400, /named twice/);
    isError(await call('kme-b', B1, 'POST', '/api/v1/keys/sae-zz/dec_keys', { key_IDs: [{ key_ID: unknown }] }), 400, /sae-zz is not an SAE/);
  });

  it('400 at dec_keys when one of several key_IDs is unknown: none of the others is handed out', async () => {
    const enc = keysOf(await call('kme-a', A1(), 'POST', '/api/v1/keys/sae-b1/enc_keys', { number: 2 }));
    const unknown = keyIdOf('kme-a', 'ff'.repeat(16), 7);
    const body = { key_IDs: [...enc.map((k) => ({ key_ID: k.key_ID })), { key_ID: unknown }] };
    const a = await call('kme-b', sae['sae-b1']!, 'POST', '/api/v1/keys/sae-a1/dec_keys', body);
    isError(a, 400, /No key is held with key_ID/);
    expect(a.body.details).toEqual([{ key_ID: unknown }]);
    expect(keysOf(await call('kme-b', sae['sae-b1']!, 'POST', '/api/v1/keys/sae-a1/dec_keys', { key_IDs: body.key_IDs.slice(0, 2) }))).toEqual(enc);
  });

  it('401: a certificate of the right CA whose SAE is not registered with this KME', async () => {
    const a = await call('kme-a', sae['sae-nobody']!, 'GET', '/api/v1/keys/sae-b1/status');
    isError(a, 401, /SAE sae-nobody is not registered with KME kme-a/);
    // An SAE of the other KME is not one of this KME's either.
    isError(await call('kme-a', sae['sae-b1']!, 'POST', '/api/v1/keys/sae-b1/enc_keys', {}), 401, /sae-b1 is not registered with KME kme-a/);
  });

  it('401 at dec_keys: the keys belong to another slave SAE, or another master; nothing is handed out', async () => {
    const enc = keysOf(await call('kme-a', A1(), 'POST', '/api/v1/keys/sae-b1/enc_keys', { number: 2 }));
    const body = { key_IDs: enc.map((k) => ({ key_ID: k.key_ID })) };
    isError(await call('kme-b', sae['sae-b2']!, 'POST', '/api/v1/keys/sae-a1/dec_keys', body), 401, /was not taken by sae-a1 for sae-b2/);
    isError(await call('kme-b', sae['sae-b1']!, 'POST', '/api/v1/keys/sae-a2/dec_keys', body), 401, /was not taken by sae-a2 for sae-b1/);
    expect(keysOf(await call('kme-b', sae['sae-b1']!, 'POST', '/api/v1/keys/sae-a1/dec_keys', body))).toEqual(enc);
  });

  it('no connection without a client certificate of the CA (rejected in the TLS handshake)', async () => {
    await expect(call('kme-a', stranger, 'GET', '/api/v1/keys/sae-b1/status')).rejects.toThrow();
    await expect(new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: kme['kme-a']!.port, path: '/api/v1/keys/sae-b1/status', ca: ca.ca, servername: 'localhost' }, resolve);
      req.on('error', reject);
      req.end();
    })).rejects.toThrow();
  });

  it('503: more keys asked for than the pool holds; the stock is untouched', async () => {
    const a = await call('kme-a-dry', A1(), 'POST', '/api/v1/keys/sae-b1/enc_keys', { number: 3 });
    isError(a, 503, /Only 2 keys are left, and 3 were asked for/);
    expect((await call('kme-a-dry', A1(), 'GET', '/api/v1/keys/sae-b1/status')).body.stored_key_count).toBe(2);
    keysOf(await call('kme-a-dry', A1(), 'POST', '/api/v1/keys/sae-b1/enc_keys', { number: 2 }));
    expect((await call('kme-a-dry', A1(), 'GET', '/api/v1/keys/sae-b1/status')).body.stored_key_count).toBe(0);
    isError(await call('kme-a-dry', A1(), 'GET', '/api/v1/keys/sae-b1/enc_keys'), 503, /Only 0 keys are left/);
  });

  it('404 for a path outside the API, in the same shape', async () => {
    isError(await call('kme-a', A1(), 'GET', '/api/v1/keys/sae-b1/nothing'), 404, /No such QKD 014 resource/);
  });
});

describe('through curl, as an SAE calls its KME', () => {
  const curl = (at: string, who: Pem, args: string[]): Promise<{ code: number; out: string }> => new Promise((resolve) => {
    execFile('curl', ['-sS', '--cert', who.certFile, '--key', who.keyFile, '--cacert', ca.caFile, '-w', '\n%{http_code}', ...args.map((a) => a.replace('KME', `https://localhost:${kme[at]!.port}`))], (err, stdout, stderr) => {
      const lines = stdout.trimEnd().split('\n');
      resolve({ code: Number(lines.pop()), out: lines.join('\n') + (err ? stderr : '') });
    });
  });

  it('status, POST enc_keys, GET dec_keys, and an error', async () => {
    const st = await curl('kme-a', sae['sae-a1']!, ['KME/api/v1/keys/sae-b1/status']);
    expect(st.code).toBe(200);
    expect(Object.keys(JSON.parse(st.out) as object).sort()).toEqual([...STATUS_FIELDS].sort());
    const enc = await curl('kme-a', sae['sae-a1']!, ['-H', 'Content-Type: application/json', '-d', '{"number":1,"size":256}', 'KME/api/v1/keys/sae-b1/enc_keys']);
    expect(enc.code).toBe(200);
    const [key] = (JSON.parse(enc.out) as { keys: { key_ID: string; key: string }[] }).keys;
    const dec = await curl('kme-b', sae['sae-b1']!, [`KME/api/v1/keys/sae-a1/dec_keys?key_ID=${key!.key_ID}`]);
    expect(dec.code).toBe(200);
    expect(JSON.parse(dec.out)).toEqual({ keys: [key] });
    const again = await curl('kme-b', sae['sae-b1']!, ['-H', 'Content-Type: application/json', '-d', JSON.stringify({ key_IDs: [{ key_ID: key!.key_ID }] }), 'KME/api/v1/keys/sae-a1/dec_keys']);
    expect(again.code).toBe(400);
    expect(Object.keys(JSON.parse(again.out) as object).sort()).toEqual(['details', 'message']);
  });

  it('an SAE not registered here gets 401', async () => {
    const r = await curl('kme-a', sae['sae-nobody']!, ['KME/api/v1/keys/sae-b1/status']);
    expect(r.code).toBe(401);
  });
});

describe('the service as a process', () => {
  it('starts from its files, answers status, 503 with the reason while no hub is registered, and stops on SIGTERM', async () => {
    const dir = join(work, 'proc-client');
    ClientStore.init(dir);
    const cfg = join(work, 'proc-kme.json');
    writeFileSync(cfg, JSON.stringify({ kmeId: 'kme-p', saes: ['sae-a1'], peers: [{ kmeId: 'kme-b', saes: ['sae-b1'], clients: ids('c-000002') }], hubs: HUBS, k: 2 }));
    const server = ca.server('kme-p');
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'src-client', 'main.ts'), 'qkd014', '--data', dir, '--config', cfg, '--cert', server.certFile, '--key', server.keyFile, '--ca', ca.caFile, '--port', '0'], { cwd: join(__dirname, '..', '..'), stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        child.stderr.on('data', (c: Buffer) => reject(new Error(c.toString())));
        void exited.then((code) => reject(new Error(`exited ${code}`)));
      });
      kme['proc'] = { port };
      const st = await call('proc', sae['sae-a1']!, 'GET', '/api/v1/keys/sae-b1/status');
      expect(st.status).toBe(200);
      expect(st.body).toMatchObject({ source_KME_ID: 'kme-p', target_KME_ID: 'kme-b', stored_key_count: 0, key_size: 256 });
      const e = await call('proc', sae['sae-a1']!, 'POST', '/api/v1/keys/sae-b1/enc_keys', { number: 1 });
      isError(e, 503, /^No key could be established with kme-b for sae-b1: This client is not registered with hub hub-a\.$/);
    } finally {
      delete kme['proc'];
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 30_000);
});
