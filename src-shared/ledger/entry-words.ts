// Every ledger entry in plain words, for the auditor's browser, its CSV and its PDF: one sentence per
// entry type of the catalogue (./catalogue.ts), made from the entry's typed data. An entry whose type the
// catalogue does not know, or whose data is not of its type's shape, is named by its type and its facts
// (never dropped, never guessed at). The words are the domain's: segments, ranges, allocations, clients,
// range reports; sizes exact, numbers grouped, times as recorded (UTC).
import { readEntry, type CataloguedType, type EntryDataOf, type RawEntry } from './catalogue';

/** 1234567 → "1,234,567". */
export function grouped(n: number): string {
  const [int, frac] = String(Math.abs(n)).split('.');
  const g = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${n < 0 ? '-' : ''}${g}${frac ? `.${frac}` : ''}`;
}

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** A size people read and auditors can trust: "2 MiB", "1.50 MiB (1,572,864 bytes)", "64 bytes". */
export function sizeInWords(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  if (Math.abs(bytes) < 1024) return `${grouped(bytes)} byte${bytes === 1 ? '' : 's'}`;
  let unit = -1;
  let v = bytes;
  while (Math.abs(v) >= 1024 && unit < UNITS.length - 1) {
    v /= 1024;
    unit++;
  }
  const exact = Number.isInteger(v);
  return exact ? `${grouped(v)} ${UNITS[unit]}` : `${v.toFixed(2)} ${UNITS[unit]} (${grouped(bytes)} bytes)`;
}

type Actor = { readonly host: string; readonly operator?: string; readonly approver?: string } | undefined;

/** ", by NAME (approved by NAME)" — who did it, as the ledger recorded it. */
function by(actor: Actor): string {
  if (!actor?.operator) return '';
  return ` by ${actor.operator}${actor.approver ? `, approved by ${actor.approver}` : ''}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${grouped(n)} ${n === 1 ? one : many}`;
}

function list(items: readonly string[]): string {
  if (items.length === 0) return 'none';
  return items.join(', ');
}

type Medium = { readonly kind: string; readonly target: string; readonly serial?: string };

function mediumWords(m: Medium | undefined): string {
  if (!m) return '';
  const kind = { usb: 'USB drive', hsm: 'token', qr: 'QR sheet', file: 'file', keystore: "the station's keystore" }[m.kind] ?? m.kind;
  return m.kind === 'keystore' ? kind : `${kind} ${m.target}${m.serial ? ` (serial ${m.serial})` : ''}`;
}

const TESTS = { rct: 'repetition count test (rct)', apt: 'adaptive proportion test (apt)', source: 'device check (source)' } as const;

/** One sentence per catalogued type: the compiler checks that every type has one. */
const words: { readonly [T in CataloguedType]: (d: EntryDataOf<T>) => string } = {
  'station.created': (d) => `The station was created with its master key (${d.masterKey.description}).`,
  'station.sources-configured': (d) => `The entropy sources were set to ${list(d.sources)}${by(d.actor)}.`,
  'ledger.torn-tail-removed': (d) => `A line torn by a crash (${sizeInWords(d.bytes)}) was cut off the end of the ledger at start.`,

  'operator.created': (d) => `Account ${d.name} was created with the role${d.roles.length === 1 ? '' : 's'} ${list(d.roles)}${by(d.actor)}.`,
  'operator.disabled': (d) => `Account ${d.name} was disabled${by(d.actor)}.`,
  'operator.enabled': (d) => `Account ${d.name} was enabled${by(d.actor)}.`,
  'operator.passphrase-set': (d) => `The passphrase of ${d.name} was set (${d.reason})${by(d.actor)}.`,
  'operator.sign-in-refused': (d) => `Signing in as ${d.name} at ${d.host} was refused: ${d.reason}${d.failures ? ` (${plural(d.failures, 'failure')} in a row)` : ''}.`,
  'operator.locked-out': (d) => `${d.name} was locked out until ${d.until} after ${plural(d.failures, 'failed sign-in')} at ${d.host}: ${d.reason}.`,

  'job.started': (d) => `Job ${d.job} started: ${d.title}${by(d.actor)}.`,
  'job.ended': (d) => `Job ${d.job} ended: ${d.outcome}${d.code ? ` (${d.code})` : ''}.`,
  'job.interrupted': (d) => `Job ${d.job} (${d.kind}) was cut off by a stop; ${d.resolution === 'resumable' ? 'it can be resumed' : 'it was voided'}.`,

  'pool.generation-started': (d) =>
    `A generation of ${sizeInWords(d.bytes)} of ${d.label} PSRD from ${list(d.sources)} started (job ${d.job}${d.resumes ? `, resuming ${d.resumes}` : ''})${by(d.actor)}.`,
  'pool.segment-added': (d) => `Segment ${d.segment} of ${sizeInWords(d.bytes)} (${d.label}, from ${list(d.sources)}) was added to the pool by job ${d.job}.`,
  'pool.generation-finished': (d) => `The generation finished: ${sizeInWords(d.bytes)} in ${plural(d.segments, 'segment')} (job ${d.job}).`,
  'pool.generation-failed': (d) =>
    `The generation failed after ${sizeInWords(d.bytesDone)} in ${plural(d.segments, 'segment')}, ${sizeInWords(d.bytesRemaining)} not made: ${d.reason} (${d.code}, job ${d.job}).`,
  'pool.generation-interrupted': (d) => `The generation was interrupted after ${sizeInWords(d.bytesDone)}; ${sizeInWords(d.bytesRemaining)} remain (job ${d.job}).`,
  'pool.partial-segment-discarded': (d) => `The unfinished segment ${d.segment} of job ${d.job} was discarded: ${d.reason}.`,
  'pool.segment-lost': (d) => `Segment ${d.segment} (${sizeInWords(d.bytes)}) was lost: ${d.reason}.`,
  'pool.segment-destroyed': (d) => `Segment ${d.segment} (${sizeInWords(d.bytes)}) was destroyed by ${d.method}: ${d.reason}${by(d.actor)}.`,
  'pool.range-destroyed': (d) =>
    `${sizeInWords(d.length)} at offset ${grouped(d.offset)} of segment ${d.segment} ${d.length === 1 ? 'was' : 'were'} destroyed${d.allocation ? ` for allocation ${d.allocation}` : ''}${d.method ? ` by ${d.method}` : ''}: ${d.reason}.`,
  'pool.destruction-done': (d) => `The file work of ${plural(d.entries.length, 'range destruction')} is finished.`,
  'pool.scrubbed': (d) =>
    `The pool was scrubbed: ${plural(d.segments, 'segment')}, ${plural(d.chunks, 'chunk')}, ${sizeInWords(d.bytes)} checked; ${d.damagedCount === 0 ? 'nothing damaged' : `${plural(d.damagedCount, 'chunk')} damaged`}${by(d.actor)}.`,
  'pool.scrub-stopped': (d) =>
    `A scrub stopped (${d.code}) after ${plural(d.segments, 'segment')} and ${sizeInWords(d.bytes)}; ${d.damagedCount === 0 ? 'nothing damaged so far' : `${plural(d.damagedCount, 'chunk')} damaged`}${by(d.actor)}.`,

  'entropy.source-failed': (d) =>
    `Entropy source ${d.label} (${d.source}) failed the ${TESTS[d.test]}: ${d.reason} (${d.code}); ${sizeInWords(d.droppedBytes)} dropped, and the source is latched FAILED.`,
  'entropy.source-warning': (d) => `Entropy source ${d.label} (${d.source}) warned: ${d.warnings.join('; ')}.`,
  'entropy.source-acknowledged': (d) => `The failed entropy source ${d.source} was acknowledged and may be used again${by(d.actor)}.`,

  'allocation.reserved': (d) =>
    `${sizeInWords(d.bytes)} of ${d.purpose === 'psrd' ? 'PSRD' : 'initial keys'} in ${plural(d.ranges.length, 'range')} ${d.bytes === 1 ? 'was' : 'were'} reserved for client ${d.client} (allocation ${d.allocation}${d.package ? `, package ${d.package}` : ''}${d.medium ? `, to ${mediumWords(d.medium)}` : ''})${by(d.actor)}.`,
  'allocation.written': (d) => `Allocation ${d.allocation} was written: a package of ${sizeInWords(d.packageBytes)}${d.medium ? ` to ${mediumWords(d.medium)}` : ''}.`,
  'allocation.verified': (d) => `Allocation ${d.allocation} was verified (${d.method}).`,
  'allocation.delivered': (d) => `Allocation ${d.allocation} was delivered; range report #${grouped(d.report)} is queued for the Security Server.`,
  'allocation.sheet-destroyed': (d) => `The QR sheet's PDF of allocation ${d.allocation} (${d.target}) ${d.found ? 'was overwritten and removed' : 'was not found'}${by(d.actor)}.`,
  'allocation.voided': (d) => `Allocation ${d.allocation} was voided (${d.code}): ${d.reason}; range report #${grouped(d.report)} tells the Security Server${by(d.actor)}.`,

  'client.created': (d) => `Client ${d.client} was created (initial keys from allocation ${d.allocation}, check value ${d.checkValue})${by(d.actor)}.`,
  'client.suspended': (d) => `Client ${d.client} was suspended: ${d.reason}${by(d.actor)}.`,
  'client.resumed': (d) => `Client ${d.client} was resumed${by(d.actor)}.`,
  'client.revoked': (d) => `Client ${d.client} was revoked for good: ${d.reason}; range report #${grouped(d.report)} tells the Security Server${by(d.actor)}.`,
  'client.package-lost': (d) => `Package ${d.package} of client ${d.client} was reported lost: ${d.reason}; range report #${grouped(d.report)} tells the Security Server${by(d.actor)}.`,
  'client.initial-keys-exported': (d) => `The initial keys of client ${d.client} were exported to ${mediumWords(d.medium)}${by(d.actor)}.`,

  'sync.registered': (d) => `The station registered with the Security Server of hub ${d.hub} as station ${d.station.slice(0, 16)}… (keys check value ${d.keysCheck})${by(d.actor)}.`,
  'sync.exported': (d) => `Range reports #${grouped(d.first)} to #${grouped(d.last)} (${grouped(d.reports)}) were exported to ${d.path}${by(d.actor)}.`,
  'sync.shipment-started': (d) => `Shipment ${d.shipment} of ${plural(d.segments.length, 'segment')} (${sizeInWords(d.bytes)}) was begun to ${d.path}${by(d.actor)}.`,
  'sync.shipment-written': (d) => `Shipment ${d.shipment} was written: ${sizeInWords(d.fileBytes)} to ${d.path}.`,
  'sync.shipment-acknowledged': (d) =>
    `The Security Server acknowledged shipment ${d.shipment}: ${plural(d.segments, 'segment')}, ${sizeInWords(d.bytes)} (by ${d.via === 'file' ? 'file' : 'network'})${by(d.actor)}.`,
  'sync.acknowledged': (d) =>
    `The Security Server applied range reports up to #${grouped(d.appliedUpTo)}${d.witnessedTreeSize ? `, witnessing ${plural(d.witnessedTreeSize, 'ledger entry', 'ledger entries')}` : ''}${d.refusedSeq ? `; it refused report #${grouped(d.refusedSeq)}${d.refusedCode ? ` (${d.refusedCode})` : ''}${d.refusedReason ? `: ${d.refusedReason}` : ''}` : ''} (by ${d.via === 'file' ? 'file' : 'network'})${by(d.actor)}.`,
  'sync.acknowledgement-refused': (d) => `An acknowledgement of ${d.kind} (by ${d.via === 'file' ? 'file' : 'network'}) was refused: ${d.reason}${by(d.actor)}.`,
  'sync.shipment-abandoned': (d) => `Shipment ${d.shipment} was abandoned: ${d.reason}${by(d.actor)}.`,

  'enrolment.applied': (d) => `Application ${d.application} was opened (medium: ${d.medium})${by(d.actor)}.`,
  'enrolment.identity-checked': (d) =>
    `The identity for ${d.application} was checked on a ${d.document} ending ${d.last4} (${list(d.checks)}): ${d.outcome}${d.reason ? `, ${d.reason}` : ''}${d.checkedBy ? `; checked in person by ${d.checkedBy}` : ''}${by(d.actor)}.`,
  'enrolment.bulk-started': (d) => `Bulk enrolment ${d.bulk} of ${plural(d.rows, 'row')} started${by(d.actor)}.`,
  'enrolment.bulk-row': (d) => `Row ${grouped(d.row)} of bulk enrolment ${d.bulk} is application ${d.application}.`,
  'enrolment.bulk-finished': (d) => `Bulk enrolment ${d.bulk} finished: ${grouped(d.enrolled)} enrolled, ${grouped(d.refused)} refused, ${grouped(d.failed)} failed${by(d.actor)}.`,
  'enrolment.registered': (d) => `Application ${d.application} was registered as client ${d.client}${by(d.actor)}.`,
  'enrolment.keys-handed-over': (d) => `The initial keys of client ${d.client} were handed over on ${mediumWords(d.medium)} (application ${d.application})${by(d.actor)}.`,
  'enrolment.present': (d) => `Client ${d.client} confirmed being present (application ${d.application})${by(d.actor)}.`,
  'enrolment.receipt-issued': (d) => `Receipt ${d.receipt} was issued for package ${d.package} of client ${d.client}${by(d.actor)}.`,
  'enrolment.personal-data-erased': (d) => `The personal data of application ${d.application}${d.client ? ` (client ${d.client})` : ''} was erased${by(d.actor)}.`,
  'enrolment.withdrawn': (d) => `Application ${d.application} was withdrawn: ${d.reason}${by(d.actor)}.`,

  'delivery.range-delivered': (d) =>
    `${sizeInWords(d.length)} from segment ${d.segment} at offset ${grouped(d.offset)} ${d.length === 1 ? 'was' : 'were'} delivered to client ${d.client} in package ${d.package} on ${d.medium}${d.drive ? ` (drive ${d.drive.vendorId}:${d.drive.productId}, serial ${d.drive.serial})` : ''}${d.token ? ` (token ${d.token.label}, serial ${d.token.serial})` : ''}; ${d.verified}${by(d.actor)}.`,
};

/** An entry's facts in one line: "key: value · key: value" (objects and lists as JSON). */
export function factsLine(data: unknown): string {
  if (typeof data !== 'object' || data === null) return JSON.stringify(data) ?? '';
  return Object.entries(data)
    .map(([k, v]) => `${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(' · ');
}

/** The entry in plain words: its type's sentence, or, when the catalogue cannot read it, its type and facts. */
export function entryInWords(e: RawEntry): string {
  const typed = readEntry(e);
  if (typed.ok && typed.value.type in words) {
    const say = words[typed.value.type as CataloguedType] as (d: unknown) => string;
    return say(typed.value.data);
  }
  const facts = typeof e.data === 'object' && e.data !== null ? Object.keys(e.data) : [];
  return `${e.type}${typed.ok ? '' : ' (not an entry the catalogue can read)'}: ${facts.length ? facts.join(', ') : 'no facts'}.`;
}

/** Whether the catalogue has a sentence for this type (and can read entries of it). */
export function hasWords(type: string): boolean {
  return Object.hasOwn(words, type);
}
