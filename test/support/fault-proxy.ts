// A loopback HTTP proxy that injects network faults between a client and a server under test, so that
// retries, idempotency and recovery are exercised against the failures a real network produces. It
// forwards each request (method, path, headers, binary body) and relays the reply, except that, drawn
// from a seeded PRNG (the same seed and request sequence give the same faults), it may drop the request,
// drop the reply after the server acted on it, send the request twice, or hold it back behind the next.
// node:http only.
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { prng } from './prng';

/** pass: forward; down: destroy the client's socket without a reply (unreachable); down-502: reply 502. */
export type ProxyMode = 'pass' | 'down' | 'down-502';

/** Per-request probabilities, drawn once per request in pass mode; their sum must not exceed 1. */
export interface Faults {
  /** Never forwarded; the client's socket is destroyed. */
  dropRequest?: number;
  /** Forwarded (the server acts on it), but the client's socket is destroyed before the reply. */
  dropReply?: number;
  /** Forwarded twice in sequence; the client gets the second reply. */
  duplicate?: number;
  /** Held back until the next request has gone through (or holdMs passed), then forwarded. */
  reorder?: number;
}

export interface FaultCounters {
  /** Requests received from clients. */
  received: number;
  /** Requests sent to the target (a duplicated request counts twice). */
  forwarded: number;
  droppedRequests: number;
  droppedReplies: number;
  duplicated: number;
  reordered: number;
  /** Requests refused in a down mode. */
  refused: number;
}

export interface FaultProxyOptions {
  seed: number;
  mode?: ProxyMode;
  faults?: Faults;
  /** How long a held (reordered) request waits for a next request (default 200 ms). */
  holdMs?: number;
}

export interface FaultProxy {
  readonly url: string;
  readonly counters: Readonly<FaultCounters>;
  setMode(mode: ProxyMode): void;
  setFaults(faults: Faults): void;
  close(): Promise<void>;
}

type Fault = 'pass' | 'dropRequest' | 'dropReply' | 'duplicate' | 'reorder';
interface Upstream { status: number; headers: IncomingHttpHeaders; body: Buffer }


const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'content-length', 'host']);
const endToEnd = (h: IncomingHttpHeaders): IncomingHttpHeaders => Object.fromEntries(Object.entries(h).filter(([k]) => !HOP_BY_HOP.has(k)));

const readBody = (m: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    m.on('data', (c: Buffer) => chunks.push(c));
    m.once('end', () => resolve(Buffer.concat(chunks)));
    m.once('error', reject);
  });

function checkFaults(f: Faults): Faults {
  const values = [f.dropRequest, f.dropReply, f.duplicate, f.reorder].map((p) => p ?? 0);
  if (values.some((p) => p < 0) || values.reduce((a, b) => a + b, 0) > 1) throw new Error(`fault probabilities must be ≥ 0 and sum to at most 1: ${JSON.stringify(f)}`);
  return { ...f };
}

export async function startFaultProxy(target: string, opts: FaultProxyOptions): Promise<FaultProxy> {
  const to = new URL(target);
  const random = prng(opts.seed);
  const holdMs = opts.holdMs ?? 200;
  const agent = new Agent({ keepAlive: true });
  const counters: FaultCounters = { received: 0, forwarded: 0, droppedRequests: 0, droppedReplies: 0, duplicated: 0, reordered: 0, refused: 0 };
  let mode: ProxyMode = opts.mode ?? 'pass';
  let faults = checkFaults(opts.faults ?? {});
  let held: { release: () => void } | undefined;
  let closed = false;

  const draw = (): Fault => {
    const r = random();
    let edge = 0;
    for (const f of ['dropRequest', 'dropReply', 'duplicate', 'reorder'] as const) {
      edge += faults[f] ?? 0;
      if (r < edge) return f;
    }
    return 'pass';
  };

  const forward = (req: IncomingMessage, body: Buffer): Promise<Upstream> =>
    new Promise((resolve, reject) => {
      counters.forwarded++;
      const headers = { ...endToEnd(req.headers), host: to.host, 'content-length': String(body.length) };
      const up = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers, agent }, (res) => {
        readBody(res).then((b) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: b }), reject);
      });
      up.once('error', reject);
      up.end(body);
    });

  const reply = (res: ServerResponse, u: Upstream): void => {
    res.writeHead(u.status, { ...endToEnd(u.headers), 'content-length': String(u.body.length) });
    res.end(u.body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, fault: Fault): Promise<void> => {
    const body = await readBody(req);
    if (fault === 'reorder') {
      counters.reordered++;
      await new Promise<void>((release) => {
        const timer = setTimeout(() => settle(), holdMs);
        const settle = (): void => {
          clearTimeout(timer);
          if (held === slot) held = undefined;
          release();
        };
        const slot = { release: settle };
        held = slot;
      });
      if (closed) return void req.socket.destroy();
    }
    let upstream = await forward(req, body);
    if (fault === 'duplicate') {
      counters.duplicated++;
      upstream = await forward(req, body);
    }
    if (fault === 'dropReply') {
      counters.droppedReplies++;
      req.socket.destroy();
      return;
    }
    reply(res, upstream);
  };

  const server = createServer((req, res) => {
    counters.received++;
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    if (mode !== 'pass') {
      counters.refused++;
      if (mode === 'down') req.socket.destroy();
      else res.writeHead(502, { 'content-type': 'text/plain' }).end('fault proxy: down');
      return;
    }
    let fault = draw();
    if (fault === 'dropRequest') {
      counters.droppedRequests++;
      req.socket.destroy();
      return;
    }
    // Only one request is held at a time: the next one goes through first, then releases it.
    const before = held;
    if (before && fault === 'reorder') fault = 'pass';
    handle(req, res, fault)
      .catch(() => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('fault proxy: target unreachable');
      })
      .finally(() => before?.release());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    counters,
    setMode(m) {
      mode = m;
    },
    setFaults(f) {
      faults = checkFaults(f);
    },
    close: () =>
      new Promise<void>((resolve) => {
        closed = true;
        held?.release();
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
