// `dske-station sync …`: the station's link to its Security Server — what waits, the registration (keys
// made here, carried on a medium, confirmed by a short code), and the export of waiting range reports.
import type { RegistrationView, SyncStatus } from '../../../src-shared/api/sync';
import { formatBytes } from '../../../src-shared/psrd/size';
import { required } from '../args';
import { noArgs, type Command } from '../command';

function syncStatus(s: SyncStatus): string {
  const reg = s.registration
    ? `Registered with the Security Server of hub ${s.registration.hub} on ${s.registration.createdAt}${s.registration.confirmationCode ? ` (confirmation code ${s.registration.confirmationCode})` : ''}.`
    : 'Not registered with a Security Server yet (dske-station sync register).';
  const exported = s.lastExport ? [`Last export: reports #${s.lastExport.first}–#${s.lastExport.last} on ${s.lastExport.time}.`] : [];
  if (s.reportsWaiting === 0) return [reg, ...exported, `Nothing waits for the Security Server (acknowledged up to #${s.acknowledgedUpTo}).`].join('\n');
  return [
    reg,
    ...exported,
    `${s.reportsWaiting} range report(s), ${formatBytes(s.bytesWaiting)}, wait for the Security Server (acknowledged up to #${s.acknowledgedUpTo}):`,
    ...s.waiting.map((w) => `  #${String(w.seq).padEnd(6)} ${w.kind.padEnd(12)} ${w.client.padEnd(10)} ${w.package ?? '—'}  ${formatBytes(w.bytes)}  ${w.queuedAt}`),
  ].join('\n');
}

export const syncCommands: readonly Command[] = [
  { words: 'sync status', usage: 'sync status', summary: 'the registration, and what waits for the Security Server', call: 'sync.status', mode: 'read', args: noArgs, show: syncStatus },
  {
    words: 'sync register',
    usage: 'sync register --out FILE --approver NAME',
    summary: "make the keys shared with the Security Server and write them to a registration file for its medium (two operators); read the code aloud on both sides",
    call: 'sync.register',
    mode: 'write',
    args: (a) => ({ out: required(a, '--out', 'sync register') }),
    show: (r: RegistrationView & { path: string }) => `Registered station ${r.station.slice(0, 16)}… with hub ${r.hub}. The registration file is ${r.path}: carry it to the Security Server on a medium, and destroy this copy once imported.\nConfirmation code: ${r.confirmationCode} (the server shows the same when it imports the file).`,
  },
  {
    words: 'sync export',
    usage: 'sync export --out FILE',
    summary: 'the range reports that wait, sealed under the report key with the ledger checkpoint, to a file for an air-gapped Security Server',
    call: 'sync.export',
    mode: 'write',
    args: (a) => ({ out: required(a, '--out', 'sync export') }),
    show: (r: { path: string; first: number; last: number; reports: number }) => `Wrote ${r.reports} range report(s), #${r.first}–#${r.last}, to ${r.path}. They stay in the outbox until the Security Server acknowledges them.`,
  },
];
