// The process the delivery crash test kills (test/delivery/crash.test.ts): opens the station (which
// recovers what the last kill left), then delivers packages of random sizes to files, and now and then
// enrols a client (application, identity check, registration, keys handed over), until it is killed. Prints "ready" once the station is open.
import { join } from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { openStation } from '../../src-main/station/station';
import type { Ctx } from '../../src-main/station/core';
import { enrolClient } from '../support/enrol';

const [dataDir, outDir] = process.argv.slice(2);
const ctx: Ctx = { host: 'crash-test', session: {}, signal: new AbortController().signal, operator: { name: 'Crash Operator', roles: ['operator', 'desk'] } };

async function main(): Promise<void> {
  const station = openStation({ dataDir, host: 'test' });
  process.stdout.write('ready\n');
  const h = station.handlers;
  for (;;) {
    // Clients whose enrolment reached the hand-over of their keys (a kill may have cut one short).
    const ready = (): string[] => [...station.core.enrolment.byId.values()].filter((a) => a.keysHandedOver && a.client).map((a) => a.client!);
    if (ready().length === 0 || randomInt(5) === 0) await enrolClient(station, ctx, { keysDir: join(outDir, 'keys') });
    const list = ready();
    const client = list[randomInt(list.length)];
    const bytes = 1 + randomInt(400_000);
    if (station.pool.status().unallocatedBytes < bytes + 1000) break;
    await h.delivery.deliver({ client, bytes, to: `file:${join(outDir, `${randomBytes(6).toString('hex')}.pkg`)}` }, ctx);
  }
  await station.close();
  process.stdout.write('pool exhausted\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exit(3);
});
