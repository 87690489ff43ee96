// The QKD 014 service of a client, from files: the client's data directory, a KME configuration (JSON,
// see config.ts and README.md), and PEM files for the server certificate, its key and the SAEs' CA.
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { ioReason } from '../../src-node/io-reason';
import { ClientFailure } from '../errors';
import { ClientStore } from '../store/client-store';
import { kmeConfig, type KmeConfig, type KmeConfigInput } from './config';
import { DskeKeyPool } from './dske-pool';
import { buildQkd014Server } from './server';

export interface ServiceFiles {
  readonly dir: string;
  readonly config: string;
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
  readonly host?: string;
  /** 0: any free port. */
  readonly port?: number;
}

export interface RunningService {
  readonly app: FastifyInstance;
  readonly config: KmeConfig;
  readonly url: string;
  close(): Promise<void>;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new ClientFailure('io', `The ${what} ${path} could not be read (${ioReason(e)}).`);
  }
}

export function readKmeConfig(path: string): KmeConfig {
  let o: unknown;
  try {
    o = JSON.parse(readText(path, 'QKD 014 configuration'));
  } catch (e) {
    if (e instanceof ClientFailure) throw e;
    throw new ClientFailure('bad-request', `The QKD 014 configuration ${path} is not JSON.`);
  }
  if (typeof o !== 'object' || o === null || !Array.isArray((o as KmeConfigInput).saes) || !Array.isArray((o as KmeConfigInput).peers) || !Array.isArray((o as KmeConfigInput).hubs)) {
    throw new ClientFailure('bad-request', `The QKD 014 configuration ${path} needs kmeId, saes, peers, hubs and k.`);
  }
  return kmeConfig(o as KmeConfigInput);
}

export async function startQkd014Service(f: ServiceFiles): Promise<RunningService> {
  const config = readKmeConfig(f.config);
  const tls = { cert: readText(f.cert, 'server certificate'), key: readText(f.key, 'server key'), ca: readText(f.ca, 'CA certificate') };
  const store = ClientStore.open(f.dir);
  let app: FastifyInstance;
  try {
    app = await buildQkd014Server({ config, pool: new DskeKeyPool(store, config), tls });
    await app.listen({ host: f.host ?? '127.0.0.1', port: f.port ?? 8443 });
  } catch (e) {
    store.close();
    throw e;
  }
  const a = app.server.address() as { address: string; port: number };
  const host = a.address.includes(':') ? `[${a.address}]` : a.address;
  return {
    app, config, url: `https://${host}:${a.port}`,
    async close() {
      await app.close();
      store.close();
    },
  };
}
