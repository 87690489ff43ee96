// Real packages for the client's tests (issue S10, part 2): a real station of a named hub, its pool
// shipped to a throwaway Security Server, clients enrolled through the desk's steps (their initial keys
// files exported on their own channel), and packages delivered by delivery.deliver to file:, qr: and
// hsm: targets, exactly as a client receives them.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeliveryResult } from '../../../src-shared/api/delivery';
import { openPackage } from '../../../src-shared/psrd/package-reader';
import { nobleCipher } from '../../../src-shared/psrd/package-cipher';
import { OP, openTestStation, tempDir, type TestStation } from '../../support/station';
import { enrolClient, keysIn } from '../../support/enrol';
import { shipWholePool } from '../../support/server';
import { SOFTHSM_MODULE } from '../../support/media';
import type { ClientStore } from '../../../src-client/store/client-store';

export interface TestHub {
  readonly hub: string;
  readonly ts: TestStation;
  readonly out: string;
  /** Enrols a client; returns its ID and its initial keys file. */
  enrol(name?: string): Promise<{ client: string; keysFile: string }>;
  /** Delivers `bytes` of PSRD to `to` (file:, qr:, hsm:). */
  deliver(client: string, bytes: number, to: string, token?: { pin: string; profile?: 'data' | 'secret' }): Promise<DeliveryResult>;
  /** Delivers to a new file in `out`; returns the file and the result. */
  deliverFile(client: string, bytes: number): Promise<{ file: string; r: DeliveryResult }>;
  cleanup(): Promise<void>;
}

let serial = 0;

export async function openTestHub(hub: string, poolBytes = 2 << 20): Promise<TestHub> {
  const dataDir = tempDir(`dske-client-${hub}-`);
  writeFileSync(join(dataDir, 'station.json'), JSON.stringify({ hub: { id: hub }, delivery: { pkcs11Module: SOFTHSM_MODULE, twoPersonAboveBytes: 2 ** 40 } }));
  const ts = openTestStation({ dataDir });
  const out = tempDir(`dske-client-${hub}-out-`);
  const h = ts.station.handlers;
  await h.pool.generate({ bytes: poolBytes, sources: ['os'] }, OP);
  await shipWholePool(ts.station);
  const self: TestHub = {
    hub,
    ts,
    out,
    async enrol(name = 'Test Person') {
      const e = await enrolClient(ts.station, OP, { name, keysDir: join(out, 'keys') });
      return { client: e.client, keysFile: e.keysFile };
    },
    async deliver(client, bytes, to, token) {
      return h.delivery.deliver({ client, bytes, to, ...(token ? { token } : {}) }, OP);
    },
    async deliverFile(client, bytes) {
      mkdirSync(join(out, 'pkg'), { recursive: true });
      const file = join(out, 'pkg', `p${serial++}.pkg`);
      return { file, r: await self.deliver(client, bytes, `file:${file}`) };
    },
    async cleanup() {
      await ts.cleanup();
      rmSync(out, { recursive: true, force: true });
    },
  };
  return self;
}

/** The PSRD in a package, opened independently with the keys in the client's initial keys file. */
export function psrdOf(pkg: Uint8Array, keysFile: string): Uint8Array {
  return openPackage(pkg, keysIn(readFileSync(keysFile)), nobleCipher).psrd;
}

/**
 * Every byte of one package a store holds, read back through both takes: its first half with
 * takeForRequest (which must find it at the package's tableOffset), its second with takeAt.
 */
export function takeWholePackage(store: ClientStore, hub: string, p: { tableOffset: number; bytes: number }): Buffer {
  const first = Math.floor(p.bytes / 2);
  const mine = store.takeForRequest(hub, first);
  if (mine.index !== p.tableOffset) throw new Error(`the client's half was found at ${mine.index}, not at ${p.tableOffset}`);
  return Buffer.concat([Buffer.from(mine.bytes), Buffer.from(store.takeAt(hub, p.tableOffset + first, p.bytes - first))]);
}
