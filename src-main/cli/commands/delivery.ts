// `dske-station deliver …`, `ledger reconcile`, `ledger export --csv`, `sync status`: PSRD to one client
// on one medium, the allocation record checked whole, exported, and what waits for the Security Server.
import { resolve } from 'node:path';
import type { DeliveryResult, DriveView, ReconcileResult } from '../../../src-shared/api/delivery';
import { formatBytes, parseSize } from '../../../src-shared/psrd/size';
import { single, UsageError } from '../args';
import type { Command } from '../command';

function delivered(r: DeliveryResult): string {
  const m = r.medium;
  return [
    `Delivered ${formatBytes(r.bytes)} (${r.bytes} bytes) of PSRD to ${r.client} as package ${r.package} (${r.packageBytes} bytes),`,
    `on ${m.kind}:${m.target}${m.serial ? ` (serial ${m.serial})` : ''}${m.codes ? `, ${m.codes} QR codes on ${m.pages} page(s)` : ''}; read back and verified.`,
    `The station's copy is destroyed; range report #${r.report} waits for the Security Server.`,
  ].join('\n');
}

function reconciled(r: ReconcileResult): string {
  const head = `${r.deliveries} allocation(s) delivered (${formatBytes(r.bytesDelivered)}), ${r.voided} voided (${formatBytes(r.bytesVoided)}), ${r.reportsQueued} range report(s) waiting.`;
  if (r.ok) return `${head}\nReconciled: no overlap, every delivered or voided byte destroyed here, every reservation settled, the outbox agrees.`;
  return [head, `${r.problems.length} PROBLEM(S):`, ...r.problems.map((p) => `${p.kind.toUpperCase().padEnd(14)} ${p.detail}`)].join('\n');
}


function driveList(list: DriveView[]): string {
  if (list.length === 0) return 'No drives found.';
  return list
    .map((d) => [`${d.deliverable ? 'usable ' : 'REFUSED'}  ${d.device.padEnd(14)} ${d.size === null ? '?' : formatBytes(d.size)}  ${d.description}${d.serial ? ` (serial ${d.serial})` : ''}${d.mountpoint ? ` at ${d.mountpoint}` : ''}`, ...d.statuses.map((s) => `         ${s.severity === 'error' ? 'error  ' : 'warning'} ${s.message}`)].join('\n'))
    .join('\n');
}

export const deliveryCommands: readonly Command[] = [
  {
    words: 'drives',
    usage: 'drives [--bytes SIZE]',
    summary: 'the drives present, and whether each may take a package of SIZE (the station never chooses one for you)',
    call: 'delivery.drives',
    mode: 'read',
    args: (a) => {
      const size = single(a, '--bytes');
      if (size === undefined) return {};
      const packageBytes = parseSize(size);
      if (packageBytes === null) throw new UsageError(`--bytes ${size} is not a size.`);
      return { packageBytes };
    },
    show: driveList,
  },
  {
    words: 'deliver',
    usage: 'deliver --client ID --bytes SIZE --to usb:DEVICE|hsm:LABEL|qr:FILE.pdf|file:PATH [--pin-file F|-] [--profile data|secret]',
    summary: "write PSRD for one client to one medium, verify it, destroy the station's copy, queue the range report",
    call: 'delivery.deliver',
    mode: 'write',
    args: async (a, { secrets }) => {
      const client = single(a, '--client');
      const size = single(a, '--bytes');
      const to = single(a, '--to');
      if (!client || !size || !to) throw new UsageError('deliver needs --client ID, --bytes SIZE and --to MEDIUM.');
      const bytes = parseSize(size);
      if (bytes === null) throw new UsageError(`--bytes ${size} is not a size (write e.g. 4096, 64KiB or 1GiB).`);
      if (!to.startsWith('hsm:')) return { client, bytes, to };
      const profile = single(a, '--profile');
      if (profile !== undefined && profile !== 'data' && profile !== 'secret') throw new UsageError('--profile is data or secret.');
      const pin = await secrets.read(single(a, '--pin-file'), `The user PIN of token ${to.slice(4)}`);
      return { client, bytes, to, token: { pin, ...(profile ? { profile } : {}) } };
    },
    show: delivered,
  },
  {
    // Reading the segment files needs the master key, so the station opens as it does for work.
    when: (a) => a.flags.has('--deep'),
    words: 'ledger reconcile',
    usage: 'ledger reconcile --deep',
    summary: 'as ledger reconcile, and every destroyed range also read back from the segment files (needs the master key)',
    call: 'delivery.reconcile',
    mode: 'write',
    args: () => ({ deep: true }),
    show: reconciled,
    failed: (r: ReconcileResult) => !r.ok,
  },
  {
    words: 'ledger reconcile',
    usage: 'ledger reconcile',
    summary: 'check every allocation against the pool and the outbox: no overlap, every delivered or voided byte destroyed, every reservation settled',
    call: 'delivery.reconcile',
    mode: 'read',
    args: () => ({ deep: false }),
    show: reconciled,
    failed: (r: ReconcileResult) => !r.ok,
  },
  {
    words: 'ledger export',
    usage: 'ledger export --csv FILE',
    summary: 'every allocation, delivery, destruction and range report as CSV rows',
    call: 'delivery.exportCsv',
    mode: 'read',
    args: (a) => {
      const to = single(a, '--csv');
      if (!to) throw new UsageError('ledger export needs --csv FILE.');
      return { to: resolve(to) };
    },
    show: (r: { path: string; rows: number }) => `Wrote ${r.rows} row(s) to ${r.path}.`,
  },
  {
    words: 'sheet destroy',
    usage: 'sheet destroy PACKAGE',
    summary: "overwrite and remove a QR sheet's PDF once it is printed, and record it (the paper is the client's copy)",
    call: 'delivery.destroySheet',
    mode: 'write',
    operands: ['PACKAGE'],
    args: (_a, { operands }) => ({ package: operands[0] }),
    show: (r: { package: string; path: string; found: boolean }) => (r.found ? `Destroyed ${r.path}, the sheet of ${r.package}.` : `${r.path} was already gone; recorded the sheet of ${r.package} as destroyed.`),
  },
];
