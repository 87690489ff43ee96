// Bulk enrolment for hub operators (issue S7, part 5; docs/applicants-csv.md): a CSV of applicants,
// validated whole before anything happens, then each row taken through the desk's steps — application,
// the identity check recorded under the operator who made it in person, registration, initial keys to
// their own folder, PSRD to the row's medium — with one result per row. The run is recorded
// (`enrolment.bulk-started`, a `bulk-row` per application); run again on the same file after a crash,
// it continues every row at the step it reached, and a row already done is not done twice.
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { BulkResult, BulkRowResult } from '../../../src-shared/api/enrolment';
import { StationFailure } from '../../../src-shared/api/result';
import { describeProblem, parseApplicantsCsv, type Applicant } from '../../../src-shared/enrolment/applicants-csv';
import { IDENTITY_CHECKS } from '../../../src-shared/enrolment/identity-documents';
import { formatBytes } from '../../../src-shared/psrd/size';
import { overwriteAndUnlink } from '../../../src-node/psrd-store/segment-file';
import { actorOf, type Core, type Ctx } from '../core';
import { deliveryHandlers } from '../delivery/handlers';
import { isInside } from '../paths';
import { enrolmentHandlers, recordIdentityCheck } from './handlers';

/** Where a row stands in a run of this file cut short: its application, if the run reached it. */
type Existing = ReturnType<Core['enrolment']['byId']['get']>;

/** What is at a path without following a symlink: null when nothing is (or it cannot be told). */
function lstatOrNull(path: string): ReturnType<typeof lstatSync> | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/**
 * Removes what a voided delivery of this row left on its target, and nothing else: only for the file
 * and qr media, and only a regular file (never a device node such as a usb row's /dev/sdb, a symlink,
 * a FIFO or a folder). Returns whether it removed something.
 */
export function removeVoidedLeftover(medium: Applicant['medium'], target: string): boolean {
  if (medium !== 'file' && medium !== 'qr') return false;
  let removed = false;
  for (const path of leftovers(medium, target)) {
    if (!lstatOrNull(path)?.isFile()) continue;
    overwriteAndUnlink(path);
    removed = true;
  }
  return removed;
}

/** What a delivery to a file or qr target may leave there: the target, and for a file its unfinished `.partial` (hardware/carriers/file.ts). */
const leftovers = (medium: Applicant['medium'], target: string): string[] => (medium === 'file' ? [target, `${target}.partial`] : [target]);

/** A file or qr target holds a regular file left by this row's own voided delivery (a run cut short). */
function voidedLeftover(core: Core, app: Existing, target: string, path: string): boolean {
  if (!app?.client || app.packages.length > 0) return false;
  return core.allocations.ofClient(app.client).some((x) => x.phase === 'voided' && x.medium?.target === target) && lstatOrNull(path)?.isFile() === true;
}

const sameName = (a: string, b: string): boolean => a.normalize('NFC').toLowerCase() === b.normalize('NFC').toLowerCase();

/** Everything that can be known wrong before the first row: the file, the operators it names, the pool, the folders, the approvals, the people. */
function checkWhole(core: Core, rows: readonly Applicant[], keysDir: string, run: Map<number, string> | undefined, approval: { approver?: string } | undefined): string[] {
  const problems: string[] = [];
  if (!isAbsolute(keysDir)) problems.push(`The folder for initial keys must be an absolute path (it was "${keysDir}").`);
  const threshold = core.settings.delivery.twoPersonAboveBytes;
  // The applications of this same run (a run cut short, resumed) are its own; any other accepted one is a person enrolled already.
  const own = new Set(run?.values() ?? []);
  const enrolled = new Map<string, NonNullable<Existing>>();
  for (const a of core.enrolment.byId.values()) {
    if (a.numberHmac && a.identity?.outcome === 'accepted' && a.step !== 'refused' && !own.has(a.id)) enrolled.set(a.numberHmac, a);
  }
  let wanted = 0;
  for (const r of rows) {
    const at = `row ${r.row} (line ${r.line})`;
    const app = run?.get(r.row) !== undefined ? core.enrolment.byId.get(run.get(r.row)!) : undefined;
    // Done already in this run: delivered, or refused (or withdrawn); nothing more to check or to take from the pool.
    if (app && (app.step === 'refused' || app.packages.length > 0)) continue;
    const who = core.accounts.get(r.checkedBy);
    if (!who || who.disabled || !who.roles.some((x) => x === 'desk' || x === 'operator')) {
      problems.push(`${at}: checked_by "${r.checkedBy}" is not an active desk or operator account of this station.`);
    }
    if (r.outcome !== 'accepted') continue;
    if (!app || app.step === 'applied') {
      const other = enrolled.get(core.ledger.auditKey.mac(`document number|${r.document}|${r.documentNumber.toUpperCase()}`));
      if (other) problems.push(`${at}: this person's ${r.document} was accepted already for ${other.client ? `client ${other.client}` : `application ${other.id}`}; a person is enrolled once (remove the row, or withdraw that application first).`);
    }
    if (r.medium === 'hsm') problems.push(`${at}: HSM tokens need their PIN one by one; deliver those at the desk.`);
    if (r.medium === 'qr' && r.bytes > core.settings.delivery.qrMaxBytes) problems.push(`${at}: ${formatBytes(r.bytes)} is more than a QR sheet holds (${formatBytes(core.settings.delivery.qrMaxBytes)}).`);
    // Without the call's context (approval === undefined) the delivery checks it, row by row.
    const approver = approval?.approver;
    if (approval && r.bytes > threshold) {
      if (!approver) problems.push(`${at}: ${formatBytes(r.bytes)} is above the two-person threshold (${formatBytes(threshold)}); run the file with a second operator approving (--approver).`);
      else if (sameName(approver, who?.name ?? r.checkedBy) || sameName(approver, r.checkedBy)) problems.push(`${at}: ${approver} checked this person's identity, so cannot also approve the delivery; another operator must approve the run.`);
    }
    if (r.target && (r.medium === 'file' || r.medium === 'qr')) {
      if (isAbsolute(keysDir) && isInside(r.target, keysDir)) problems.push(`${at}: the PSRD's target is in the folder of the initial keys; they must travel apart.`);
      else {
        const there = leftovers(r.medium, r.target).find((p) => lstatOrNull(p) !== null && !voidedLeftover(core, app, r.target!, p));
        if (there !== undefined) problems.push(`${at}: ${there} exists already; the station writes only a new file (move it away, or choose another name).`);
      }
    }
    // The pool: initial keys unless registered already, the PSRD unless delivered already.
    wanted += (app?.client ? 0 : 64) + r.bytes;
  }
  const have = core.pool.status().unallocatedBytes;
  if (wanted > have) problems.push(`The file asks for ${formatBytes(wanted)} of PSRD (initial keys included) for the rows still to enrol; the pool holds ${formatBytes(have)}. Generate more first.`);
  return problems;
}

export interface BulkPlan {
  readonly rows: readonly Applicant[];
  readonly digest: string;
  readonly keysDir: string;
}

const NOTHING_DONE = 'The file was not used: nothing was done. Fix these and run it again:';

/**
 * The file read and checked whole; throws (nothing recorded, no job started) on any problem. `ctx` is
 * the call's context: its approver approves the rows above the two-person threshold (without it, as
 * callers before it, the threshold is left to each row's delivery).
 */
export function planBulk(core: Core, args: { csv: string; keysDir: string }, ctx?: Pick<Ctx, 'approver'>): BulkPlan {
  const parsed = parseApplicantsCsv(args.csv);
  if (!parsed.ok) {
    const more = parsed.count > parsed.problems.length ? [`… and ${parsed.count - parsed.problems.length} more.`] : [];
    throw new StationFailure('bad-request', [NOTHING_DONE, ...parsed.problems.map(describeProblem), ...more].join('\n'));
  }
  const digest = createHash('sha256').update(args.csv, 'utf8').digest('hex');
  const run = core.enrolment.bulks.get(digest);
  if (run?.finished) throw new StationFailure('bad-request', `This file was enrolled already (${run.id}); nothing was done twice.`);
  const problems = checkWhole(core, parsed.rows, args.keysDir, run?.rows, ctx ? { ...(ctx.approver ? { approver: ctx.approver.name } : {}) } : undefined);
  if (problems.length) {
    const more = problems.length > 1000 ? [`… and ${problems.length - 1000} more.`] : [];
    throw new StationFailure('bad-request', [NOTHING_DONE, ...problems.slice(0, 1000), ...more].join('\n'));
  }
  return { rows: parsed.rows, digest, keysDir: args.keysDir };
}

export async function runBulk(core: Core, plan: BulkPlan, ctx: Ctx): Promise<BulkResult> {
  const { digest } = plan;
  let bulk = core.enrolment.bulks.get(digest);
  const resumed = bulk !== undefined;
  if (!bulk) {
    const id = `blk-${randomBytes(8).toString('hex')}`;
    core.ledger.append('enrolment.bulk-started', { bulk: id, digest, rows: plan.rows.length, actor: actorOf(ctx) }, core.now);
    bulk = core.enrolment.bulks.get(digest)!;
  }
  mkdirSync(plan.keysDir, { recursive: true, mode: 0o700 });
  const steps = enrolmentHandlers(core);
  const deliver = deliveryHandlers(core).deliver;
  const results: BulkRowResult[] = [];
  for (const row of plan.rows) {
    if (ctx.signal.aborted) throw new StationFailure('cancelled', `The bulk enrolment stopped after ${results.length} of ${plan.rows.length} rows; run the same file again to continue.`);
    try {
      results.push(await enrolRow(core, steps, deliver, bulk.id, bulk.rows.get(row.row), row, plan.keysDir, ctx));
    } catch (e) {
      const f = e instanceof StationFailure ? e : new StationFailure('internal', 'Something went wrong inside the station.');
      const app = bulk.rows.get(row.row);
      results.push({ row: row.row, line: row.line, outcome: 'failed', code: f.code, message: f.message, ...(app ? { application: app } : {}) });
    }
  }
  const count = (o: BulkRowResult['outcome']): number => results.filter((r) => r.outcome === o).length;
  const totals = { enrolled: count('enrolled'), refused: count('refused'), failed: count('failed') };
  if (totals.failed === 0) core.ledger.append('enrolment.bulk-finished', { bulk: bulk.id, ...totals, actor: actorOf(ctx) }, core.now);
  return { bulk: bulk.id, digest, resumed, rows: results, ...totals };
}

type Steps = ReturnType<typeof enrolmentHandlers>;
type Deliver = ReturnType<typeof deliveryHandlers>['deliver'];

async function enrolRow(core: Core, steps: Steps, deliver: Deliver, bulk: string, existing: string | undefined, row: Applicant, keysDir: string, ctx: Ctx): Promise<BulkRowResult> {
  let application = existing;
  if (!application) {
    application = (await steps.apply({ name: row.name, medium: row.medium }, ctx)).application;
    core.ledger.append('enrolment.bulk-row', { bulk, row: row.row, application }, core.now);
  }
  const at = (): ReturnType<typeof core.enrolment.byId.get> => core.enrolment.byId.get(application!);
  const done = (outcome: BulkRowResult['outcome']): BulkRowResult => {
    const a = at()!;
    return { row: row.row, line: row.line, outcome, application: a.id, ...(a.client ? { client: a.client } : {}), ...(a.packages.length ? { package: a.packages[a.packages.length - 1] } : {}) };
  };
  if (at()!.step === 'applied') {
    // The file says the check was made in person by checked_by; in bulk, an accepted check confirmed every item of its list.
    const checks = row.outcome === 'accepted' ? Object.keys(IDENTITY_CHECKS[row.document]) : [];
    recordIdentityCheck(core, { application, document: row.document, number: row.documentNumber, checks, outcome: row.outcome, ...(row.reason ? { reason: row.reason } : {}) }, ctx, core.accounts.get(row.checkedBy)!.name);
  }
  if (at()!.step === 'refused') return done('refused');
  if (at()!.step === 'identity-checked') await steps.register({ application }, ctx);
  if (at()!.step === 'registered') {
    const keys = join(keysDir, `${at()!.client}.keys`);
    // A keys file of this client left by a run cut short before it was recorded: this run's own, rewritten.
    if (lstatOrNull(keys)?.isFile()) overwriteAndUnlink(keys);
    await steps.handOverKeys({ application, to: `file:${keys}` }, ctx);
  }
  const a = at()!;
  if (a.step === 'keys-handed-over' && a.packages.length === 0) {
    const target = row.target ?? '';
    const voidedHere = core.allocations.ofClient(a.client!).some((x) => x.phase === 'voided' && x.medium?.target === target);
    // A package left on a file or qr target by a delivery that was voided (a run cut short) is no one's:
    // removed, then delivered afresh. Never anything else (a usb row's target is the device itself).
    if (voidedHere) removeVoidedLeftover(row.medium, target);
    await deliver({ client: a.client!, bytes: row.bytes, to: `${row.medium}:${target}` }, ctx);
  }
  return done('enrolled');
}
