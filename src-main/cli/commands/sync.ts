// `dske-station sync …`: the station's link to its Security Server — what waits, the registration (keys
// made here, carried on a medium, confirmed by a short code), bulk shipments of the pool, range reports
// pushed online or exported to a file, the server's acknowledgements, and reconciliation.
import { resolve } from 'node:path';
import type { ImportResult, PushResult, ReconcileResult, RegistrationView, ShipmentResult, SyncStatus } from '../../../src-shared/api/sync';
import { formatBytes, parseSize } from '../../../src-shared/psrd/size';
import { required, requiredPath, single, UsageError } from '../args';
import { noArgs, type Command } from '../command';

function syncStatus(s: SyncStatus): string {
  const reg = s.registration
    ? `Registered with the Security Server of hub ${s.registration.hub} on ${s.registration.createdAt}${s.registration.confirmationCode ? ` (confirmation code ${s.registration.confirmationCode})` : ''}.`
    : 'Not registered with a Security Server yet (dske-station sync register).';
  const lines = [reg, `Server address: ${s.serverUrl ?? 'none (files only: sync export / sync import)'}.`];
  lines.push(`Pool: ${formatBytes(s.shippedBytes)} held by the Security Server too (allocatable); ${formatBytes(s.unshippedBytes)} not shipped or not acknowledged yet.`);
  for (const sh of s.shipments) lines.push(`  shipment ${sh.shipment}: ${sh.segments} segment(s), ${formatBytes(sh.bytes)}, ${sh.state} (${sh.time}) ${sh.path}`);
  const position = `in sync up to #${s.acknowledgedUpTo}${s.lastAcknowledgement ? ` (acknowledged ${s.lastAcknowledgement.time}, ${s.lastAcknowledgement.via})` : ''}${s.witnessedTreeSize ? `; the server witnessed this ledger at ${s.witnessedTreeSize} entries` : ''}`;
  if (s.lastExport) lines.push(`Last export: reports #${s.lastExport.first}–#${s.lastExport.last} on ${s.lastExport.time}.`);
  if (s.lastRefusal) lines.push(`The server REFUSED report #${s.lastRefusal.seq} (${s.lastRefusal.code}): ${s.lastRefusal.reason}`);
  if (s.lastRejected) lines.push(`This station refused the server's last ${s.lastRejected.kind} acknowledgement (${s.lastRejected.time}): ${s.lastRejected.reason}`);
  if (s.reportsWaiting === 0) return [...lines, `Nothing waits for the Security Server: ${position}.`].join('\n');
  return [
    ...lines,
    `${s.reportsWaiting} range report(s), ${formatBytes(s.bytesWaiting)}, wait for the Security Server; ${position}:`,
    ...s.waiting.map((w) => `  #${String(w.seq).padEnd(6)} ${w.kind.padEnd(12)} ${w.client.padEnd(10)} ${w.package ?? '—'}  ${formatBytes(w.bytes)}  ${w.queuedAt}`),
  ].join('\n');
}

const serverArg = (a: Parameters<typeof single>[0]): Record<string, unknown> => {
  const server = single(a, '--server');
  return server ? { server } : {};
};

export const syncCommands: readonly Command[] = [
  { words: 'sync status', usage: 'sync status', summary: 'the registration, and what waits for the Security Server', call: 'sync.status', mode: 'read', args: noArgs, show: syncStatus },
  {
    words: 'sync register',
    usage: 'sync register --out FILE --approver NAME',
    summary: "make the keys shared with the Security Server and write them to a registration file for its medium (two operators); read the code aloud on both sides",
    call: 'sync.register',
    mode: 'write',
    args: (a) => ({ out: requiredPath(a, '--out', 'sync register') }),
    show: (r: RegistrationView & { path: string }) => `Registered station ${r.station.slice(0, 16)}… with hub ${r.hub}. The registration file is ${r.path}: carry it to the Security Server on a medium, and destroy this copy once imported.\nConfirmation code: ${r.confirmationCode} (the server shows the same when it imports the file).`,
  },
  {
    words: 'sync export',
    usage: 'sync export --out FILE',
    summary: 'the range reports that wait, sealed under the report key with the ledger checkpoint, to a file for an air-gapped Security Server',
    call: 'sync.export',
    mode: 'write',
    args: (a) => ({ out: requiredPath(a, '--out', 'sync export') }),
    show: (r: { path: string; first: number; last: number; reports: number }) => `Wrote ${r.reports} range report(s), #${r.first}–#${r.last}, to ${r.path}. They stay in the outbox until the Security Server acknowledges them.`,
  },
  {
    words: 'sync ship',
    usage: 'sync ship (--out FILE | --to usb:/dev/sdX | --to hsm:LABEL --pin-file F) [--bytes SIZE] --approver NAME',
    summary: 'a bulk shipment of unshipped pool segments (all, or up to SIZE), sealed for the Security Server, to a file, a USB stick or an HSM token (two operators; run again to resume)',
    call: 'sync.ship',
    mode: 'write',
    args: async (a, { secrets }) => {
      const size = single(a, '--bytes');
      const bytes = size === undefined ? undefined : parseSize(size);
      if (bytes === null) throw new UsageError(`--bytes ${size} is not a size (write e.g. 64MiB or 1GiB).`);
      const to = single(a, '--to');
      const sized = bytes !== undefined ? { bytes } : {};
      if (to === undefined) return { out: requiredPath(a, '--out', 'sync ship'), ...sized };
      if (single(a, '--out') !== undefined) throw new UsageError('sync ship takes --out FILE or --to MEDIUM, not both.');
      if (to.startsWith('hsm:')) return { to, token: { pin: await secrets.read(single(a, '--pin-file'), `The user PIN of token ${to.slice(4)}`) }, ...sized };
      if (!to.startsWith('usb:/')) throw new UsageError('--to is usb:/dev/sdX or hsm:LABEL (for a file, use --out FILE).');
      return { to, ...sized };
    },
    show: (r: ShipmentResult) => `${r.resumed ? 'Finished' : 'Wrote'} shipment ${r.shipment}: ${r.segments} segment(s), ${formatBytes(r.bytes)} of PSRD, ${formatBytes(r.fileBytes)} in ${r.path}.\nCarry it to the Security Server (dske-server import-shipment), and bring back its acknowledgement (dske-station sync import); until then, none of these segments is allocated.`,
  },
  {
    words: 'sync import',
    usage: 'sync import FILE',
    summary: "the Security Server's acknowledgement (of a shipment, or of range reports), checked against this station's record",
    call: 'sync.import',
    mode: 'write',
    operands: ['FILE'],
    args: (_a, { operands }) => ({ file: resolve(operands[0]) }),
    show: (r: ImportResult) => r.kind === 'shipment'
      ? (r.changed ? `Shipment ${r.shipment} is acknowledged: its segments may now be allocated.` : `Shipment ${r.shipment} was acknowledged already; nothing changed.`)
      : `The Security Server is in sync up to #${r.appliedUpTo}${r.changed ? '' : ' (as recorded already)'}.${r.refused ? ` It REFUSED report #${r.refused.seq} (${r.refused.code}): ${r.refused.reason}` : ''}`,
    failed: (r: ImportResult) => r.refused !== undefined,
  },
  {
    words: 'sync push',
    usage: 'sync push [--server URL]',
    summary: 'send the waiting range reports to the Security Server online (retrying), and fetch shipment acknowledgements',
    call: 'sync.push',
    mode: 'write',
    args: serverArg,
    show: (r: PushResult) => `${r.server}: ${r.reportsSent} report(s) in ${r.batches} batch(es), ${r.attempts} request(s); in sync up to #${r.appliedUpTo}; ${r.waiting} waiting.${r.shipmentsAcknowledged.length ? ` Shipments acknowledged: ${r.shipmentsAcknowledged.join(', ')}.` : ''}`,
  },
  {
    words: 'sync reconcile',
    usage: 'sync reconcile [--server URL]',
    summary: "compare this station's record with the Security Server's, and list every difference",
    call: 'sync.reconcile',
    mode: 'write',
    args: serverArg,
    show: (r: ReconcileResult) => r.differences.length === 0
      ? `${r.server}: no difference (${r.checkedShipments} shipment(s), ${r.checkedReports} report(s); in sync up to #${r.appliedUpTo}).`
      : [`${r.server}: ${r.differences.length} difference(s):`, ...r.differences.map((d) => `  ${d.what}: here ${d.station}; server ${d.server}`)].join('\n'),
    failed: (r: ReconcileResult) => r.differences.length > 0,
  },
  {
    words: 'sync abandon',
    usage: 'sync abandon SHIPMENT --reason TEXT --approver NAME',
    summary: 'give up a shipment whose write never finished (its segments may be shipped again); two operators',
    call: 'sync.abandonShipment',
    mode: 'write',
    operands: ['SHIPMENT'],
    args: (a, { operands }) => ({ shipment: operands[0], reason: required(a, '--reason', 'sync abandon') }),
    show: (r: { shipment: string; segments: number }) => `Shipment ${r.shipment} abandoned: its ${r.segments} segment(s) may be shipped again.`,
  },
];
