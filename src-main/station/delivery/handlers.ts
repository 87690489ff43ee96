// The `delivery` namespace: deliver a client package as a job, reconcile the record, export it as CSV.
import type { Handlers } from '../../../src-shared/api/dispatch';
import type { DeliveryResult, DriveView, deliveryCalls } from '../../../src-shared/api/delivery';
import { StationFailure } from '../../../src-shared/api/result';
import { formatBytes } from '../../../src-shared/psrd/size';
import { actorOf, type Core, type Ctx } from '../core';
import { dirname } from 'node:path';
import { checkOutPath, isInside } from '../paths';
import { listTokens } from '../../../hardware/carriers/hsm-tokens';
import type { Operator } from '../operators/gate';
import { clientOf, clientParts } from '../clients/handlers';
import { allocate } from './allocate';
import { openCarrier } from './carriers';
import { clientPackageStream } from './package-stream';
import { reconcile } from './reconcile';
import { exportCsv } from './export-csv';
import { existsSync } from 'node:fs';
import { QrSheetCarrier } from '../../../hardware/carriers/qr-sheet';
import { driveHolding, listDrives } from '../../../hardware/carriers/drives';
import { driveStatuses, isDeliverable } from '../../../src-shared/psrd/drive-safety';

/**
 * The enrolment rules a delivery rests on (issue S7, part 2): the client's identity was checked and
 * accepted at the desk; its initial keys were handed over first, on their own medium; above the
 * two-person threshold a second person approves, and not the clerk who checked the identity.
 */
function checkEnrolment(core: Core, client: string, args: { bytes: number; to: string }, ctx: Ctx): void {
  const id = core.enrolment.byClient.get(client);
  const app = id ? core.enrolment.byId.get(id) : undefined;
  if (!app?.identity || app.identity.outcome !== 'accepted') {
    throw new StationFailure('identity-not-checked', `${client} has no accepted identity check at this desk; enrol the person (enrol apply, check-identity, register, hand-over-keys) before delivering PSRD.`);
  }
  if (!app.keysHandedOver) throw new StationFailure('wrong-step', `The initial keys of ${client} have not been handed over yet; hand them over first, on their own medium.`);
  const keysFolder = dirname(app.keysHandedOver.target);
  if ((args.to.startsWith('file:') || args.to.startsWith('qr:')) && isInside(args.to.slice(args.to.indexOf(':') + 1), keysFolder)) {
    throw new StationFailure('medium-not-allowed', `The initial keys of ${client} were written to ${keysFolder}; the PSRD must travel apart from them (spec §11.1). Choose another medium.`);
  }
  const threshold = core.settings.delivery.twoPersonAboveBytes;
  if (args.bytes > threshold) {
    if (!ctx.approver) throw new StationFailure('approval-required', `A delivery above ${formatBytes(threshold)} needs a second person: an operator approves it with their own passphrase.`);
    if (ctx.approver.name.normalize('NFC').toLowerCase() === app.identity.checkedBy.normalize('NFC').toLowerCase()) {
      throw new StationFailure('same-person', `${ctx.approver.name} checked this person's identity, so cannot also approve the delivery; another operator must.`);
    }
  }
}

async function drives(core: Core, packageBytes: number): Promise<DriveView[]> {
  const list = await listDrives();
  const own = await driveHolding(core.config.dataDir, list);
  const opts = { stationDataDir: core.config.dataDir, ...(own ? { stationDataDevice: own.device } : {}), packageBytes, allowFixedDrives: core.settings.delivery.allowFixedDrives };
  return list.map((d) => {
    const statuses = driveStatuses(d, opts);
    return { device: d.device, description: d.description, size: d.size, ...(d.serial ? { serial: d.serial } : {}), ...(d.mountpoints[0] ? { mountpoint: d.mountpoints[0].path } : {}), statuses, deliverable: isDeliverable(statuses) };
  });
}

export function deliveryHandlers(core: Core): Handlers<{ delivery: typeof deliveryCalls }, Operator>['delivery'] {
  return {
    drives: async ({ packageBytes }) => drives(core, packageBytes ?? 1),
    deliver: async (args, ctx) => {
      const c = clientOf(core, args.client);
      // §11.1 and issue S6: a suspended client gets nothing.
      if (c.state === 'revoked') throw new StationFailure('client-revoked', `${c.client} was revoked (${c.suspendedReason ?? 'no reason recorded'}); it gets nothing any more.`);
      if (c.state !== 'active') throw new StationFailure('client-suspended', `${c.client} is suspended (${c.suspendedReason ?? 'no reason recorded'}); nothing is delivered until an operator resumes it.`);
      checkEnrolment(core, c.client, args, ctx);
      const carrier = openCarrier(args.to, { settings: core.settings.delivery, dataDir: core.config.dataDir, pin: args.token?.pin, profile: args.token?.profile });
      const actor = actorOf(ctx);
      // The carrier is released on every path: a token left logged in would refuse the next delivery.
      try {
        return await core.jobs.run(
          { kind: 'delivery', title: `Delivering ${formatBytes(args.bytes)} of PSRD to ${c.client}`, resources: ['pool:segments', `medium:${args.to}`, `client:${c.client}`], total: 2 * args.bytes, unit: 'bytes', actor, signal: ctx.signal },
          async (job): Promise<DeliveryResult> => {
            const keys = core.keystore.read(c.client);
            try {
              const outcome = await allocate(clientParts(core), {
                client: c.client,
                purpose: 'psrd',
                bytes: args.bytes,
                sink: carrier,
                stream: (ranges, packageId) => clientPackageStream(core.pool, { hub: core.settings.hubId, client: c.client, packageId, tableOffset: core.allocations.tableOffset(c.client) }, ranges, keys),
                job: job.id,
                actor,
                signal: job.signal,
                onPhase: (phase, done, total) => {
                  const scaled = Math.round((done / Math.max(total, 1)) * 2 * args.bytes);
                  job.progress(scaled, phase);
                  core.events.emit('delivery.progress', { job: job.id, phase, bytesDone: scaled, bytesTotal: 2 * args.bytes });
                },
              });
              const a = outcome.allocation;
              return { job: job.id, client: c.client, package: outcome.packageId, bytes: a.bytes, packageBytes: outcome.packageBytes, ranges: a.ranges, medium: outcome.medium as DeliveryResult['medium'], report: outcome.report };
            } finally {
              keys.fill(0);
            }
          },
        );
      } finally {
        await carrier.release();
      }
    },
    tokens: async () => {
      const module = core.settings.delivery.pkcs11Module;
      try {
        return { module, tokens: listTokens(module) };
      } catch (e) {
        return { module, tokens: [], problem: `The PKCS#11 module ${module} for clients' tokens could not be used (${(e as Error).message}); check station.json delivery.pkcs11Module.` };
      }
    },
    destroySheet: async (args, ctx) => {
      const id = core.allocations.byPackage.get(args.package);
      const a = id ? core.allocations.byId.get(id) : undefined;
      if (!a || a.medium?.kind !== 'qr') throw new StationFailure('bad-request', `No QR sheet was printed for ${args.package}.`);
      if (a.phase !== 'delivered') throw new StationFailure('bad-request', `${args.package} is ${a.phase}, not a delivered sheet (a voided sheet's file was destroyed when it was voided).`);
      if (a.sheetDestroyedAt) throw new StationFailure('bad-request', `The sheet of ${args.package} was destroyed on ${a.sheetDestroyedAt}.`);
      const path = a.medium.target;
      const found = existsSync(path);
      await QrSheetCarrier.open(path).discard({ packageId: args.package });
      if (existsSync(path)) throw new StationFailure('io', `${path} could not be destroyed (or is not this package's sheet); nothing was recorded.`);
      core.ledger.append('allocation.sheet-destroyed', { allocation: a.id, target: path, found, actor: actorOf(ctx) }, core.now);
      return { package: args.package, path, found };
    },
    reconcile: async ({ deep }) => {
      const running = new Set(core.jobs.list().filter((j) => j.state === 'running').map((j) => j.id));
      const clientsWithoutKeys = [...core.clients.byId.keys()].filter((c) => !core.keystore.has(c));
      return reconcile(core.pool, core.allocations, { deep: deep === true, running, clientsWithoutKeys });
    },
    exportCsv: async ({ to }) => exportCsv(core.allocations, checkOutPath(core.config.dataDir, to, 'CSV file')),
  };
}
