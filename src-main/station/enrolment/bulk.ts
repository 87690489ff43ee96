// Bulk enrolment for hub operators (issue S7, part 5; docs/applicants-csv.md): a CSV of applicants,
// validated whole before anything happens, then each row taken through the desk's steps — application,
// the identity check recorded under the operator who made it in person, registration, initial keys to
// their own folder, PSRD to the row's medium — with one result per row. The run is recorded
// (`enrolment.bulk-started`, a `bulk-row` per application); run again on the same file after a crash,
// it continues every row at the step it reached, and a row already done is not done twice.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { BulkResult, BulkRowResult } from '../../../src-shared/api/enrolment';
import { StationFailure } from '../../../src-shared/api/result';
import { describeProblem, parseApplicantsCsv, type Applicant } from '../../../src-shared/enrolment/applicants-csv';
import { IDENTITY_CHECKS } from '../../../src-shared/enrolment/identity-documents';
import { formatBytes } from '../../../src-shared/psrd/size';
import { overwriteAndUnlink } from '../../../src-node/psrd-store/segment-file';
import { actorOf, type Core, type Ctx } from '../core';
import { deliveryHandlers } from '../delivery/handlers';
import { enrolmentHandlers, recordIdentityCheck } from './handlers';

/** Everything that can be known wrong before the first row: the file, the operators it names, the pool, the folders. */
function checkWhole(core: Core, rows: readonly Applicant[], keysDir: string): string[] {
  const problems: string[] = [];
  if (!isAbsolute(keysDir)) problems.push(`The folder for initial keys must be an absolute path (it was "${keysDir}").`);
  for (const r of rows) {
    const who = core.accounts.get(r.checkedBy);
    if (!who || who.disabled || !who.roles.some((x) => x === 'desk' || x === 'operator')) {
      problems.push(`row ${r.row} (line ${r.line}): checked_by "${r.checkedBy}" is not an active desk or operator account of this station.`);
    }
    if (r.outcome === 'accepted' && r.medium === 'hsm') problems.push(`row ${r.row} (line ${r.line}): HSM tokens need their PIN one by one; deliver those at the desk.`);
    if (r.outcome === 'accepted' && r.medium === 'qr' && r.bytes > core.settings.delivery.qrMaxBytes) problems.push(`row ${r.row} (line ${r.line}): ${formatBytes(r.bytes)} is more than a QR sheet holds (${formatBytes(core.settings.delivery.qrMaxBytes)}).`);
    if (r.target && dirname(r.target) === keysDir) problems.push(`row ${r.row} (line ${r.line}): the PSRD's target is in the folder of the initial keys; they must travel apart.`);
  }
  const wanted = rows.filter((r) => r.outcome === 'accepted').reduce((n, r) => n + r.bytes + 64, 0);
  const have = core.pool.status().unallocatedBytes;
  if (wanted > have) problems.push(`The file asks for ${formatBytes(wanted)} of PSRD (initial keys included); the pool holds ${formatBytes(have)}. Generate more first.`);
  return problems;
}

export interface BulkPlan {
  readonly rows: readonly Applicant[];
  readonly digest: string;
  readonly keysDir: string;
}

/** The file read and checked whole; throws (nothing recorded, no job started) on any problem. */
export function planBulk(core: Core, args: { csv: string; keysDir: string }): BulkPlan {
  const parsed = parseApplicantsCsv(args.csv);
  if (!parsed.ok) {
    const more = parsed.count > parsed.problems.length ? [`… and ${parsed.count - parsed.problems.length} more.`] : [];
    throw new StationFailure('bad-request', ['The file was not used: nothing was done. Fix these and run it again:', ...parsed.problems.map(describeProblem), ...more].join('\n'));
  }
  const problems = checkWhole(core, parsed.rows, args.keysDir);
  if (problems.length) throw new StationFailure('bad-request', ['The file was not used: nothing was done. Fix these and run it again:', ...problems.slice(0, 1000)].join('\n'));
  const digest = createHash('sha256').update(args.csv, 'utf8').digest('hex');
  const done = core.enrolment.bulks.get(digest);
  if (done?.finished) throw new StationFailure('bad-request', `This file was enrolled already (${done.id}); nothing was done twice.`);
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
    if (existsSync(keys)) overwriteAndUnlink(keys);
    await steps.handOverKeys({ application, to: `file:${keys}` }, ctx);
  }
  const a = at()!;
  if (a.step === 'keys-handed-over' && a.packages.length === 0) {
    const target = row.target ?? '';
    const voidedHere = core.allocations.ofClient(a.client!).some((x) => x.phase === 'voided' && x.medium?.target === target);
    // A package left on the target by a delivery that was voided (a run cut short) is no one's: removed, then delivered afresh.
    if (voidedHere && existsSync(target)) overwriteAndUnlink(target);
    await deliver({ client: a.client!, bytes: row.bytes, to: `${row.medium}:${target}` }, ctx);
  }
  return done('enrolled');
}
