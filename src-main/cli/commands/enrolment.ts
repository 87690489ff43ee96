// `dske-station enrol …` and `receipts verify`: the desk's enrolment of one person from the command
// line (issue S7): apply, check identity, register, hand over keys, (deliver), "I'm here", receipt.
import { readFileSync, statSync } from 'node:fs';
import type { ApplicationView, BulkResult } from '../../../src-shared/api/enrolment';
import { required, single, UsageError } from '../args';
import type { Command } from '../command';

function application(a: ApplicationView): string {
  const lines = [`${a.application}${a.name ? ` — ${a.name}` : ''}${a.client ? ` (client ${a.client})` : ''}: ${a.step}`];
  if (a.identity) lines.push(`  identity: ${a.identity.document} …${a.identity.last4}, ${a.identity.outcome} by ${a.identity.checkedBy} at ${a.identity.time}`);
  if (a.refusedReason) lines.push(`  reason: ${a.refusedReason}`);
  if (a.keysHandedOver) lines.push(`  initial keys: ${a.keysHandedOver.kind}:${a.keysHandedOver.target} at ${a.keysHandedOver.time}`);
  if (a.packages.length) lines.push(`  packages: ${a.packages.join(', ')}`);
  if (a.presentAt) lines.push(`  "I'm here" confirmed at ${a.presentAt}`);
  if (a.receipts.length) lines.push(`  receipts: ${a.receipts.join(', ')}`);
  lines.push(`  next: ${a.next}`);
  return lines.join('\n');
}

/** The most an applicants file may be (the station takes at most 32 MiB of CSV text in one call). */
export const MAX_APPLICANTS_FILE_BYTES = 32 << 20;

/** An applicants file as text: refused, unread, when it is too big; refused when it is not UTF-8. */
function readApplicantsFile(path: string): string {
  let bytes: Buffer;
  try {
    const size = statSync(path).size;
    if (size > MAX_APPLICANTS_FILE_BYTES) throw new UsageError(`The file ${path} is ${size} bytes; an applicants file may be at most 32 MiB (${MAX_APPLICANTS_FILE_BYTES} bytes): split it.`);
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`The file ${path} cannot be read.`);
  }
  if (bytes.length > MAX_APPLICANTS_FILE_BYTES) throw new UsageError(`The file ${path} is more than 32 MiB; split it.`);
  try {
    // The byte-order mark is kept in the text, as before (the file's digest, which resumes a run, is of this text).
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new UsageError(`The file ${path} is not valid UTF-8; save it as UTF-8 ("CSV UTF-8" in a spreadsheet) and run it again.`);
  }
}

const step = (words: string, usage: string, summary: string, call: string, args: Command['args']): Command => ({ words, usage, summary, call, mode: 'write', operands: ['APPLICATION'], args, show: application });

export const enrolmentCommands: readonly Command[] = [
  {
    words: 'enrol apply',
    usage: 'enrol apply --name NAME --medium usb|hsm|qr|file',
    summary: 'open an application for a person (the name stays out of the ledger)',
    call: 'enrolment.apply',
    mode: 'write',
    args: (a) => ({ name: required(a, '--name', 'enrol apply'), medium: required(a, '--medium', 'enrol apply') }),
    show: application,
  },
  step(
    'enrol check-identity',
    'enrol check-identity APPLICATION --document passport|id-card|driving-licence|residence-permit --check KEY ... --outcome accepted|refused [--reason TEXT] [--number-file F|-]',
    'record the identity check (the document number is asked without echo; only its last digits and an HMAC are kept)',
    'enrolment.checkIdentity',
    async (a, { operands, secrets }) => {
      const number = await secrets.read(single(a, '--number-file'), 'The document number');
      const reason = single(a, '--reason');
      return { application: operands[0], document: required(a, '--document', 'enrol check-identity'), number, checks: a.options['--check'] ?? [], outcome: required(a, '--outcome', 'enrol check-identity'), ...(reason ? { reason } : {}) };
    },
  ),
  step('enrol register', 'enrol register APPLICATION', 'register the accepted applicant: a client ID and initial keys from the pool', 'enrolment.register', (_a, { operands }) => ({ application: operands[0] })),
  step('enrol hand-over-keys', 'enrol hand-over-keys APPLICATION --to file:PATH', 'write the initial keys to their own medium (the sealed envelope), apart from the PSRD', 'enrolment.handOverKeys', (a, { operands }) => ({ application: operands[0], to: required(a, '--to', 'enrol hand-over-keys') })),
  step('enrol present', 'enrol present APPLICATION --code DIGITS', 'check the client’s “I’m here” code, derived from its initial keys', 'enrolment.confirmPresence', (a, { operands }) => ({ application: operands[0], code: required(a, '--code', 'enrol present') })),
  step('enrol forget', 'enrol forget APPLICATION', "erase the person's name from the station on their request (the ledger holds only IDs and HMACs)", 'enrolment.forget', (_a, { operands }) => ({ application: operands[0] })),
  step('enrol withdraw', 'enrol withdraw APPLICATION --reason TEXT', 'withdraw an application before registration (the reason is kept)', 'enrolment.withdraw', (a, { operands }) => ({ application: operands[0], reason: required(a, '--reason', 'enrol withdraw') })),
  {
    words: 'enrol receipt',
    usage: 'enrol receipt APPLICATION --package PACKAGE --to file:RECEIPT.pdf',
    summary: 'the hand receipt of one delivered package, as a PDF to print and sign',
    call: 'enrolment.receipt',
    mode: 'write',
    operands: ['APPLICATION'],
    args: (a, { operands }) => ({ application: operands[0], package: required(a, '--package', 'enrol receipt'), to: required(a, '--to', 'enrol receipt') }),
    show: (r: { receipt: string; path: string; package: string }) => `Wrote receipt ${r.receipt} for ${r.package} to ${r.path}; print it for the clerk's and the employee's signatures.`,
  },
  {
    words: 'enrol bulk',
    usage: 'enrol bulk FILE.csv --keys-dir DIR [--approver NAME]',
    summary: 'enrol every applicant of a CSV file (docs/applicants-csv.md), checked whole first; the same file again continues a run cut short',
    call: 'enrolment.bulk',
    mode: 'write',
    operands: ['FILE'],
    args: (a, { operands }) => {
      return { csv: readApplicantsFile(operands[0]), keysDir: required(a, '--keys-dir', 'enrol bulk') };
    },
    show: (r: BulkResult) =>
      [
        ...r.rows.map((x) => `row ${String(x.row).padStart(6)} (line ${x.line}): ${x.outcome.padEnd(8)} ${x.client ?? ''} ${x.package ?? ''}${x.code ? ` ${x.code}: ${x.message}` : ''}`.trimEnd()),
        `${r.resumed ? 'Continued' : 'Ran'} ${r.bulk}: ${r.enrolled} enrolled, ${r.refused} refused, ${r.failed} failed.${r.failed ? ' Run the same file again to retry the failed rows.' : ''}`,
      ].join('\n'),
    failed: (r: BulkResult) => r.failed > 0,
  },
  { words: 'enrol show', usage: 'enrol show APPLICATION', summary: 'one application: its step, evidence and what comes next', call: 'enrolment.show', mode: 'read', operands: ['APPLICATION'], args: (_a, { operands }) => ({ application: operands[0] }), show: application },
  {
    words: 'enrol list',
    usage: 'enrol list [--open]',
    summary: 'applications (--open: those not finished)',
    call: 'enrolment.list',
    mode: 'read',
    args: (a) => (a.flags.has('--open') ? { open: 'yes' } : {}),
    show: (l: ApplicationView[]) => (l.length ? l.map((x) => `${x.application}  ${x.step.padEnd(16)} ${x.client ?? '—'.padEnd(8)}  ${x.name ?? ''}`).join('\n') : 'No applications.'),
  },
  {
    words: 'receipts verify',
    usage: 'receipts verify FILE',
    summary: 'check a hand receipt against the ledger: issued here, and not altered',
    call: 'enrolment.verifyReceipt',
    mode: 'read',
    operands: ['FILE'],
    args: (_a, { operands }) => ({ path: operands[0] }),
    show: (r: { ok: boolean; receipt?: string; client?: string; package?: string; problem?: string }) =>
      r.ok ? `Receipt ${r.receipt} (client ${r.client}, package ${r.package}) is the one the ledger recorded.` : `RECEIPT NOT VERIFIED: ${r.problem}`,
    failed: (r: { ok: boolean }) => !r.ok,
  },
];
