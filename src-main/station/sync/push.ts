// Online sync (issue S8, part 4): fetch the acknowledgements of shipments written and not yet
// acknowledged, then send the waiting range reports in batches, each with the ledger's checkpoint and
// its proof from what the server last witnessed, until the outbox is empty. Every batch is idempotent
// (the server applies each report once, whatever reaches it twice), so a lost answer is simply sent
// again; a 'stale-witness' refusal means the server witnessed more than this station knew, and the
// acknowledgement that says so lets the next batch prove from there.
import { StationFailure } from '../../../src-shared/api/result';
import type { PushResult } from '../../../src-shared/api/sync';
import type { Core } from '../core';
import type { Actor } from '../operators/accounts';
import { acceptAcknowledgement, openAck } from './acknowledgements';
import { BATCH_REPORTS, sealBatch, waitingReports } from './report-batches';
import { REQUEST_MAC_HEADER, signRequest } from '../../../src-shared/sync/request-mac';
import { DEFAULT_LINK, reasonOf, send, type LinkOptions } from './server-link';

export function serverOf(core: Core, given: string | undefined): string {
  const url = given ?? core.settings.serverUrl;
  if (!url) throw new StationFailure('bad-request', 'No Security Server address: give --server URL, or set sync.serverUrl in station.json. Without one, carry reports as files (sync export).');
  return url.replace(/\/+$/, '');
}

function registered(core: Core): { station: string; hub: string } {
  const reg = core.sync.state.registered;
  if (!reg) throw new StationFailure('not-registered', 'Register the station with its Security Server first (dske-station sync register).');
  return reg;
}

/** GET with the request MAC; the caller reads the answer. */
export async function signedGet(core: Core, server: string, path: string, link: LinkOptions, counter: { attempts: number }): Promise<{ status: number; body: Buffer }> {
  const reg = registered(core);
  const keys = core.registration.read(reg.station);
  let mac: string;
  try {
    mac = signRequest(keys.report, 'GET', path, core.now());
  } finally {
    for (const k of Object.values(keys)) k.fill(0);
  }
  return send(`${server}${path}`, { method: 'GET', headers: { [REQUEST_MAC_HEADER]: mac } }, link, counter);
}

export async function push(core: Core, given: string | undefined, actor: Actor, link: LinkOptions = DEFAULT_LINK): Promise<PushResult> {
  const reg = registered(core);
  const server = serverOf(core, given);
  const counter = { attempts: 0 };
  const shipmentsAcknowledged: string[] = [];
  for (const sh of Object.values(core.sync.state.shipments)) {
    if (!sh.written || sh.acknowledged) continue;
    const a = await signedGet(core, server, `/v1/stations/${reg.station}/shipments/${sh.shipment}/acknowledgement`, link, counter);
    if (a.status === 404) continue;
    if (a.status !== 200) throw new StationFailure('server-refused', `The Security Server refused the acknowledgement of shipment ${sh.shipment}: ${reasonOf(a)}`);
    const r = acceptAcknowledgement(core, openAck(core, a.body), 'online', actor);
    if (r.changed) shipmentsAcknowledged.push(sh.shipment);
  }
  let batches = 0;
  let reportsSent = 0;
  let staleRounds = 0;
  for (;;) {
    const reports = waitingReports(core, link.batchReports ?? BATCH_REPORTS);
    if (reports.length === 0) break;
    const keys = core.registration.read(reg.station);
    let sealed: Uint8Array;
    try {
      sealed = sealBatch(core, reports, keys.report);
    } finally {
      for (const k of Object.values(keys)) k.fill(0);
    }
    const answer = await send(`${server}/v1/reports`, { method: 'POST', body: sealed }, link, counter);
    if (answer.status !== 200) throw new StationFailure('server-refused', `The Security Server refused reports #${reports[0].seq}–#${reports[reports.length - 1].seq}: ${reasonOf(answer)}`);
    batches++;
    reportsSent += reports.length;
    const before = core.allocations.acknowledgedUpTo;
    const r = acceptAcknowledgement(core, openAck(core, answer.body), 'online', actor);
    if (r.refused) {
      // The server witnessed a later checkpoint than this station knew: prove from there (once or twice).
      if (r.refused.code === 'stale-witness' && staleRounds++ < 2) continue;
      throw new StationFailure('server-refused', `The Security Server refused report #${r.refused.seq}: ${r.refused.reason} (${r.refused.code}). It is in sync up to #${core.allocations.acknowledgedUpTo}.`);
    }
    if (core.allocations.acknowledgedUpTo <= before) throw new StationFailure('server-refused', `The Security Server acknowledged nothing new (still at #${before}); the reports wait.`);
  }
  return { server, batches, reportsSent, appliedUpTo: core.allocations.acknowledgedUpTo, attempts: counter.attempts, shipmentsAcknowledged, waiting: core.allocations.outbox.size };
}
