// A live hub for the client's key-establishment tests (issue S10): a real station of a named hub and a
// real Security Server for that hub listening on loopback HTTP, the station registered with it and its
// pool shipped there (the path a hub takes); clients enrolled through the desk's steps, packages
// delivered to files, and the station's reports pushed to the server, which then holds each client's
// initial keys and PSRD table.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { ClientStore } from '../../../src-client/store/client-store';
import { join } from 'node:path';
import { enrolClient } from '../../support/enrol';
import { registerWith, shipTo, startTestServer, type TestServer } from '../../support/server';
import { OP, openTestStation, tempDir, type TestStation } from '../../support/station';
import { SOFTHSM_MODULE } from '../../support/media';

export interface LiveHub {
  readonly hub: string;
  readonly ts: TestStation;
  readonly server: TestServer;
  enrol(name: string): Promise<{ client: string; keysFile: string }>;
  /** Delivers `bytes` of PSRD to a new package file; returns its path. */
  deliverFile(client: string, bytes: number): Promise<string>;
  /** Delivers to any medium the station writes (usb:/dev/…, qr:/path.pdf, file:/path). */
  deliver(client: string, bytes: number, to: string): Promise<{ package: string }>;
  /** Pushes the station's reports to the server (deliveries, initial keys). */
  push(): Promise<void>;
  cleanup(): Promise<void>;
}

let serial = 0;

export async function openLiveHub(hub: string, poolBytes = 1 << 20, delivery: Record<string, unknown> = {}): Promise<LiveHub> {
  const dataDir = tempDir(`dske-live-${hub}-`);
  writeFileSync(join(dataDir, 'station.json'), JSON.stringify({ hub: { id: hub }, delivery: { pkcs11Module: SOFTHSM_MODULE, twoPersonAboveBytes: 2 ** 40, ...delivery } }));
  const ts = openTestStation({ dataDir });
  const work = tempDir(`dske-live-${hub}-work-`);
  await ts.station.handlers.pool.generate({ bytes: poolBytes, sources: ['os'] }, OP);
  const server = await startTestServer({ hub });
  await server.listen();
  await registerWith(ts.station, server, work);
  await shipTo(ts.station, server, work);
  return {
    hub,
    ts,
    server,
    async enrol(name) {
      const e = await enrolClient(ts.station, OP, { name, keysDir: join(work, 'keys') });
      return { client: e.client, keysFile: e.keysFile };
    },
    async deliverFile(client, bytes) {
      mkdirSync(join(work, 'pkg'), { recursive: true });
      const file = join(work, 'pkg', `p${serial++}.pkg`);
      await ts.station.handlers.delivery.deliver({ client, bytes, to: `file:${file}` }, OP);
      return file;
    },
    async deliver(client, bytes, to) {
      const r = await ts.station.handlers.delivery.deliver({ client, bytes, to }, OP);
      return { package: r.package };
    },
    async push() {
      await ts.station.handlers.sync.push({ server: server.url }, OP);
    },
    async cleanup() {
      await server.close();
      await ts.cleanup();
    },
  };
}

/** A client's store and its ID at each hub, as enrolAtEvery fills it. */
export interface EnrolledClient {
  readonly name: string;
  readonly store: ClientStore;
  readonly ids: Record<string, string>;
}

/**
 * Enrols each client at every hub, delivers it a package of `bytes` to a file, and imports its initial
 * keys and the package into its store (with the hub's address); then pushes each station's reports.
 */
export async function enrolAtEvery(live: readonly LiveHub[], clients: readonly EnrolledClient[], bytes: number): Promise<void> {
  for (const l of live) {
    for (const c of clients) {
      const e = await l.enrol(c.name);
      const file = await l.deliverFile(e.client, bytes);
      c.store.registerKeys(readFileSync(e.keysFile));
      c.store.importPackage(readFileSync(file));
      c.store.setHubUrl(l.hub, l.server.url);
      c.ids[l.hub] = e.client;
    }
    await l.push();
  }
}
