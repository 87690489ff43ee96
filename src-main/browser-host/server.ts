// The browser host (issue S1, part 5): the same renderer and the same core, on 127.0.0.1 only, the
// API carried over HTTP (calls) and a Server-Sent-Events stream (subscriptions). Every request passes
// the Host and Origin checks of access.ts; every API call and the event stream also need the token.
// The UI's own files (no secrets in them) are served without it: the page reads the token from the
// URL fragment it was opened with.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventNames } from '../../src-shared/api/station-api';
import { fail, type Result } from '../../src-shared/api/result';
import { transportContext, type Station } from '../station/station';
import { SECURITY_HEADERS } from '../shell/csp';
import { resolveStatic } from '../shell/static-files';
import { checkHost, checkOrigin, checkToken, type AccessDecision } from '../../src-node/http/access';

export const MAX_BODY_BYTES = 64 * 1024;

export interface BrowserHostOptions {
  readonly station: Station;
  readonly rendererDir: string;
  readonly port?: number;
  readonly token?: string;
}

export interface BrowserHost {
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, ...extra });
  res.end(body);
}

function refuse(res: ServerResponse, d: Exclude<AccessDecision, { allow: true }>): void {
  send(res, d.status, d.reason);
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        resolve(null);
        return;
      }
      parts.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', () => resolve(null));
  });
}

export function startBrowserHost(opts: BrowserHostOptions): Promise<BrowserHost> {
  const token = opts.token ?? randomBytes(32).toString('base64url');
  // One run, one session: every tab opened with this run's token shares who is signed in (one desk).
  const transport = transportContext('browser');

  /** One API call: the channel from the path, the argument from the JSON body; every outcome a Result. */
  async function answer(rawChannel: string, body: string): Promise<Result<unknown>> {
    let channel: string;
    try {
      channel = decodeURIComponent(rawChannel);
    } catch {
      return fail('unknown-call', 'The station does not offer that operation.');
    }
    let args: unknown;
    try {
      args = body.length ? JSON.parse(body) : {};
    } catch {
      return fail('bad-request', 'The request was not valid JSON.');
    }
    return opts.station.dispatch(channel, args, transport);
  }
  const policy: { token: string; port: number } = { token, port: 0 };
  const streams = new Set<ServerResponse>();

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const host = checkHost(policy, req.headers.host);
    if (!host.allow) return refuse(res, host);
    const origin = checkOrigin(policy, req.headers.origin);
    if (!origin.allow) return refuse(res, origin);
    if (url.pathname.startsWith('/api/')) {
      const auth = checkToken(policy, req.headers);
      if (!auth.allow) return refuse(res, auth);
    }

    if (url.pathname.startsWith('/api/call/')) {
      if (req.method !== 'POST') return send(res, 405, 'Use POST.', undefined, { Allow: 'POST' });
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return send(res, 415, 'Send JSON.');
      const body = await readBody(req);
      if (body === null) return send(res, 413, JSON.stringify(fail('bad-request', 'The request was too large.')), 'application/json', { Connection: 'close' });
      return send(res, 200, JSON.stringify(await answer(url.pathname.slice('/api/call/'.length), body)), 'application/json');
    }

    if (url.pathname === '/api/events') {
      if (req.method !== 'GET') return send(res, 405, 'Use GET.');
      res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
      res.write(': station events\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Use GET.');
    const file = resolveStatic(opts.rendererDir, url.pathname);
    if (!file) return send(res, 404, 'Not found.');
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': file.contentType });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file.path).pipe(res);
  });

  const unsubscribe = eventNames.map((name) =>
    opts.station.events.on(name, (payload) => {
      const frame = `event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`;
      for (const s of streams) s.write(frame);
    }),
  );

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // Loopback only: the station's API is never on a network interface.
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      policy.port = port;
      const origin = `http://127.0.0.1:${port}`;
      resolve({
        url: `${origin}/#token=${token}`,
        origin,
        port,
        token,
        close: () =>
          new Promise<void>((done) => {
            for (const u of unsubscribe) u();
            for (const s of streams) s.end();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
