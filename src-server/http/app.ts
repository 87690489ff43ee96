// The Security Server's HTTP service (issue S8): fastify, a schema on every route, binary bodies for the
// sealed formats. Report batches and acknowledgements authenticate themselves (src-shared/sync); reads of
// a station's state need a request MAC under its report key (request-mac.ts).
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { STATION_ID } from '../../src-shared/sync/registration-file';
import { SHIPMENT_ID } from '../../src-shared/sync/shipment';
import type { ServerCore } from '../core';
import { ServerFailure } from '../errors';
import { heldShipment, reportsAck, stationState } from '../holdings';
import { applyReportBatch } from '../reports';
import { shipmentAck } from '../shipments';
import { stationKeys, wipeKeys } from '../station-keys';
import { checkRequest, REQUEST_MAC_HEADER } from './request-mac';
import { handleKeyRequest } from '../dske/key-requests';
import { fetchInstructions } from '../dske/instruction-fetch';

/** A batch of 1,000 reports with many ranges each stays well below this. */
const MAX_BATCH_BYTES = 64 << 20;
const OCTETS = 'application/octet-stream';

const stationParams = { type: 'object', required: ['station'], additionalProperties: false, properties: { station: { type: 'string', pattern: STATION_ID.source } } } as const;
const shipmentParams = { type: 'object', required: ['station', 'shipment'], additionalProperties: false, properties: { station: { type: 'string', pattern: STATION_ID.source }, shipment: { type: 'string', pattern: SHIPMENT_ID.source } } } as const;
const errorBody = { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } } as const;

function fail(reply: FastifyReply, e: unknown): FastifyReply {
  if (e instanceof ServerFailure) return reply.code(e.status).type('application/json').send({ code: e.code, message: e.message });
  throw e;
}

export function buildApp(core: ServerCore, opts: { logger?: boolean } = {}): FastifyInstance {
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: MAX_BATCH_BYTES });
  app.addContentTypeParser(OCTETS, { parseAs: 'buffer', bodyLimit: MAX_BATCH_BYTES }, (_req, body, done) => done(null, body));

  /** The station's report key proves the request; any other caller learns nothing. */
  async function authorised(station: string, method: string, path: string, header: string | undefined): Promise<boolean> {
    const keys = await stationKeys(core, station);
    try {
      return checkRequest(keys.report, method, path, header, core.now());
    } finally {
      wipeKeys(keys);
    }
  }

  app.get('/v1/health', { schema: { response: { 200: { type: 'object', properties: { ok: { type: 'boolean' }, hub: { type: 'string' } } } } } }, async () => ({ ok: true, hub: core.config.hub }));

  app.post('/v1/reports', { schema: { headers: { type: 'object', required: ['content-type'], properties: { 'content-type': { const: OCTETS } } }, response: { '4xx': errorBody } } }, async (req, reply) => {
    try {
      const out = await applyReportBatch(core, req.body as Buffer);
      return reply.code(200).type(OCTETS).header('x-dske-applied-up-to', String(out.appliedUpTo)).send(Buffer.from(out.ack));
    } catch (e) {
      return fail(reply, e);
    }
  });

  // The hub's key-instruction API (issue S10, §11.4): envelopes under the client's transport key both ways.
  const octets = { headers: { type: 'object', required: ['content-type'], properties: { 'content-type': { const: OCTETS } } }, response: { '4xx': errorBody } } as const;
  app.post('/v1/dske/requests', { schema: octets }, async (req, reply) => {
    try {
      const out = await handleKeyRequest(core, req.body as Buffer);
      return reply.code(200).send({ accepted: true, instructions: out.instructions });
    } catch (e) {
      return fail(reply, e);
    }
  });
  app.post('/v1/dske/instructions', { schema: octets }, async (req, reply) => {
    try {
      return reply.code(200).type(OCTETS).send(Buffer.from(await fetchInstructions(core, req.body as Buffer)));
    } catch (e) {
      return fail(reply, e);
    }
  });

  const read = (path: string, params: typeof stationParams | typeof shipmentParams, produce: (p: Record<string, string>) => Promise<Uint8Array | null>): void => {
    app.get(path, { schema: { params, response: { '4xx': errorBody } } }, async (req, reply) => {
      const p = req.params as Record<string, string>;
      try {
        if (!(await authorised(p.station, 'GET', req.url, req.headers[REQUEST_MAC_HEADER] as string | undefined))) {
          return reply.code(401).send({ code: 'unauthorised', message: 'This request does not carry a valid request MAC under the station\'s report key (or the clocks differ by more than five minutes).' });
        }
        const body = await produce(p);
        if (!body) return reply.code(404).send({ code: 'unknown-shipment', message: 'This shipment is not held here (not imported, or its import has not finished).' });
        return reply.code(200).type(OCTETS).send(Buffer.from(body));
      } catch (e) {
        return fail(reply, e);
      }
    });
  };
  read('/v1/stations/:station/acknowledgement', stationParams, (p) => reportsAck(core, p.station));
  read('/v1/stations/:station/state', stationParams, (p) => stationState(core, p.station));
  read('/v1/stations/:station/shipments/:shipment/acknowledgement', shipmentParams, async (p) => {
    const held = await heldShipment(core, p.station, p.shipment);
    if (!held) return null;
    const keys = await stationKeys(core, p.station);
    try {
      return shipmentAck(core, { station: p.station, shipment: p.shipment, ...held }, keys.ack);
    } finally {
      wipeKeys(keys);
    }
  });
  return app;
}
