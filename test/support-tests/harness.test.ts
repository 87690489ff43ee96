// The integration-test harness itself: the throwaway PostgreSQL cluster (support/postgres.ts) and the
// fault-injecting proxy (support/fault-proxy.ts), against a real cluster and a tiny counting echo server.
import { existsSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy, type FaultProxyOptions } from '../support/fault-proxy';
import { startPostgres } from '../support/postgres';

describe('throwaway PostgreSQL cluster', () => {
  it('creates two databases that answer queries, and leaves nothing behind once stopped', async () => {
    const cluster = await startPostgres();
    try {
      for (const name of ['alpha', 'beta']) {
        const client = new pg.Client({ connectionString: await cluster.createDatabase(name) });
        await client.connect();
        try {
          await client.query('create table t (v text)');
          await client.query('insert into t values ($1)', [name]);
          const { rows } = await client.query('select current_database() as db, (select v from t) as v, current_setting($1) as fsync', ['fsync']);
          expect(rows).toEqual([{ db: name, v: name, fsync: 'on' }]);
        } finally {
          await client.end();
        }
      }
      expect(cluster.port).not.toBe(5432);
    } finally {
      await cluster.stop();
    }
    expect(existsSync(cluster.dir)).toBe(false);
    await cluster.stop();
    await expect(new pg.Client({ connectionString: cluster.url(), connectionTimeoutMillis: 2000 }).connect()).rejects.toThrow();
  });

  it('says which package is missing when PostgreSQL is not installed', async () => {
    await expect(startPostgres({ libDir: '/nonexistent/postgresql' })).rejects.toThrow(/package "postgresql" is missing.*npm test/);
  });
});

/** A server that echoes each body back, numbering requests in arrival order. */
interface Echo { url: string; arrivals: string[]; server: Server }
async function startEcho(): Promise<Echo> {
  const arrivals: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      arrivals.push(String(req.headers['x-name']));
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-count': String(arrivals.length) });
      res.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, arrivals, server };
}

interface Reply { status: number; count: string; body: Buffer }
/** One POST on its own connection; rejects if the connection fails or is cut. */
function post(url: string, name: string, body: Buffer = Buffer.from(name)): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/echo?x=1`, { method: 'POST', agent: false, headers: { 'x-name': name, 'content-type': 'application/octet-stream' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, count: String(res.headers['x-count']), body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const waitFor = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; !cond(); i++) {
    if (i > 200) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('fault proxy', () => {
  let echo: Echo;
  let proxy: FaultProxy | undefined;
  const open = async (opts: Partial<FaultProxyOptions> = {}): Promise<FaultProxy> => (proxy = await startFaultProxy(echo.url, { seed: 1, ...opts }));
  beforeEach(async () => {
    echo = await startEcho();
  });
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    await new Promise((r) => echo.server.close(r));
  });

  it('in pass mode relays a 1 MiB binary body byte-exactly, both ways', async () => {
    const p = await open();
    const body = randomBytes(2 ** 20);
    const r = await post(p.url, 'big', body);
    expect(r.status).toBe(200);
    expect(r.body.equals(body)).toBe(true);
    expect(p.counters).toMatchObject({ received: 1, forwarded: 1 });
  });

  it('when down, cuts the connection (or answers 502) and forwards nothing', async () => {
    const p = await open({ mode: 'down' });
    await expect(post(p.url, 'a')).rejects.toThrow();
    p.setMode('down-502');
    expect((await post(p.url, 'b')).status).toBe(502);
    p.setMode('pass');
    expect((await post(p.url, 'c')).status).toBe(200);
    expect(echo.arrivals).toEqual(['c']);
    expect(p.counters).toMatchObject({ refused: 2, forwarded: 1 });
  });

  it('dropRequest: the server never sees it, the client gets an error', async () => {
    const p = await open({ faults: { dropRequest: 1 } });
    await expect(post(p.url, 'a')).rejects.toThrow();
    expect(echo.arrivals).toEqual([]);
    expect(p.counters).toMatchObject({ droppedRequests: 1, forwarded: 0 });
  });

  it('dropReply: the server acted on it, yet the client gets an error', async () => {
    const p = await open({ faults: { dropReply: 1 } });
    await expect(post(p.url, 'a')).rejects.toThrow();
    expect(echo.arrivals).toEqual(['a']);
    expect(p.counters).toMatchObject({ droppedReplies: 1, forwarded: 1 });
  });

  it('duplicate: the server counts two, the client gets the second reply', async () => {
    const p = await open({ faults: { duplicate: 1 } });
    const r = await post(p.url, 'a');
    expect(echo.arrivals).toEqual(['a', 'a']);
    expect(r.count).toBe('2');
    expect(p.counters).toMatchObject({ duplicated: 1, forwarded: 2 });
  });

  it('reorder: a held request reaches the server after the next one, and is released if none comes', async () => {
    const p = await open({ faults: { reorder: 1 }, holdMs: 5_000 });
    const first = post(p.url, 'first');
    await waitFor(() => p.counters.received === 1);
    const second = post(p.url, 'second');
    expect((await Promise.all([first, second])).map((r) => r.body.toString())).toEqual(['first', 'second']);
    expect(echo.arrivals).toEqual(['second', 'first']);
    expect(p.counters.reordered).toBe(1);
    await proxy?.close();
    const q = await open({ faults: { reorder: 1 }, holdMs: 200 });
    const started = Date.now();
    expect((await post(q.url, 'alone')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('the same seed gives the same faults; another seed, others', async () => {
    const faults = { dropRequest: 0.15, dropReply: 0.15, duplicate: 0.15, reorder: 0.05 };
    const run = async (seed: number): Promise<string> => {
      const p = await open({ seed, faults, holdMs: 20 });
      const outcomes: string[] = [];
      for (let i = 0; i < 40; i++) outcomes.push(await post(p.url, `r${i}`).then((r) => r.count, () => 'x'));
      await p.close();
      echo.arrivals.length = 0;
      return `${outcomes.join(',')} ${JSON.stringify(p.counters)}`;
    };
    const a = await run(7);
    expect(await run(7)).toBe(a);
    expect(await run(8)).not.toBe(a);
    expect(a).toMatch(/x/);
  });
});
