// The catalogue of ledger entry types (issue S5, build item 7): for each type the station writes, the
// version of its data's shape and a validator for it, built from the same small validators as the API
// (../api/validate.ts), so that the data's static type is inferred from the validator (EntryDataOf).
// Ledger.append refuses data that does not match its type's validator — a programming error, before
// anything is written — and readers get a typed view of an entry with readEntry. A type that is not
// here is refused, except `test.*`, which tests and benchmarks write with any plain JSON data.
// Adding a type, or changing a shape, is a line here and in docs/formats.md ("Entry types"); a changed
// shape gets the next version.
import { ROLES } from '../api/operators';
import { boolean, integer, list, object, oneOf, optional, text, type Check, type Infer, type Validator } from '../api/validate';

/** Plain JSON: null, booleans, finite numbers, strings, lists of these, and plain objects of these. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

/** How deep plain JSON may nest: far deeper than any provenance, and no deeper than a stack can take. */
const JSON_DEPTH = 64;

function jsonCheck(x: unknown, path: string, depth: number): string | undefined {
  const at = path || 'data';
  if (x === null || typeof x === 'boolean' || typeof x === 'string') return undefined;
  if (typeof x === 'number') return Number.isFinite(x) ? undefined : `${at} must be a finite number`;
  if (typeof x !== 'object') return `${at} must be plain JSON, not a ${typeof x}`;
  if (depth >= JSON_DEPTH) return `${at} nests deeper than ${JSON_DEPTH} levels`;
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      const bad = jsonCheck(x[i], `${path}[${i}]`, depth + 1);
      if (bad) return bad;
    }
    return undefined;
  }
  const proto = Object.getPrototypeOf(x);
  if (proto !== Object.prototype && proto !== null) return `${at} must be a plain object`;
  for (const [k, v] of Object.entries(x)) {
    if (k === '__proto__') return `${path ? `${path}.${k}` : k} is not an accepted name`;
    const bad = jsonCheck(v, path ? `${path}.${k}` : k, depth + 1);
    if (bad) return bad;
  }
  return undefined;
}

/** A plain JSON object, whatever its keys: for free-form data (the entropy pipeline's provenance, `test.*`). */
export function jsonObject(): Validator<JsonObject> {
  return (x, path = '') => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) return { ok: false, reason: `${path || 'data'} must be an object` };
    const bad = jsonCheck(x, path, 0);
    return bad ? { ok: false, reason: bad } : { ok: true, value: x as JsonObject };
  };
}

/** `inner`, or null (a scrub's damage to a file's header has no chunk). */
function nullable<T>(inner: Validator<T>): Validator<T | null> {
  return (x, path = '') => (x === null ? { ok: true, value: null } : inner(x, path));
}

// The pieces entries share.
const count = integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const positive = integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
/** Sentences for people: reasons, failure messages, descriptions. */
const prose = text({ maxLength: 8192 });
/** Short machine words: error codes, job kinds, methods. */
const word = text({ maxLength: 200 });
/** Entropy source specs, device keys and paths (a path may be long). */
const spec = text({ maxLength: 4096 });
const hex64 = text({ maxLength: 64, pattern: /^[0-9a-f]{64}$/ });
const hex4 = text({ maxLength: 4, pattern: /^[0-9a-f]{4}$/ });
const jobId = text({ maxLength: 20, pattern: /^job-[0-9a-f]{16}$/ });
const segmentId = text({ maxLength: 28, pattern: /^seg-[0-9a-f]{24}$/ });
const shipmentId = text({ maxLength: 36, pattern: /^shp-[0-9a-f]{32}$/ });
const applicationId = text({ maxLength: 20, pattern: /^app-[0-9a-f]{16}$/ });
const allocationId = text({ maxLength: 20, pattern: /^alc-[0-9a-f]{16}$/ });
const clientId = text({ maxLength: 24, pattern: /^c-[0-9]{6,20}$/ });
const packageId = text({ maxLength: 36, pattern: /^pkg-[0-9a-f]{32}$/ });
const range = object({ segment: segmentId, offset: count, length: positive });
/** A medium as the delivery recorded it (hardware/carriers/carrier.ts, MediumRecord); 'keystore' is the station's own, for initial keys. */
const medium = object({
  kind: oneOf(['usb', 'hsm', 'qr', 'file', 'keystore']), target: spec, serial: optional(spec), model: optional(spec),
  sizeBytes: optional(count), pages: optional(count), codes: optional(count),
});
/** An account's name as recorded (a refused sign-in records whatever name was tried, cut to 64). */
const name = text({ maxLength: 64 });
const host = text({ maxLength: 64 });
const entropyLabel = oneOf(['information-theoretic', 'computational']);
const specs = list(spec, { maxItems: 64 });

/** Who did something: the transport's host, the signed-in operator, the second operator who approved. */
const actor = object({ host, operator: optional(name), approver: optional(name) });

/** What a scrub checked and found (src-shared/api/pool.ts, ScrubResult). */
const scrubTotals = {
  segments: count,
  chunks: count,
  bytes: count,
  damaged: list(object({ segment: segmentId, chunk: nullable(count), offset: nullable(count), reason: prose }), { maxItems: 1000 }),
  damagedCount: count,
};

/** One catalogue line: the version of the type's data shape and its validator. */
function entry<const N extends number, V extends Validator<Record<string, unknown>>>(version: N, data: V): { readonly version: N; readonly data: V } {
  return { version, data };
}

/** Every entry type the station writes, with the version of its data's shape. */
export const catalogue = {
  'station.created': entry(1, object({ masterKey: object({ description: prose, check: text({ maxLength: 1024, pattern: /^[A-Za-z0-9+/]*={0,2}$/ }), digest: hex64 }) })),
  'station.sources-configured': entry(1, object({ sources: specs, actor })),
  'ledger.torn-tail-removed': entry(1, object({ bytes: positive })),

  'operator.created': entry(1, object({ name, roles: list(oneOf(ROLES), { minItems: 1, maxItems: ROLES.length }), actor })),
  'operator.disabled': entry(1, object({ name, actor })),
  'operator.enabled': entry(1, object({ name, actor })),
  'operator.passphrase-set': entry(1, object({ name, reason: prose, actor })),
  'operator.sign-in-refused': entry(1, object({ name, reason: prose, failures: optional(positive), host })),
  'operator.locked-out': entry(1, object({ name, reason: prose, failures: positive, host, until: text({ maxLength: 40 }) })),

  'job.started': entry(1, object({ job: jobId, kind: word, title: prose, resources: list(spec, { maxItems: 100 }), resumable: boolean(), actor })),
  'job.ended': entry(1, object({ job: jobId, outcome: oneOf(['done', 'failed', 'cancelled']), code: optional(word) })),
  'job.interrupted': entry(1, object({ job: jobId, kind: word, resolution: oneOf(['resumable', 'voided']) })),

  'pool.generation-started': entry(1, object({ job: jobId, bytes: positive, sources: specs, label: entropyLabel, resumes: optional(jobId), actor: optional(actor) })),
  'pool.segment-added': entry(1, object({ segment: segmentId, bytes: positive, chunkBytes: positive, job: jobId, label: entropyLabel, sources: specs, provenance: jsonObject() })),
  'pool.generation-finished': entry(1, object({ job: jobId, bytes: positive, segments: count })),
  'pool.generation-failed': entry(1, object({ job: jobId, bytesDone: count, bytesRemaining: count, segments: count, code: word, reason: prose, notRemoved: optional(list(spec, { maxItems: 10_000 })) })),
  'pool.generation-interrupted': entry(1, object({ job: jobId, bytesDone: count, bytesRemaining: count })),
  'pool.partial-segment-discarded': entry(1, object({ segment: segmentId, job: jobId, reason: prose })),
  'pool.segment-lost': entry(1, object({ segment: segmentId, bytes: count, reason: prose })),
  'pool.segment-destroyed': entry(1, object({ segment: segmentId, bytes: count, reason: prose, method: prose, actor: optional(actor) })),
  // `method` is optional only because tests record a destruction without one (test/pool/crypto-erase.test.ts); the pool always names it.
  'pool.range-destroyed': entry(1, object({ segment: segmentId, offset: count, length: positive, reason: prose, method: optional(prose), allocation: optional(allocationId) })),
  /** The file work of these range destructions (their entries' seqs) is finished: recovery need not redo them. */
  'pool.destruction-done': entry(1, object({ entries: list(count, { minItems: 1, maxItems: 100_000 }) })),
  'pool.scrubbed': entry(1, object({ ...scrubTotals, actor: optional(actor) })),
  'pool.scrub-stopped': entry(1, object({ ...scrubTotals, code: word, actor: optional(actor) })),

  'entropy.source-failed': entry(
    1,
    object({
      source: spec, label: prose, vendorId: optional(word), productId: optional(word), serial: optional(spec),
      device: spec, deviceKeys: list(spec, { maxItems: 16 }), devicePath: optional(spec), deviceNumber: optional(word),
      test: oneOf(['rct', 'apt', 'source']), code: word, reason: prose, sampleIndex: count, droppedBytes: count,
    }),
  ),
  'entropy.source-warning': entry(1, object({ source: spec, label: prose, warnings: list(prose, { maxItems: 100 }) })),
  'entropy.source-acknowledged': entry(1, object({ source: spec, device: spec, latchedAs: spec, operator: optional(name), approver: optional(name), actor, failureSeq: count })),

  // Allocation (issue S6): a range of the pool to one client, reserved → written → verified → destroyed
  // here → settled (delivered or voided) with a range report queued for the Security Server.
  'allocation.reserved': entry(1, object({
    allocation: allocationId, client: clientId, purpose: oneOf(['psrd', 'initial-keys']), package: optional(packageId),
    ranges: list(range, { minItems: 1, maxItems: 10_000 }), bytes: positive, medium: optional(medium), job: optional(jobId), actor,
  })),
  'allocation.written': entry(1, object({ allocation: allocationId, packageBytes: positive, medium: optional(medium) })),
  'allocation.verified': entry(1, object({ allocation: allocationId, method: prose })),
  'allocation.delivered': entry(1, object({ allocation: allocationId, report: positive })),
  /** A printed QR sheet's PDF, destroyed once printed (the paper is the client's copy; the file would be a third). */
  'allocation.sheet-destroyed': entry(1, object({ allocation: allocationId, target: spec, found: boolean(), actor })),
  'allocation.voided': entry(1, object({ allocation: allocationId, code: word, reason: prose, report: positive, actor: optional(actor) })),

  // Clients (issue S6, spec §11.1): never a name in the ledger, only an HMAC of it under the audit key.
  'client.created': entry(1, object({ client: clientId, allocation: allocationId, checkValue: text({ maxLength: 8, pattern: /^[0-9a-f]{8}$/ }), nameHmac: optional(hex64), actor })),
  'client.suspended': entry(1, object({ client: clientId, reason: prose, actor })),
  'client.resumed': entry(1, object({ client: clientId, actor })),
  /** Revoked for good; a report tells the Security Server to destroy the client's PSRD table. */
  'client.revoked': entry(1, object({ client: clientId, reason: prose, report: positive, actor })),
  /** A package reported lost: its ID is refused from then on, and the Security Server destroys its copy. */
  'client.package-lost': entry(1, object({ client: clientId, package: packageId, reason: prose, report: positive, actor })),
  'client.initial-keys-exported': entry(1, object({ client: clientId, medium, actor })),

  // The link to the Security Server (issue S8): the registration (no key material, a check value of the
  // report key), and each batch of range reports exported to a file (its SHA-256).
  'sync.registered': entry(1, object({ station: hex64, hub: word, createdAt: text({ maxLength: 40 }), keysCheck: text({ maxLength: 8, pattern: /^[0-9a-f]{8}$/ }), actor })),
  'sync.exported': entry(1, object({ first: positive, last: positive, reports: positive, digest: hex64, path: spec, actor })),
  // Bulk shipments of the pool (§10.1): chosen and begun (its segments can no longer be chosen for
  // another), written (the file's SHA-256), acknowledged by the server (from then on its segments may be
  // allocated). `via`: an acknowledgement imported from a file, or fetched online.
  'sync.shipment-started': entry(1, object({ shipment: shipmentId, segments: list(segmentId, { minItems: 1, maxItems: 10_000 }), bytes: positive, chunkBytes: positive, createdAt: text({ maxLength: 40 }), path: spec, job: optional(jobId), actor })),
  'sync.shipment-written': entry(1, object({ shipment: shipmentId, fileBytes: positive, digest: hex64, path: spec })),
  'sync.shipment-acknowledged': entry(1, object({ shipment: shipmentId, segments: positive, bytes: positive, serverTime: text({ maxLength: 40 }), via: oneOf(['file', 'online']), actor: optional(actor) })),
  /** The server's acknowledgement of range reports: how far it applied them, the checkpoint it witnessed, a refusal with its reason. */
  'sync.acknowledged': entry(1, object({
    appliedUpTo: count, witnessedTreeSize: optional(positive), witnessedRoot: optional(hex64), refusedSeq: optional(positive), refusedCode: optional(word), refusedReason: optional(prose),
    serverTime: text({ maxLength: 40 }), via: oneOf(['file', 'online']), actor: optional(actor),
  })),
  /** An acknowledgement that authenticated but contradicts this station's own record (see the reason): nothing was drained. */
  'sync.acknowledgement-refused': entry(1, object({ kind: word, reason: prose, via: oneOf(['file', 'online']), actor: optional(actor) })),
  /** A shipment whose write never finished, given up: its segments may be chosen again (two operators). */
  'sync.shipment-abandoned': entry(1, object({ shipment: shipmentId, reason: prose, actor })),

  // Enrolment (issue S7, spec §11.1): every step names its operator; a person's name and document number
  // appear only as HMACs under the audit key (the name itself is in the client directory).
  'enrolment.applied': entry(1, object({ application: applicationId, medium: oneOf(['usb', 'hsm', 'qr', 'file']), nameHmac: hex64, actor })),
  'enrolment.identity-checked': entry(1, object({
    application: applicationId, document: oneOf(['passport', 'id-card', 'driving-licence', 'residence-permit']), last4: text({ maxLength: 4, pattern: /^[A-Za-z0-9]{1,4}$/ }),
    numberHmac: hex64, checks: list(word, { maxItems: 20 }), outcome: oneOf(['accepted', 'refused']), reason: optional(prose),
    // In a bulk run: the operator who checked the person in person (the actor is who ran the file).
    checkedBy: optional(name), actor,
  })),
  'enrolment.bulk-started': entry(1, object({ bulk: text({ maxLength: 20, pattern: /^blk-[0-9a-f]{16}$/ }), digest: hex64, rows: positive, actor })),
  'enrolment.bulk-row': entry(1, object({ bulk: text({ maxLength: 20, pattern: /^blk-[0-9a-f]{16}$/ }), row: positive, application: applicationId })),
  'enrolment.bulk-finished': entry(1, object({ bulk: text({ maxLength: 20, pattern: /^blk-[0-9a-f]{16}$/ }), enrolled: count, refused: count, failed: count, actor })),
  'enrolment.registered': entry(1, object({ application: applicationId, client: clientId, actor })),
  'enrolment.keys-handed-over': entry(1, object({ application: applicationId, client: clientId, medium, actor })),
  'enrolment.present': entry(1, object({ application: applicationId, client: clientId, actor })),
  'enrolment.receipt-issued': entry(1, object({ application: applicationId, client: clientId, package: packageId, receipt: text({ maxLength: 20, pattern: /^rcp-[0-9a-f]{16}$/ }), hmac: hex64, actor })),
  'enrolment.personal-data-erased': entry(1, object({ application: applicationId, client: optional(clientId), actor })),
  'enrolment.withdrawn': entry(1, object({ application: applicationId, reason: prose, actor })),

  // Declared ahead of the delivery and enrolment issues, with the shapes bench/ledger.ts writes.
  'delivery.range-delivered': entry(
    1,
    object({
      client: word, package: word, segment: segmentId, offset: count, length: positive, medium: word,
      // A USB drive, or a client's token (medium 'hsm').
      drive: optional(object({ vendorId: hex4, productId: hex4, serial: spec, sizeBytes: count })),
      token: optional(object({ label: word, serial: spec })),
      verified: prose, actor,
    }),
  ),
} as const;

export type CataloguedType = keyof typeof catalogue;
/** The data of an entry of type T, as its validator accepts it. */
export type EntryDataOf<T extends CataloguedType> = Infer<(typeof catalogue)[T]['data']>;
/** Types whose data is free-form: written by tests and benchmarks only. */
export type FreeFormType = `test.${string}`;

export const cataloguedTypes = Object.keys(catalogue) as CataloguedType[];

export function isCatalogued(type: string): type is CataloguedType {
  return Object.hasOwn(catalogue, type);
}

export function isFreeForm(type: string): type is FreeFormType {
  return type.startsWith('test.') && type.length > 'test.'.length;
}

const freeForm = jsonObject();

/** The validator for an entry type: its catalogue entry's, plain JSON for `test.*`, none for any other. */
function validatorOf(type: string): Validator<unknown> | undefined {
  if (isCatalogued(type)) return catalogue[type].data;
  return isFreeForm(type) ? freeForm : undefined;
}

export type EntryCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Whether `data` is what the catalogue says an entry of `type` holds; the reason names the first field that is not. */
export function validateEntry(type: string, data: unknown): EntryCheck {
  const v = validatorOf(type);
  if (!v) return { ok: false, reason: `${JSON.stringify(type.slice(0, 80))} is not an entry type the catalogue knows` };
  const r = v(data, '');
  return r.ok ? { ok: true } : { ok: false, reason: r.reason.replace(/^argument\b/, 'data') };
}

/** What an entry is read from: a ledger entry, or its view (src-shared/api/audit.ts). */
export interface RawEntry {
  readonly type: string;
  readonly data: unknown;
}

type Typed<E extends RawEntry, T extends string, D> = Omit<E, 'type' | 'data'> & { readonly type: T; readonly version: number; readonly data: D };

/** An entry whose data its type's validator accepted: narrow on `type` to get that type's data. */
export type TypedEntry<E extends RawEntry = RawEntry> = { [T in CataloguedType]: Typed<E, T, EntryDataOf<T>> }[CataloguedType] | Typed<E, FreeFormType, JsonObject>;

/**
 * A typed view of an entry for readers, with its type's version (0 for free-form `test.*`); refused,
 * with the reason, when the type is not catalogued or the data is not of its shape.
 */
export function readEntry<E extends RawEntry>(e: E): Check<TypedEntry<E>> {
  const v = validatorOf(e.type);
  if (!v) return { ok: false, reason: `${JSON.stringify(e.type.slice(0, 80))} is not an entry type the catalogue knows` };
  const r = v(e.data, '');
  if (!r.ok) return { ok: false, reason: `${e.type}: ${r.reason.replace(/^argument\b/, 'data')}` };
  const version = isCatalogued(e.type) ? catalogue[e.type].version : 0;
  return { ok: true, value: { ...e, version, data: r.value } as unknown as TypedEntry<E> };
}
