// An SAE calling its KME over mutual TLS (ETSI GS QKD 014), as an application does: its own certificate
// and key, the KME's CA; the JSON answer and its status.
import { request } from 'node:https';
import type { Pem } from '../../../src-client/qkd014/lab-certs';

export interface SaeAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export function saeCall(port: number, who: Pem, ca: string | Buffer, method: 'GET' | 'POST', path: string, body?: unknown): Promise<SaeAnswer> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request({
      host: '127.0.0.1', port, method, path, cert: who.cert, key: who.key, ca, servername: 'localhost',
      headers: data === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
    }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(data);
  });
}
