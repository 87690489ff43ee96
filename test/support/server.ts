// A real Security Server for tests (src-server on SQLite in a temporary directory, or on a PostgreSQL
// database), and the one way a test station gets allocatable pool: register with that server, ship the
// pool, import the shipment there, and import the server's acknowledgement here — the path a hub takes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src-server/config';
import { initServer, openServer, type ServerCore } from '../../src-server/core';
import { buildApp } from '../../src-server/http/app';
import { registerStation } from '../../src-server/registration';
import { importShipment } from '../../src-server/shipments';
import type { Station } from '../../src-main/station/station';
import { writeFileSync } from 'node:fs';
import { OP } from './station';
import type { Ctx } from '../../src-main/station/core';

export interface TestServer {
  readonly core: ServerCore;
  readonly dataDir: string;
  /** http://127.0.0.1:PORT once listen() was called. */
  url: string;
  listen(): Promise<string>;
  close(): Promise<void>;
}

export async function startTestServer(opts: { hub?: string; databaseUrl?: string; dataDir?: string } = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'dske-server-'));
  const config = loadConfig({}, { dataDir, hub: opts.hub ?? 'hub', port: 0, ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}) });
  await initServer(config);
  const core = await openServer(config);
  let app: ReturnType<typeof buildApp> | undefined;
  const server: TestServer = {
    core,
    dataDir,
    url: '',
    async listen() {
      app = buildApp(core);
      server.url = await app.listen({ host: '127.0.0.1', port: 0 });
      return server.url;
    },
    async close() {
      await app?.close();
      await core.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

/** Registers the station with the server (the file carried over, the code typed there). */
export async function registerWith(station: Station, server: TestServer, work: string, ctx: Ctx = OP): Promise<string> {
  const file = join(work, `registration-${Date.now()}-${Math.random().toString(16).slice(2)}.dskereg`);
  const r = await station.handlers.sync.register({ out: file }, ctx);
  await registerStation(server.core, readFileSync(file), r.confirmationCode);
  rmSync(file, { force: true });
  return r.station;
}

/** Ships the unshipped pool (or `bytes` of it) and imports the server's acknowledgement: those segments become allocatable. */
export async function shipTo(station: Station, server: TestServer, work: string, opts: { bytes?: number; ctx?: Ctx } = {}): Promise<{ shipment: string; bytes: number }> {
  const ctx = opts.ctx ?? OP;
  const tag = `${Date.now()}-${Math.random().toString(16).slice(2)}`;
  const out = join(work, `shipment-${tag}.dskeshp`);
  const r = await station.handlers.sync.ship({ out, ...(opts.bytes ? { bytes: opts.bytes } : {}) }, ctx);
  const imported = await importShipment(server.core, out);
  const ackFile = join(work, `shipment-${tag}.dskeack`);
  writeFileSync(ackFile, imported.ack);
  await station.handlers.sync.import({ file: ackFile }, ctx);
  rmSync(out, { force: true });
  rmSync(ackFile, { force: true });
  return { shipment: r.shipment, bytes: r.bytes };
}

/**
 * For tests about something else: a throwaway server receives this station's registration and the whole
 * pool, so that every segment generated so far may be allocated; the server is closed again.
 */
export async function shipWholePool(station: Station, ctx: Ctx = OP): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'dske-ship-'));
  const server = await startTestServer({ hub: station.core.settings.hubId });
  try {
    await registerWith(station, server, work, ctx);
    await shipTo(station, server, work, { ctx });
  } finally {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  }
}
