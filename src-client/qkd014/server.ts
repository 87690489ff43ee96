// ETSI GS QKD 014 V1.1.1 at a client, for its SAEs (issue S10, part 3): HTTPS with mutual TLS; the caller
// is the SAE named by the CN of its verified client certificate.
//   GET       /api/v1/keys/{slave_SAE_ID}/status     the caller is the master SAE
//   POST|GET  /api/v1/keys/{slave_SAE_ID}/enc_keys   the caller is the master SAE
//   POST|GET  /api/v1/keys/{master_SAE_ID}/dec_keys  the caller is the slave SAE
// Errors are {message, details} with 400 (bad request), 401 (not an SAE of this KME, or not the SAE the
// keys belong to) and 503 (no key available).
import type { TLSSocket } from 'node:tls';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ClientFailure } from '../errors';
import { peerOf, type KmeConfig } from './config';
import { KeyPoolError, UUID, type KeyPool, type PoolKey } from './key-pool';

export interface Qkd014Tls {
  /** PEM: this KME's server certificate and key, and the CA the SAEs' certificates are checked against. */
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  readonly ca: string | Buffer;
}

export interface Qkd014Options {
  readonly config: KmeConfig;
  readonly pool: KeyPool;
  readonly tls: Qkd014Tls;
}

type Fail = { status: 400 | 401 | 503; message: string; details: Record<string, unknown>[] };
const fail = (status: Fail['status'], message: string, ...details: Record<string, unknown>[]): never => {
  throw new KeyPoolError(status, message, details);
};

/** The SAE ID of the caller: the CN of its verified certificate, which must be an SAE of this KME. */
function callerOf(req: FastifyRequest, config: KmeConfig): string {
  const sock = req.raw.socket as TLSSocket;
  const cert = sock.authorized ? sock.getPeerCertificate() : undefined;
  const cn = cert?.subject?.CN;
  const id = Array.isArray(cn) ? undefined : cn;
  if (!id) return fail(401, 'The client certificate names no SAE (no CN).');
  if (!config.saes.includes(id)) return fail(401, `SAE ${id} is not registered with KME ${config.kmeId}.`, { SAE_ID: id });
  return id;
}

const wholeParam = (v: unknown, name: string): number | undefined => {
  if (v === undefined) return undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'string' && /^[0-9]{1,9}$/.test(v)) return Number(v);
  return fail(400, `${name} must be a whole number.`, { [name]: v });
};

const keysBody = (keys: readonly PoolKey[]): { keys: { key_ID: string; key: string }[] } => ({
  keys: keys.map((k) => {
    const key = Buffer.from(k.key).toString('base64');
    k.key.fill(0);
    return { key_ID: k.keyId, key };
  }),
});

export async function buildQkd014Server(o: Qkd014Options): Promise<FastifyInstance> {
  const { config, pool } = o;
  const app = Fastify({
    https: { cert: o.tls.cert, key: o.tls.key, ca: o.tls.ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' },
    bodyLimit: 1 << 20,
  });

  app.setErrorHandler((err: unknown, _req, reply: FastifyReply) => {
    if (err instanceof KeyPoolError) return reply.code(err.status).send({ message: err.message, details: err.details });
    const e = err as { statusCode?: number; message?: string; code?: string };
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.code(400).send({ message: 'The request is malformed.', details: [{ reason: e.message ?? 'unreadable', ...(e.code ? { code: e.code } : {}) }] });
    }
    // The client's failures are plain sentences without secrets (src-client/errors.ts).
    if (err instanceof ClientFailure) return reply.code(503).send({ message: `The KME cannot deliver keys now: ${err.message}`, details: [{ code: err.code }] });
    app.log.error(err);
    return reply.code(503).send({ message: 'The KME cannot deliver keys now.', details: [{ reason: 'internal error' }] });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ message: `No such QKD 014 resource: ${req.method} ${req.url.split('?')[0]}.`, details: [] }));

  /** The slave SAE named in an enc_keys or status path: an SAE of a peer KME. */
  const slaveOf = (slave: string): void => {
    if (!peerOf(config, slave)) fail(400, `SAE ${slave} is not an SAE this KME shares keys with.`, { slave_SAE_ID: slave });
  };

  const checkSize = (size: number): void => {
    if (size % 8 !== 0 || size < config.minKeySize || size > config.maxKeySize) fail(400, `size must be a multiple of 8 between ${config.minKeySize} and ${config.maxKeySize} bits; it is ${size}.`, { size });
  };

  app.get<{ Params: { sae: string } }>('/api/v1/keys/:sae/status', async (req) => {
    const master = callerOf(req, config);
    const slave = req.params.sae;
    slaveOf(slave);
    const stored = Math.max(0, Math.min(config.maxKeyCount, pool.stored(master, slave, config.keySize)));
    return {
      source_KME_ID: config.kmeId,
      target_KME_ID: peerOf(config, slave)!.kmeId,
      master_SAE_ID: master,
      slave_SAE_ID: slave,
      key_size: config.keySize,
      stored_key_count: stored,
      max_key_count: config.maxKeyCount,
      max_key_per_request: config.maxKeyPerRequest,
      max_key_size: config.maxKeySize,
      min_key_size: config.minKeySize,
      max_SAE_ID_count: 0,
    };
  });

  const encKeys = async (master: string, slave: string, number: number, size: number): Promise<ReturnType<typeof keysBody>> => {
    slaveOf(slave);
    if (number < 1 || number > config.maxKeyPerRequest) fail(400, `number must be between 1 and max_key_per_request (${config.maxKeyPerRequest}); it is ${number}.`, { number });
    checkSize(size);
    return keysBody(await pool.take(master, slave, number, size));
  };

  app.post<{ Params: { sae: string }; Body: unknown }>('/api/v1/keys/:sae/enc_keys', async (req) => {
    const master = callerOf(req, config);
    const b = req.body;
    if (typeof b !== 'object' || b === null || Array.isArray(b)) return fail(400, 'The body must be a JSON object.');
    const body = b as Record<string, unknown>;
    const extra = body.additional_slave_SAE_IDs;
    if (extra !== undefined && (!Array.isArray(extra) || extra.length > 0)) fail(400, 'additional_slave_SAE_IDs is not supported (max_SAE_ID_count is 0).', { additional_slave_SAE_IDs: extra });
    const mandatory = body.extension_mandatory;
    if (mandatory !== undefined && (!Array.isArray(mandatory) || mandatory.length > 0)) fail(400, 'Not all extension_mandatory parameters are supported.', ...(Array.isArray(mandatory) ? mandatory.map((m) => ({ extension_unsupported: m as unknown })) : [{ extension_mandatory: mandatory }]));
    if (body.extension_optional !== undefined && !Array.isArray(body.extension_optional)) fail(400, 'extension_optional must be an array.');
    return encKeys(master, req.params.sae, wholeParam(body.number, 'number') ?? 1, wholeParam(body.size, 'size') ?? config.keySize);
  });

  app.get<{ Params: { sae: string }; Querystring: Record<string, unknown> }>('/api/v1/keys/:sae/enc_keys', async (req) => {
    const master = callerOf(req, config);
    return encKeys(master, req.params.sae, wholeParam(req.query.number, 'number') ?? 1, wholeParam(req.query.size, 'size') ?? config.keySize);
  });

  const decKeys = async (slave: string, master: string, ids: readonly unknown[]): Promise<ReturnType<typeof keysBody>> => {
    if (!peerOf(config, master)) fail(400, `SAE ${master} is not an SAE this KME shares keys with.`, { master_SAE_ID: master });
    if (ids.length < 1 || ids.length > config.maxKeyPerRequest) fail(400, `Between 1 and max_key_per_request (${config.maxKeyPerRequest}) key_IDs are asked for at once; ${ids.length} were.`);
    const bad = ids.filter((id) => typeof id !== 'string' || !UUID.test(id));
    if (bad.length > 0) fail(400, 'Every key_ID is a UUID in lower case.', ...bad.map((key_ID) => ({ key_ID })));
    if (new Set(ids).size !== ids.length) fail(400, 'A key_ID is named twice.');
    return keysBody(await pool.get(master, slave, ids as string[]));
  };

  app.post<{ Params: { sae: string }; Body: unknown }>('/api/v1/keys/:sae/dec_keys', async (req) => {
    const slave = callerOf(req, config);
    const b = req.body as { key_IDs?: unknown } | null;
    if (typeof b !== 'object' || b === null || !Array.isArray(b.key_IDs)) return fail(400, 'The body must be {"key_IDs": [{"key_ID": …}, …]}.');
    const ids = (b.key_IDs as unknown[]).map((x) => (typeof x === 'object' && x !== null ? (x as { key_ID?: unknown }).key_ID : x));
    return decKeys(slave, req.params.sae, ids);
  });

  app.get<{ Params: { sae: string }; Querystring: Record<string, unknown> }>('/api/v1/keys/:sae/dec_keys', async (req) => {
    const slave = callerOf(req, config);
    const id = req.query.key_ID;
    if (typeof id !== 'string') return fail(400, 'The query names one key_ID (key_ID=…).');
    return decKeys(slave, req.params.sae, [id]);
  });

  return app;
}
