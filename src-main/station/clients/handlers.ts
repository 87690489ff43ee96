// The `clients` namespace: create (ID + initial keys from the pool), list, show, suspend, resume, and
// the export of initial keys on their own channel.
import type { Handlers } from '../../../src-shared/api/dispatch';
import type { ClientDetail, ClientInventory, ClientView, clientsCalls, PackageView } from '../../../src-shared/api/clients';
import { StationFailure } from '../../../src-shared/api/result';
import { actorOf, type Core, type Ctx } from '../core';
import type { Operator } from '../operators/gate';
import type { ClientRecord } from './client-registry';
import { createClient, type ClientParts } from './create-client';
import { encodeInitialKeysFile, writeInitialKeysFile } from './initial-keys-file';
import type { MediumRecordView } from '../../../src-shared/api/delivery';

export function clientParts(core: Core): ClientParts {
  return { ledger: core.ledger, pool: core.pool, allocations: core.allocations, shipped: core.sync.acknowledged, now: core.now, hubId: core.settings.hubId, clients: core.clients, keystore: core.keystore, directory: core.directory };
}

/** A client's name as given: under its own ID (`clients create --name`), or its enrolment application's. */
function nameOf(core: Core, client: string): string | null {
  const app = core.enrolment.byClient.get(client);
  return core.directory.name(client) ?? (app ? core.directory.name(app) : null);
}

export function clientView(core: Core, c: ClientRecord): ClientView {
  const delivered = core.allocations.ofClient(c.client).filter((a) => a.purpose === 'psrd' && a.phase === 'delivered');
  return {
    client: c.client, name: nameOf(core, c.client), state: c.state, createdAt: c.createdAt,
    initialKeys: { exportedAt: c.keysExportedAt ?? null, checkValue: c.checkValue },
    packages: delivered.length, bytesDelivered: delivered.reduce((n, a) => n + a.bytes, 0),
  };
}

/** The client, or `unknown-client`. */
export function clientOf(core: Core, id: string): ClientRecord {
  const c = core.clients.byId.get(id);
  if (!c) throw new StationFailure('unknown-client', `There is no client ${id} at this hub.`);
  return c;
}

/** Writes a client's initial keys to a file of their own (docs/formats.md) and records it. */
export function exportInitialKeys(core: Core, c: ClientRecord, path: string, ctx: Ctx): { readonly kind: 'file'; readonly target: string } {
  const keys = core.keystore.read(c.client);
  try {
    writeInitialKeysFile(path, encodeInitialKeysFile(core.settings.hubId, c.client, c.checkValue, keys));
  } finally {
    keys.fill(0);
  }
  const medium = { kind: 'file' as const, target: path };
  core.ledger.append('client.initial-keys-exported', { client: c.client, medium, actor: actorOf(ctx) }, core.now);
  return medium;
}

export function clientsHandlers(core: Core): Handlers<{ clients: typeof clientsCalls }, Operator>['clients'] {
  return {
    create: (args, ctx) =>
      core.jobs.run({ kind: 'client-create', title: 'Creating a client', resources: ['pool:segments'], total: 0, unit: 'items', actor: actorOf(ctx), signal: ctx.signal }, async (job) =>
        clientView(core, await createClient(clientParts(core), { name: args.name, actor: actorOf(ctx), signal: job.signal })),
      ),
    list: async () => [...core.clients.byId.values()].map((c) => clientView(core, c)),
    show: async ({ client }): Promise<ClientDetail> => {
      const c = clientOf(core, client);
      const packageList: PackageView[] = core.allocations.ofClient(client).filter((a) => a.purpose === 'psrd').map((a) => ({
        package: a.package ?? '', state: a.phase, bytes: a.bytes, ranges: a.ranges, medium: (a.medium ?? { kind: 'file', target: '' }) as MediumRecordView, time: a.time,
        ...(a.reason ? { reason: a.reason } : {}),
      }));
      return { ...clientView(core, c), packageList, ...(c.suspendedReason ? { suspendedReason: c.suspendedReason } : {}) };
    },
    suspend: async ({ client, reason }, ctx) => {
      const c = clientOf(core, client);
      if (c.state === 'suspended') throw new StationFailure('client-suspended', `${client} is already suspended.`);
      core.ledger.append('client.suspended', { client, reason, actor: actorOf(ctx) }, core.now);
      return clientView(core, c);
    },
    resume: async ({ client }, ctx) => {
      const c = clientOf(core, client);
      if (c.state === 'revoked') throw new StationFailure('client-revoked', `${client} was revoked; it cannot be resumed (enrol the person again for a new client ID).`);
      if (c.state !== 'suspended') throw new StationFailure('bad-request', `${client} is not suspended.`);
      core.ledger.append('client.resumed', { client, actor: actorOf(ctx) }, core.now);
      return clientView(core, c);
    },
    revoke: async ({ client, reason }, ctx) => {
      const c = clientOf(core, client);
      if (c.state === 'revoked') throw new StationFailure('client-revoked', `${client} was already revoked.`);
      core.ledger.append('client.revoked', { client, reason, report: core.allocations.lastReport + 1, actor: actorOf(ctx) }, core.now);
      return clientView(core, c);
    },
    reportLoss: async ({ client, package: pkg, reason }, ctx) => {
      const c = clientOf(core, client);
      const a = core.allocations.byId.get(core.allocations.byPackage.get(pkg) ?? '');
      if (!a || a.client !== client || a.phase !== 'delivered') throw new StationFailure('bad-request', `${pkg} is not a package delivered to ${client}.`);
      if (a.lostAt) throw new StationFailure('bad-request', `${pkg} was already reported lost on ${a.lostAt}.`);
      core.ledger.append('client.package-lost', { client, package: pkg, reason, report: core.allocations.lastReport + 1, actor: actorOf(ctx) }, core.now);
      return clientView(core, c);
    },
    inventory: async ({ client }): Promise<ClientInventory> => {
      const c = clientOf(core, client);
      const { allocations } = core;
      const mine = allocations.ofClient(client);
      const waiting = (seq?: number): boolean => seq !== undefined && allocations.outbox.has(seq);
      const receiptsOf = (pkg: string): string[] => [...core.enrolment.receipts.entries()].filter(([, r]) => r.package === pkg).map(([id]) => id);
      const keys = allocations.byId.get(c.allocation);
      const reports = [
        ...mine.filter((a) => a.report !== undefined).map((a) => ({ seq: a.report!, kind: a.phase === 'voided' ? 'voided' : a.purpose === 'initial-keys' ? 'initial-keys' : 'delivered', time: a.settledAt ?? a.time })),
        ...[...allocations.otherReports.values()].filter((r) => r.client === client).map((r) => ({ seq: r.seq, kind: r.kind, time: r.time })),
      ].sort((x, y) => x.seq - y.seq).map((r) => ({ ...r, waiting: waiting(r.seq) }));
      return {
        client, state: c.state,
        initialKeys: { allocation: c.allocation, checkValue: c.checkValue, exportedAt: c.keysExportedAt ?? null, ...(keys?.report !== undefined ? { report: keys.report } : {}) },
        packages: mine.filter((a) => a.purpose === 'psrd').map((a) => ({
          package: a.package ?? '', state: a.phase, bytes: a.bytes, ranges: a.ranges, medium: (a.medium ?? { kind: 'file', target: '' }) as MediumRecordView, time: a.time,
          ...(a.reason ? { reason: a.reason } : {}), ...(a.report !== undefined ? { report: a.report } : {}), reportWaiting: waiting(a.report), receipts: receiptsOf(a.package ?? ''), ...(a.lostAt ? { lostAt: a.lostAt } : {}),
        })),
        reports,
        bytesDelivered: mine.filter((a) => a.purpose === 'psrd' && a.phase === 'delivered').reduce((n, a) => n + a.bytes, 0),
        bytesVoided: mine.filter((a) => a.phase === 'voided').reduce((n, a) => n + a.bytes, 0),
      };
    },
    exportInitialKeys: async ({ client, to }, ctx) => {
      const c = clientOf(core, client);
      if (c.state !== 'active') throw new StationFailure('client-suspended', `${client} is suspended; nothing is handed out until it is resumed.`);
      const path = to.slice('file:'.length);
      exportInitialKeys(core, c, path, ctx);
      return { client, path, checkValue: c.checkValue };
    },
  };
}
