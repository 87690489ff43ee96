// The `sync` namespace: what waits for the Security Server (the outbox of range reports), the station's
// registration with it (keys made here, carried on a medium, confirmed by a short code), and the export
// of waiting reports to a file for an air-gapped server (issue S8, parts 2 and 4: station side).
import { createHash, randomBytes } from 'node:crypto';
import { abortSignalOf, DEFAULT_LINK } from './server-link';
import type { Handlers } from '../../../src-shared/api/dispatch';
import { StationFailure } from '../../../src-shared/api/result';
import type { OutboxReport, RegistrationView, syncCalls } from '../../../src-shared/api/sync';
import { confirmationCode, encodeRegistration, reportKeyCheck as keysCheck, type Registration } from '../../../src-shared/sync/registration-file';
import { writeNewFile } from '../../../src-node/new-file';
import { actorOf, type Core } from '../core';
import { readFileSync, rmSync } from 'node:fs';
import { formatBytes } from '../../../src-shared/psrd/size';
import { ioReason } from '../../../src-node/io-reason';
import { acceptAcknowledgement, openAck } from './acknowledgements';
import { push } from './push';
import { sealBatch, waitingReports } from './report-batches';
import { writeShipment } from './shipment-writer';
import { reconcileWithServer } from './sync-reconcile';
import type { ShipmentView } from '../../../src-shared/api/sync';
import type { Operator } from '../operators/gate';
import { checkOutPath } from '../paths';

const LISTED = 100;

/** The station's identity towards its server: the chain hash of its ledger's first entry (as in checkpoints). */
const stationId = (core: Core): string => core.ledger.checkpoint(core.now).station;


export function syncHandlers(core: Core): Handlers<{ sync: typeof syncCalls }, Operator>['sync'] {
  const store = core.registration;
  /** The registration as recorded; its code only where the keys can be read (read-only station, or keys lost: empty). */
  const registration = (): RegistrationView | null => {
    const r = core.sync.state.registered;
    if (!r) return null;
    if (!core.pool.canRead) return { station: r.station, hub: r.hub, createdAt: r.createdAt, confirmationCode: '' };
    let keys: ReturnType<typeof store.read>;
    try {
      keys = store.read(r.station);
    } catch {
      return { station: r.station, hub: r.hub, createdAt: r.createdAt, confirmationCode: '' };
    }
    try {
      return { station: r.station, hub: r.hub, createdAt: r.createdAt, confirmationCode: confirmationCode({ format: 1, hub: r.hub, station: r.station, createdAt: r.createdAt, keys }) };
    } finally {
      for (const k of Object.values(keys)) k.fill(0);
    }
  };
  return {
    status: async () => {
      const { allocations } = core;
      let bytesWaiting = 0;
      const waiting: OutboxReport[] = [];
      for (const r of allocations.outbox.values()) {
        const a = r.allocation ? allocations.byId.get(r.allocation) : undefined;
        const bytes = a && r.kind !== 'package-lost' ? a.bytes : 0;
        bytesWaiting += bytes;
        if (waiting.length < LISTED) waiting.push({ seq: r.seq, kind: r.kind, client: r.client, package: a?.package ?? null, bytes, ranges: a?.ranges.length ?? 0, queuedAt: r.time });
      }
      const reg = registration();
      const s = core.sync.state;
      const shipments: ShipmentView[] = Object.values(s.shipments).map((sh) => ({
        shipment: sh.shipment, segments: sh.segments.length, bytes: sh.bytes, path: sh.path,
        state: sh.abandoned ? 'abandoned' : sh.acknowledged ? 'acknowledged' : sh.written ? 'written' : 'writing', time: sh.acknowledged?.time ?? sh.written?.time ?? sh.startedAt,
      }));
      let shippedBytes = 0;
      let unshippedBytes = 0;
      for (const seg of core.pool.state.segments.values()) {
        if (seg.state !== 'unallocated') continue;
        const live = seg.bytes - seg.erased.reduce((a, r) => a + r.length, 0);
        if (core.sync.acknowledged.has(seg.id)) shippedBytes += live;
        else unshippedBytes += live;
      }
      return {
        registration: reg, serverUrl: core.settings.serverUrl ?? null, shipments, shippedBytes, unshippedBytes,
        witnessedTreeSize: s.witnessed?.treeSize ?? null, lastAcknowledgement: s.lastAcknowledgement ?? null, lastRefusal: s.lastRefusal ?? null, lastRejected: s.lastRejected ?? null,
        lastExport: s.lastExport ?? null, reportsWaiting: allocations.outbox.size, bytesWaiting, waiting, acknowledgedUpTo: allocations.acknowledgedUpTo,
      };
    },
    register: async (args, ctx) => {
      // The ledger says whether the station is registered; a key file it does not record (a registration
      // cut short, or whose file could not be written) is replaced.
      if (core.sync.state.registered) throw new StationFailure('already-registered', 'This station is registered already; its keys are not replaced (key rotation comes with the Security Server).');
      const out = checkOutPath(core.config.dataDir, args.out, 'registration file');
      const station = stationId(core);
      const r: Registration = { format: 1, hub: core.settings.hubId, station, createdAt: core.now().toISOString(), keys: { shipment: randomBytes(32), report: randomBytes(32), ack: randomBytes(32) } };
      const file = encodeRegistration(r);
      try {
        // The keys are kept first: a registration file whose keys the station lost would be worthless.
        store.write(station, r.keys);
        // The file holds the shared keys: its owner alone may read it (umask cannot widen it).
        writeNewFile(out, file, 0o600);
        core.ledger.append('sync.registered', { station, hub: r.hub, createdAt: r.createdAt, keysCheck: keysCheck(r.keys.report), actor: actorOf(ctx) }, core.now);
        return { station, hub: r.hub, createdAt: r.createdAt, confirmationCode: confirmationCode(r), path: out };
      } finally {
        file.fill(0);
        for (const k of Object.values(r.keys)) k.fill(0);
      }
    },
    export: async (args, ctx) => {
      const out = checkOutPath(core.config.dataDir, args.out, 'reports file');
      const reg = core.sync.state.registered;
      if (!reg) throw new StationFailure('not-registered', 'Register the station with its Security Server first (dske-station sync register).');
      const reports = waitingReports(core);
      if (reports.length === 0) throw new StationFailure('bad-request', 'No range report waits for the Security Server; nothing was written.');
      const keys = store.read(reg.station);
      let sealed: Uint8Array;
      try {
        sealed = sealBatch(core, reports, keys.report);
      } finally {
        for (const k of Object.values(keys)) k.fill(0);
      }
      writeNewFile(out, sealed);
      const digest = createHash('sha256').update(sealed).digest('hex');
      const first = reports[0].seq;
      const last = reports[reports.length - 1].seq;
      core.ledger.append('sync.exported', { first, last, reports: reports.length, digest, path: out, actor: actorOf(ctx) }, core.now);
      return { path: out, first, last, reports: reports.length };
    },
    ship: async (args, ctx) => {
      const actor = actorOf(ctx);
      const total = args.bytes ?? core.pool.state.segments.size;
      return core.jobs.run(
        { kind: 'shipment', title: `Shipping ${args.bytes ? formatBytes(args.bytes) : 'the pool'} to the Security Server`, resources: ['pool:segments', `medium:${args.out ?? args.to ?? ''}`], total, unit: 'bytes', actor, signal: ctx.signal },
        async (job) => ({ job: job.id, ...(await writeShipment(core, { ...(args.out ? { out: args.out } : {}), ...(args.to ? { to: args.to } : {}), ...(args.token ? { pin: args.token.pin } : {}), ...(args.bytes ? { bytes: args.bytes } : {}) }, job, actor)) }),
      );
    },
    abandonShipment: async ({ shipment, reason }, ctx) => {
      const sh = core.sync.state.shipments[shipment];
      if (!sh) throw new StationFailure('bad-request', `No shipment ${shipment} was started at this station.`);
      if (sh.abandoned) throw new StationFailure('bad-request', `Shipment ${shipment} was abandoned already (${sh.abandoned.time}).`);
      if (sh.written) throw new StationFailure('bad-request', `Shipment ${shipment} was written in full (${sh.written.time}): the Security Server may hold it. Import its acknowledgement (sync import, or sync push) rather than abandon it.`);
      core.ledger.append('sync.shipment-abandoned', { shipment, reason, actor: actorOf(ctx) }, core.now);
      // What an interrupted write left of the file goes too (a carrier's leftovers are discarded by the next write there).
      if (!sh.path.includes(':')) rmSync(`${sh.path}.partial`, { force: true });
      return { shipment, segments: sh.segments.length };
    },
    import: async ({ file }, ctx) => {
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch (e) {
        throw new StationFailure('io', `${file} cannot be read (${ioReason(e)}).`);
      }
      return acceptAcknowledgement(core, openAck(core, bytes), 'file', actorOf(ctx));
    },
    push: async ({ server }, ctx) => push(core, server, actorOf(ctx), { ...DEFAULT_LINK, signal: abortSignalOf(ctx.signal) }),
    reconcile: async ({ server }, ctx) => reconcileWithServer(core, server, { ...DEFAULT_LINK, signal: abortSignalOf(ctx.signal) }),
  };
}
