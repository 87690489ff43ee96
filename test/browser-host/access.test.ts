// The browser host must be as safe as the window (issue S1, part 5): every refusal stated on its own,
// against the real server on loopback with a real station behind it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { startBrowserHost, type BrowserHost } from '../../src-main/browser-host/server';
import { enrolPeople, openTestStation, passphraseOf, PEOPLE, type TestStation } from '../support/station';

let ts: TestStation;
let host: BrowserHost;
let calls = 0;

beforeAll(async () => {
  ts = openTestStation();
  const status = ts.station.handlers.pool.status;
  // Count what reaches the core, to prove refused requests never do.
  (ts.station.handlers.pool as { status: typeof status }).status = async (a, c) => {
    calls++;
    return status(a, c);
  };
  host = await startBrowserHost({ station: ts.station, rendererDir: 'out/renderer' });
  await enrolPeople(ts.station);
  const signIn = await send('/api/call/operators.signIn', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${host.token}` },
    body: JSON.stringify({ name: PEOPLE.operator.name, passphrase: passphraseOf(PEOPLE.operator.name) }),
  });
  expect(JSON.parse(signIn.body)).toMatchObject({ ok: true });
});
afterAll(async () => {
  await host.close();
  await ts.cleanup();
});

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function send(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, path, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const auth = (): Record<string, string> => ({ Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json' });
const callStatus = (headers: Record<string, string>): Promise<Reply> => send('/api/call/pool.status', { method: 'POST', headers, body: '{}' });

describe('the browser host', () => {
  it('listens on loopback only and prints a URL carrying a long random token', () => {
    // In the fragment: a browser never sends it to any server, so no log or proxy sees it.
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{43}$/);
  });

  it('answers a call that carries the token', async () => {
    const before = calls;
    const r = await callStatus(auth());
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ ok: true, value: { unallocatedBytes: 0 } });
    expect(calls).toBe(before + 1);
  });

  it('refuses a request with no token', async () => {
    const before = calls;
    const r = await callStatus({ 'Content-Type': 'application/json' });
    expect(r.status).toBe(401);
    expect((await send('/api/events')).status).toBe(401);
    expect(calls).toBe(before);
  });

  it('refuses a wrong token, and the token anywhere but the bearer header (cookie, query)', async () => {
    const before = calls;
    const wrong = host.token.slice(0, -1) + (host.token.endsWith('A') ? 'B' : 'A');
    expect((await callStatus({ Authorization: `Bearer ${wrong}`, 'Content-Type': 'application/json' })).status).toBe(401);
    expect((await callStatus({ Authorization: `Basic ${host.token}`, 'Content-Type': 'application/json' })).status).toBe(401);
    expect((await callStatus({ Cookie: `dske_station_session=${host.token}`, 'Content-Type': 'application/json' })).status).toBe(401);
    expect((await send(`/api/call/pool.status?token=${host.token}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).status).toBe(401);
    expect(calls).toBe(before);
  });

  it('never sets a cookie (cookies are not scoped by port: any 127.0.0.1 listener would get it)', async () => {
    for (const r of [await send('/'), await callStatus(auth())]) expect(r.headers['set-cookie']).toBeUndefined();
  });

  it('refuses a foreign Origin even with the right token', async () => {
    const before = calls;
    const r = await callStatus({ ...auth(), Origin: 'http://evil.example' });
    expect(r.status).toBe(403);
    expect((await callStatus({ ...auth(), Origin: `http://127.0.0.1:${host.port + 1}` })).status).toBe(403);
    expect(calls).toBe(before);
  });

  it('accepts its own Origin', async () => {
    expect((await callStatus({ ...auth(), Origin: host.origin })).status).toBe(200);
  });

  it('refuses a non-loopback Host (DNS rebinding) even with the right token', async () => {
    const before = calls;
    expect((await callStatus({ ...auth(), Host: `evil.example:${host.port}` })).status).toBe(421);
    expect((await callStatus({ ...auth(), Host: `192.168.1.10:${host.port}` })).status).toBe(421);
    expect((await callStatus({ ...auth(), Host: '127.0.0.1:1' })).status).toBe(421);
    // localhost may resolve to ::1, where another process can hold the same port number.
    expect((await callStatus({ ...auth(), Host: `localhost:${host.port}` })).status).toBe(421);
    expect((await send('/', { headers: { Host: `evil.example:${host.port}` } })).status).toBe(421);
    expect(calls).toBe(before);
  });

  it('serves the UI’s own files (no secrets in them) with the CSP and no-sniff headers', async () => {
    const r = await send('/');
    expect(r.status).toBe(200);
    expect(r.headers['content-security-policy']).toContain("script-src 'self'");
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });

  it('does not serve files outside the renderer', async () => {
    for (const p of ['/../package.json', '/%2e%2e/%2e%2e/package.json', '/..%2f..%2fpackage.json']) {
      expect((await send(p, { headers: { Authorization: `Bearer ${host.token}` } })).status).toBe(404);
    }
  });

  it('gives a malformed argument a typed error without reaching the core', async () => {
    const before = calls;
    for (const body of ['{"extra":1}', '[]', '"x"', 'null', '{not json']) {
      const r = await send('/api/call/pool.status', { method: 'POST', headers: auth(), body });
      expect(r.status).toBe(200);
      const result = JSON.parse(r.body);
      expect(result.ok).toBe(false);
      expect(result.error.code).toBe('bad-request');
    }
    expect(calls).toBe(before);
  });

  it('gives an unknown call a typed error', async () => {
    const r = await send('/api/call/pool.__proto__', { method: 'POST', headers: auth(), body: '{}' });
    expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'unknown-call' } });
    const broken = await send('/api/call/pool.%E0%A4%A', { method: 'POST', headers: auth(), body: '{}' });
    expect(JSON.parse(broken.body)).toMatchObject({ ok: false, error: { code: 'unknown-call' } });
  });

  it('refuses calls that are not JSON POSTs (no CSRF through simple requests)', async () => {
    expect((await send('/api/call/pool.status', { method: 'POST', headers: { Authorization: `Bearer ${host.token}`, 'Content-Type': 'text/plain' }, body: '{}' })).status).toBe(415);
    expect((await send('/api/call/pool.status', { headers: { Authorization: `Bearer ${host.token}` } })).status).toBe(405);
  });

  it('refuses an oversized body', async () => {
    const before = calls;
    const r = await send('/api/call/pool.status', { method: 'POST', headers: auth(), body: JSON.stringify({ x: 'a'.repeat(100_000) }) });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(calls).toBe(before);
  });
});
