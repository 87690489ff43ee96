// `dske-station clients …`: the hub's clients — create (ID and initial keys), list, show, suspend,
// resume, and the export of initial keys to a file of their own.
import type { ClientDetail, ClientInventory, ClientView } from '../../../src-shared/api/clients';
import { formatBytes } from '../../../src-shared/psrd/size';
import { required, single } from '../args';
import { noArgs, type Command } from '../command';

const line = (c: ClientView): string =>
  `${c.client.padEnd(10)} ${c.state.padEnd(9)} ${String(c.packages).padStart(3)} package(s) ${formatBytes(c.bytesDelivered).padStart(10)}  keys ${c.initialKeys.checkValue}${c.initialKeys.exportedAt ? ' (exported)' : ''}  ${c.name ?? ''}`;

function detail(c: ClientDetail): string {
  const head = [
    `${c.client}${c.name ? ` — ${c.name}` : ''}: ${c.state}${c.suspendedReason ? ` (${c.suspendedReason})` : ''}, created ${c.createdAt}`,
    `Initial keys: check value ${c.initialKeys.checkValue}, ${c.initialKeys.exportedAt ? `exported ${c.initialKeys.exportedAt}` : 'not yet exported'}`,
    `${c.packages} package(s) delivered, ${formatBytes(c.bytesDelivered)} (${c.bytesDelivered} bytes)`,
  ];
  const rows = c.packageList.map((p) => `  ${p.package}  ${p.state.padEnd(9)} ${formatBytes(p.bytes).padStart(10)}  ${p.medium.kind}:${p.medium.target}${p.medium.serial ? ` (serial ${p.medium.serial})` : ''}  ${p.time}${p.reason ? `  — ${p.reason}` : ''}`);
  return [...head, ...rows].join('\n');
}

function inventory(i: ClientInventory): string {
  const lines = [
    `${i.client}: ${i.state}; ${formatBytes(i.bytesDelivered)} delivered, ${formatBytes(i.bytesVoided)} voided`,
    `initial keys: ${i.initialKeys.allocation}, check value ${i.initialKeys.checkValue}, ${i.initialKeys.exportedAt ? `handed over ${i.initialKeys.exportedAt}` : 'not handed over'}${i.initialKeys.report ? `, report #${i.initialKeys.report}` : ''}`,
  ];
  for (const p of i.packages) {
    lines.push(`${p.package} ${p.state}${p.lostAt ? ` (LOST ${p.lostAt})` : ''} ${formatBytes(p.bytes)} on ${p.medium.kind}:${p.medium.target}${p.medium.serial ? ` (serial ${p.medium.serial})` : ''} at ${p.time}${p.report ? `, report #${p.report}${p.reportWaiting ? ' (waiting)' : ''}` : ''}${p.receipts.length ? `, receipts ${p.receipts.join(', ')}` : ''}`);
    for (const r of p.ranges) lines.push(`    ${r.segment} @${r.offset} +${r.length}`);
  }
  lines.push(`reports: ${i.reports.map((r) => `#${r.seq} ${r.kind}${r.waiting ? ' (waiting)' : ''}`).join(', ') || 'none'}`);
  return lines.join('\n');
}


export const clientsCommands: readonly Command[] = [
  {
    words: 'clients create',
    usage: 'clients create [--name NAME]',
    summary: 'create a client: a new client ID and its initial keys from the pool (the name stays out of the ledger)',
    call: 'clients.create',
    mode: 'write',
    args: (a) => {
      const name = single(a, '--name');
      return name ? { name } : {};
    },
    show: (c: ClientView) => `Created ${c.client}; initial keys check value ${c.initialKeys.checkValue}. Export them with \`clients export-keys ${c.client} --to file:PATH\`, on a channel apart from the PSRD.`,
  },
  { words: 'clients list', usage: 'clients list', summary: 'every client of this hub', call: 'clients.list', mode: 'read', args: noArgs, show: (l: ClientView[]) => (l.length ? l.map(line).join('\n') : 'No clients yet.') },
  { words: 'clients show', usage: 'clients show CLIENT', summary: "one client's record: state, initial keys, packages", call: 'clients.show', mode: 'read', operands: ['CLIENT'], args: (_a, { operands }) => ({ client: operands[0] }), show: detail },
  {
    words: 'clients suspend',
    usage: 'clients suspend CLIENT --reason TEXT',
    summary: 'suspend a client: it gets nothing until resumed',
    call: 'clients.suspend',
    mode: 'write',
    operands: ['CLIENT'],
    args: (a, { operands }) => ({ client: operands[0], reason: required(a, '--reason', 'clients suspend') }),
    show: (c: ClientView) => `${c.client} is suspended.`,
  },
  { words: 'clients resume', usage: 'clients resume CLIENT', summary: 'resume a suspended client', call: 'clients.resume', mode: 'write', operands: ['CLIENT'], args: (_a, { operands }) => ({ client: operands[0] }), show: (c: ClientView) => `${c.client} is active again.` },
  {
    words: 'clients revoke',
    usage: 'clients revoke CLIENT --reason TEXT --approver NAME',
    summary: "revoke a client for good (two people); the Security Server is told to destroy its PSRD",
    call: 'clients.revoke',
    mode: 'write',
    operands: ['CLIENT'],
    args: (a, { operands }) => ({ client: operands[0], reason: required(a, '--reason', 'clients revoke') }),
    show: (c: ClientView) => `${c.client} is revoked; a report for the Security Server waits in the outbox.`,
  },
  {
    words: 'clients lost',
    usage: 'clients lost CLIENT --package PACKAGE --reason TEXT',
    summary: 'record a package lost by its client: its ID is refused from then on (re-issue with deliver)',
    call: 'clients.reportLoss',
    mode: 'write',
    operands: ['CLIENT'],
    args: (a, { operands }) => ({ client: operands[0], package: required(a, '--package', 'clients lost'), reason: required(a, '--reason', 'clients lost') }),
    show: (c: ClientView) => `Recorded the package of ${c.client} as lost; the Security Server will be told to destroy its copy. Deliver a new one to re-issue.`,
  },
  {
    words: 'clients inventory',
    usage: 'clients inventory CLIENT',
    summary: 'everything about one client for auditors: packages, ranges, bytes, media, receipts, reports',
    call: 'clients.inventory',
    mode: 'read',
    operands: ['CLIENT'],
    args: (_a, { operands }) => ({ client: operands[0] }),
    show: inventory,
  },
  {
    words: 'clients export-keys',
    usage: 'clients export-keys CLIENT --to file:PATH',
    summary: "write a client's initial keys to a file of their own (never on the PSRD's medium)",
    call: 'clients.exportInitialKeys',
    mode: 'write',
    operands: ['CLIENT'],
    args: (a, { operands }) => ({ client: operands[0], to: required(a, '--to', 'clients export-keys') }),
    show: (r: { client: string; path: string; checkValue: string }) => `Wrote the initial keys of ${r.client} to ${r.path} (check value ${r.checkValue}). Hand them over apart from the PSRD.`,
  },
];
