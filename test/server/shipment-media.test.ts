// Bulk shipments on the media the issue names (issue S8, part 3): an HSM token (SoftHSM2: 'data'
// objects the server reads back with the token's PIN) and a USB stick (a loop device under the
// drive-safety policy, fixed drives allowed by the test-only setting), each imported by the server and
// acknowledged, so that its segments become allocatable. A medium that refuses (an absent token, a
// wrong PIN) promises no segment to a shipment.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importShipment } from '../../src-server/shipments';
import { tokenSource } from '../../src-server/shipment-sources';
import { MediaLab, MiB, noLoopsReason, noSoftHsmReason, SOFTHSM_MODULE, softHsmTokens } from '../support/media';
import { refusal } from '../support/refusal';
import { registerWith, startTestServer, type TestServer } from '../support/server';
import { OP, openTestStation, tempDir, type TestStation } from '../support/station';

const PIN = '24680';
const lab = new MediaLab('dske-ship-media-');
let ts: TestStation;
let server: TestServer;
let work: string;
const hsmRoot = tempDir('dske-ship-hsm-');

beforeAll(async () => {
  if (!noSoftHsmReason) softHsmTokens(hsmRoot, ['ShipToken'], PIN);
  work = tempDir('dske-ship-media-work-');
  const dataDir = tempDir('dske-ship-media-station-');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'station.json'), JSON.stringify({ delivery: { allowFixedDrives: true, pkcs11Module: SOFTHSM_MODULE } }));
  ts = openTestStation({ dataDir, policy: { segmentBytes: MiB, chunkBytes: 64 * 1024, lowWaterBytes: 0 } });
  await ts.station.handlers.pool.generate({ bytes: 6 * MiB, sources: ['os'] }, OP);
  server = await startTestServer();
  await registerWith(ts.station, server, work);
});
afterAll(async () => {
  try {
    lab.cleanup();
  } finally {
    await server?.close();
    await ts?.cleanup();
    rmSync(hsmRoot, { recursive: true, force: true });
  }
});

const h = (): TestStation['station']['handlers'] => ts.station.handlers;

async function acknowledge(ack: Uint8Array): Promise<void> {
  const file = join(work, `ack-${Math.random().toString(16).slice(2)}.dskeack`);
  writeFileSync(file, ack);
  await h().sync.import({ file }, OP);
}

describe.skipIf(noSoftHsmReason !== undefined)(`to an HSM token${noSoftHsmReason ? ` — skipped: ${noSoftHsmReason}` : ''}`, () => {
  it('a refused token promises nothing; the right one carries the shipment, the server reads it back and acknowledges', async () => {
    const free = (): number => [...ts.station.core.pool.state.segments.keys()].filter((s) => !ts.station.core.sync.inShipment.has(s)).length;
    const before = free();
    expect((await refusal(h().sync.ship({ to: 'hsm:NoSuchToken', token: { pin: PIN }, bytes: 2 * MiB }, OP))).code).toBe('medium-unplugged');
    expect((await refusal(h().sync.ship({ to: 'hsm:ShipToken', token: { pin: '00000' }, bytes: 2 * MiB }, OP))).message).toMatch(/refused the PIN/);
    expect(free()).toBe(before);

    const r = await h().sync.ship({ to: 'hsm:ShipToken', token: { pin: PIN }, bytes: 2 * MiB }, OP);
    expect(r).toMatchObject({ segments: 2, bytes: 2 * MiB, path: 'hsm:ShipToken', resumed: false });
    expect(free()).toBe(before - 2);
    // The server with the wrong PIN: refused, nothing imported.
    await expect(importShipment(server.core, tokenSource({ token: 'ShipToken', pin: '00000', shipment: r.shipment, module: SOFTHSM_MODULE }))).rejects.toMatchObject({ code: 'io', message: expect.stringMatching(/refused the PIN/) });
    const imported = await importShipment(server.core, tokenSource({ token: 'ShipToken', pin: PIN, shipment: r.shipment, module: SOFTHSM_MODULE }));
    expect(imported).toMatchObject({ added: true, shipment: r.shipment, segments: 2, bytes: 2 * MiB });
    await acknowledge(imported.ack);
    expect((await h().sync.status({}, OP)).shippedBytes).toBe(2 * MiB);
  });
});

describe.skipIf(noLoopsReason !== undefined)(`to a USB stick${noLoopsReason ? ` — skipped: ${noLoopsReason}` : ''}`, () => {
  it('written under the drive-safety policy, read back, imported from the mounted volume, acknowledged', async () => {
    const v = lab.makeVolume('ext4', 24);
    const r = await h().sync.ship({ to: `usb:${v.dev}`, bytes: 2 * MiB }, OP);
    expect(r).toMatchObject({ segments: 2, bytes: 2 * MiB, path: `usb:${v.dev}` });
    // The station leaves the stick mounted where it found it (the operator unmounts it to carry it).
    const file = join(v.mnt, `dske-${r.shipment}.pkg`);
    expect(readFileSync(file).subarray(0, 8).toString()).toBe('DSKESHP1');
    const imported = await importShipment(server.core, file);
    expect(imported).toMatchObject({ added: true, bytes: 2 * MiB });
    lab.unmount(v);
    lab.fsck(v);
    await acknowledge(imported.ack);
    expect((await h().sync.status({}, OP)).shipments.filter((s) => s.state === 'acknowledged').length).toBeGreaterThanOrEqual(1);
  });
});
