// The `enrolment` namespace (issue S7): the desk's steps from an application to a hand receipt, each
// checked against the step the application has reached and recorded in the ledger with its operator.
import { readFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Handlers } from '../../../src-shared/api/dispatch';
import type { ApplicationView, EnrolmentStep, enrolmentCalls } from '../../../src-shared/api/enrolment';
import { StationFailure } from '../../../src-shared/api/result';
import { IDENTITY_CHECKS, lastDigits, missingChecks, type DocumentType } from '../../../src-shared/enrolment/identity-documents';
import { presenceCode, sameCode } from '../../../src-shared/enrolment/presence-code';
import { ioReason } from '../../../src-node/io-reason';
import { actorOf, type Core, type Ctx } from '../core';
import type { Operator } from '../operators/gate';
import { clientParts, exportInitialKeys } from '../clients/handlers';
import { createClient } from '../clients/create-client';
import type { ApplicationRecord } from './book';
import { receiptCanonical, receiptMatchesFile, renderReceipt, type ReceiptBody } from './receipt';
import { writeNewFile } from '../../../src-node/new-file';
import { planBulk, runBulk } from './bulk';

/** Larger than any receipt (10,000 ranges make about 3.4 MB): a bigger file is not read. */
const MAX_RECEIPT_BYTES = 32 << 20;

const NEXT: Record<EnrolmentStep, string> = {
  applied: 'Check the applicant’s identity document.',
  refused: 'Nothing: the application was refused or withdrawn (the reason is recorded).',
  'identity-checked': 'Register the client (a client ID and initial keys).',
  registered: 'Hand over the initial keys, on their own medium (a sealed envelope), apart from the PSRD.',
  'keys-handed-over': 'Deliver the PSRD on the medium the applicant asked for.',
  delivered: 'Optionally, have the client read out its “I’m here” code; then print the hand receipt.',
  present: 'Print the hand receipt for signature.',
  receipted: 'Done. Further deliveries to this client each get their own receipt.',
};

export function applicationView(core: Core, a: ApplicationRecord): ApplicationView {
  return {
    application: a.id, name: core.directory.name(a.id), medium: a.medium, step: a.step, next: NEXT[a.step], createdAt: a.createdAt,
    ...(a.client ? { client: a.client } : {}), ...(a.identity ? { identity: a.identity } : {}), ...(a.refusedReason ? { refusedReason: a.refusedReason } : {}),
    ...(a.keysHandedOver ? { keysHandedOver: a.keysHandedOver } : {}), packages: a.packages, receipts: a.receipts, ...(a.presentAt ? { presentAt: a.presentAt } : {}),
  };
}

function applicationOf(core: Core, id: string): ApplicationRecord {
  const a = core.enrolment.byId.get(id);
  if (!a) throw new StationFailure('unknown-application', `There is no application ${id}.`);
  return a;
}

function atStep(a: ApplicationRecord, ...steps: EnrolmentStep[]): void {
  if (!steps.includes(a.step)) throw new StationFailure('wrong-step', `${a.id} is at the step “${a.step}”; this needs “${steps.join('” or “')}”. Next: ${NEXT[a.step]}`);
}

const view = (core: Core, id: string): ApplicationView => applicationView(core, core.enrolment.byId.get(id)!);

export interface IdentityCheck {
  readonly application: string;
  readonly document: DocumentType;
  readonly number: string;
  readonly checks: readonly string[];
  readonly outcome: 'accepted' | 'refused';
  readonly reason?: string;
}

/**
 * Records an identity check. At the desk the clerk who checked is the caller; in a bulk run the file
 * names the operator who checked the person (`checkedBy`, an account of this station), and the caller
 * is whoever ran the file.
 */
/**
 * A reason goes into the ledger as typed, and the ledger is never erased: it must not repeat the person's
 * name or their document number (a person's record can then still be erased on request).
 */
function keepsNoPersonalData(core: Core, application: string, reason: string, number?: string): void {
  const fold = (x: string): string => x.normalize('NFC').toLowerCase().replace(/[\s-]+/g, '');
  const r = fold(reason);
  const name = core.directory.name(application);
  const words = name ? name.split(/\s+/).filter((w) => w.length >= 3) : [];
  if ((number && r.includes(fold(number))) || words.some((w) => r.includes(fold(w)))) {
    throw new StationFailure('bad-request', 'The reason repeats the person’s name or document number; the ledger keeps reasons for good, so say why without them (e.g. “the photo does not match”).');
  }
}

export function recordIdentityCheck(core: Core, args: IdentityCheck, ctx: Ctx, checkedBy?: string): ApplicationView {
  const a = applicationOf(core, args.application);
  atStep(a, 'applied');
  const known = IDENTITY_CHECKS[args.document];
  const unknown = args.checks.filter((c) => !Object.hasOwn(known, c));
  if (unknown.length) throw new StationFailure('bad-request', `A ${args.document} has no check named ${unknown.join(', ')}; its checks are ${Object.keys(known).join(', ')}.`);
  if (args.outcome === 'accepted') {
    const missing = missingChecks(args.document, args.checks);
    if (missing.length) throw new StationFailure('bad-request', `An identity is accepted only when every check is confirmed; not confirmed: ${missing.map((m) => known[m]).join(' ')}`);
  } else if (!args.reason) throw new StationFailure('bad-request', 'A refusal keeps its reason: give one.');
  if (args.reason) keepsNoPersonalData(core, a.id, args.reason, args.number);
  core.ledger.append('enrolment.identity-checked', {
    application: a.id, document: args.document, last4: lastDigits(args.number), numberHmac: core.ledger.auditKey.mac(`document number|${args.document}|${args.number.toUpperCase()}`),
    checks: [...args.checks], outcome: args.outcome, ...(args.reason ? { reason: args.reason } : {}), ...(checkedBy ? { checkedBy } : {}), actor: actorOf(ctx),
  }, core.now);
  return view(core, a.id);
}

export function enrolmentHandlers(core: Core): Handlers<{ enrolment: typeof enrolmentCalls }, Operator>['enrolment'] {
  const mac = (what: string, value: string): string => core.ledger.auditKey.mac(`${what}|${value}`);
  /** Packages whose receipt is being printed now: a second call (a double click) is refused, not printed twice. */
  const printing = new Set<string>();
  /** Renders, writes and records one receipt (the caller has checked that none exists or is being printed). */
  const printReceipt = async (a: ApplicationRecord, args: { package: string; to: string }, ctx: Ctx): Promise<{ receipt: string; path: string; package: string }> => {
    const alloc = core.allocations.byId.get(core.allocations.byPackage.get(args.package)!)!;
    const clerk = alloc.actor ?? { host: '' };
    // The name printed is the one given at the desk: the client directory (a plain file) is checked against the ledger's HMAC.
    const name = core.directory.name(a.id);
    if (name !== null && a.nameHmac && mac('client name', name) !== a.nameHmac) {
      throw new StationFailure('data-dir', `The client directory no longer holds the name given for ${a.id} (it was edited outside the station); no receipt is printed. Restore clients/directory.json from a backup.`);
    }
    const body: ReceiptBody = {
      format: 1, receipt: `rcp-${randomBytes(8).toString('hex')}`, hub: core.settings.hubId, client: alloc.client, name: name ?? '(name erased on request)',
      application: a.id, package: args.package,
      medium: { kind: alloc.medium!.kind as ReceiptBody['medium']['kind'], target: alloc.medium!.target, ...(alloc.medium!.serial ? { serial: alloc.medium!.serial } : {}), ...(alloc.medium!.model ? { model: alloc.medium!.model } : {}) },
      ranges: alloc.ranges, bytes: alloc.bytes, packageBytes: alloc.packageBytes ?? 0,
      operators: { clerk: clerk.operator ?? ctx.operator?.name ?? '', ...(clerk.approver ? { approver: clerk.approver } : {}), ...(a.identity ? { identityCheckedBy: a.identity.checkedBy } : {}) },
      time: core.now().toISOString(),
    };
    const pdf = await renderReceipt(body);
    const path = args.to.slice('file:'.length);
    writeNewFile(path, pdf);
    core.ledger.append('enrolment.receipt-issued', { application: a.id, client: alloc.client, package: args.package, receipt: body.receipt, hmac: mac('receipt', receiptCanonical(body)), actor: actorOf(ctx) }, core.now);
    return { receipt: body.receipt, path, package: args.package };
  };
  return {
    apply: async ({ name, medium }, ctx) => {
      const application = `app-${randomBytes(8).toString('hex')}`;
      core.directory.set(application, name);
      core.ledger.append('enrolment.applied', { application, medium, nameHmac: mac('client name', name), actor: actorOf(ctx) }, core.now);
      return view(core, application);
    },
    checkIdentity: async (args, ctx) => recordIdentityCheck(core, args, ctx),
    register: async ({ application }, ctx) => {
      const a = applicationOf(core, application);
      atStep(a, 'identity-checked');
      // The name stays with the application only (the client's is found through it), so a registration
      // cut short by a crash leaves no name under an orphan client ID.
      const client = await core.jobs.run({ kind: 'client-create', title: 'Registering a client', resources: ['pool:segments'], total: 0, unit: 'items', actor: actorOf(ctx), signal: ctx.signal }, (job) =>
        createClient(clientParts(core), { actor: actorOf(ctx), signal: job.signal }),
      );
      core.ledger.append('enrolment.registered', { application: a.id, client: client.client, actor: actorOf(ctx) }, core.now);
      return view(core, a.id);
    },
    handOverKeys: async ({ application, to }, ctx) => {
      const a = applicationOf(core, application);
      atStep(a, 'registered');
      const c = core.clients.byId.get(a.client!)!;
      const medium = exportInitialKeys(core, c, to.slice('file:'.length), ctx);
      core.ledger.append('enrolment.keys-handed-over', { application: a.id, client: c.client, medium, actor: actorOf(ctx) }, core.now);
      return view(core, a.id);
    },
    confirmPresence: async ({ application, code }, ctx) => {
      const a = applicationOf(core, application);
      atStep(a, 'delivered', 'receipted');
      const keys = core.keystore.read(a.client!);
      let expected: string;
      try {
        expected = presenceCode(keys, core.settings.hubId, a.client!);
      } finally {
        keys.fill(0);
      }
      if (!sameCode(code, expected)) throw new StationFailure('presence-mismatch', `The code does not match the initial keys of ${a.client}; nothing was recorded. Check that the client imported the keys from its envelope.`);
      core.ledger.append('enrolment.present', { application: a.id, client: a.client!, actor: actorOf(ctx) }, core.now);
      return view(core, a.id);
    },
    receipt: async (args, ctx) => {
      const a = applicationOf(core, args.application);
      if (!a.packages.includes(args.package)) throw new StationFailure('bad-request', `${args.package} was not delivered to ${a.client ?? 'this application'}.`);
      const issued = [...core.enrolment.receipts.entries()].find(([, r]) => r.package === args.package);
      if (issued) throw new StationFailure('bad-request', `${args.package} already has its receipt, ${issued[0]}; one receipt per delivery (reprint that file, or verify it with \`receipts verify\`).`);
      if (printing.has(args.package)) throw new StationFailure('busy', `The receipt of ${args.package} is being printed already.`);
      printing.add(args.package);
      try {
        return await printReceipt(a, args, ctx);
      } finally {
        printing.delete(args.package);
      }
    },
    verifyReceipt: async ({ path }) => {
      let bytes: Uint8Array;
      try {
        const st = statSync(path);
        if (!st.isFile()) throw new Error('not a file');
        if (st.size > MAX_RECEIPT_BYTES) return { ok: false, problem: `The file is ${st.size} bytes; a receipt is far smaller. It is not a receipt of this station.` };
        bytes = readFileSync(path);
      } catch (e) {
        throw new StationFailure('bad-request', `${path} cannot be read (${ioReason(e)}).`);
      }
      const match = await receiptMatchesFile(bytes);
      if (!match.ok) return { ok: false, problem: match.reason };
      const issued = core.enrolment.receipts.get(match.body.receipt);
      if (!issued) return { ok: false, receipt: match.body.receipt, problem: 'The ledger records no receipt with this ID: it was not issued by this station.' };
      if (issued.hmac !== mac('receipt', receiptCanonical(match.body))) return { ok: false, receipt: match.body.receipt, problem: 'The receipt differs from the one the ledger recorded (its HMAC does not match).' };
      return { ok: true, receipt: match.body.receipt, client: match.body.client, package: match.body.package };
    },
    withdraw: async ({ application, reason }, ctx: Ctx) => {
      const a = applicationOf(core, application);
      atStep(a, 'applied', 'identity-checked');
      keepsNoPersonalData(core, a.id, reason);
      core.ledger.append('enrolment.withdrawn', { application: a.id, reason, actor: actorOf(ctx) }, core.now);
      return view(core, a.id);
    },
    forget: async ({ application }, ctx) => {
      const a = applicationOf(core, application);
      core.directory.erase(a.id);
      if (a.client) core.directory.erase(a.client);
      core.ledger.append('enrolment.personal-data-erased', { application: a.id, ...(a.client ? { client: a.client } : {}), actor: actorOf(ctx) }, core.now);
      return view(core, a.id);
    },
    bulk: (args, ctx) => {
      const plan = planBulk(core, args, ctx);
      return core.jobs.run({ kind: 'bulk-enrolment', title: `Enrolling ${plan.rows.length} applicants from a file`, resources: ['enrolment:bulk'], total: plan.rows.length, unit: 'items', actor: actorOf(ctx), signal: ctx.signal }, () => runBulk(core, plan, ctx));
    },
    list: async ({ open }) =>
      [...core.enrolment.byId.values()].filter((a) => open === undefined || (open === 'yes') === !(a.step === 'refused' || a.step === 'receipted')).map((a) => applicationView(core, a)),
    show: async ({ application }) => applicationView(core, applicationOf(core, application)),
  };
}
