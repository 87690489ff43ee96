// A batch of range reports (issue S8, part 4; docs/DESIGN.md, "The flow of PSRD", step 4; docs/formats.md,
// "Range-report batch"): the station tells its Security Server which pool ranges went to which client,
// sequence-numbered, with a ledger checkpoint for the server to witness. Layout:
//
//   "DSKERPT1" | u32 BE header length H | header (UTF-8 JSON, H bytes) | 12-byte nonce | AES-256-GCM
//
// The header ({format, hub, station, first, last, checkpoint, witness}) is in clear, so that a server
// can route a batch and see what it covers before it opens it; the body is the UTF-8 JSON
// {"reports":[…]} sealed with AES-256-GCM under the registration's report key, AAD = everything before
// the ciphertext (magic, length, header, nonce), so the header cannot be swapped under another body.
//
// `witness` (issue S8; DSKE draft §10.1) ties the new checkpoint to the last one the Security Server
// witnessed, as the station knows it from the server's acknowledgements: an RFC 9162 consistency proof
// (ledger/merkle.ts) from the tree of size `from` to checkpoint.treeSize. The server checks it with
// verifyWitness before it applies the batch, so a ledger rewritten below a witnessed checkpoint cannot
// go on reporting. It is null only while the station knows of no witnessed checkpoint.
//
// Why an AEAD and not a polynomial MAC keyed by PSRD: the reports carry no PSRD, only client and
// package ids and ranges (which bytes of the pool, never the bytes). What matters about them is their
// authenticity: a forged or altered report would move pool ranges into the wrong client's table. That
// is integrity against a forger, for which computational security is enough; nothing here has to stay
// secret against unbounded computation. A PSRD-keyed (information-theoretic) MAC would spend pool bytes
// on every batch, and those bytes would need the same accounting as PSRD (allocated, shared with the
// server, destroyed, reported), which is the very thing the reports are for. The confidentiality the
// AEAD gives to client ids and ranges is a bonus, not the reason.
import { gcm } from '@noble/ciphers/aes.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { checkpointShape, type Checkpoint } from '../ledger/checkpoint';
import { verifyConsistency } from '../ledger/merkle';
import { CLIENT_ID, HUB_ID, MAX_RANGES, PACKAGE_ID, SEGMENT_ID } from '../psrd/package-format';
import type { PsrdRange } from '../psrd/range';
import { utf8 } from '../psrd/utf8';
import { frameHeaderLength, NOT_JSON, parseUtf8Json } from '../psrd/frame';
import { SyncFormatError } from './errors';
import { STATION_ID, isIsoUtc } from './registration-file';

export const REPORT_BATCH_MAGIC = utf8('DSKERPT1');
export const REPORT_BATCH_FORMAT = 1;
export const REPORT_NONCE_BYTES = 12;
export const REPORT_TAG_BYTES = 16;
export const REPORT_KEY_BYTES = 32;
/** A header is ids, two numbers and a checkpoint; anything larger is malformed. */
export const MAX_REPORT_HEADER_BYTES = 1 << 14;
export const MAX_BATCH_REPORTS = 100_000;
/** A consistency proof has at most ~2·log2(n) hashes; 64 covers every safe tree size. */
export const MAX_WITNESS_PROOF = 64;
const HEX64 = /^[0-9a-f]{64}$/;

export const REPORT_KINDS = ['delivered', 'voided', 'initial-keys', 'package-lost', 'revoked'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

export interface RangeReport {
  readonly seq: number;
  readonly kind: ReportKind;
  readonly client: string;
  readonly package?: string;
  readonly ranges: readonly PsrdRange[];
  /** The sum of the ranges' lengths; 0 for 'package-lost' and 'revoked'. */
  readonly bytes: number;
  /** 'delivered' only: where the package begins in the client's PSRD table (its header's tableOffset). */
  readonly tableOffset?: number;
  readonly time: string;
}

export interface ReportBatchHeader {
  readonly format: 1;
  readonly hub: string;
  readonly station: string;
  /** Sequence numbers of the first and last report in the batch (first ≤ last, every one between). */
  readonly first: number;
  readonly last: number;
  readonly checkpoint: Checkpoint;
  /** How `checkpoint` extends the checkpoint the Security Server last witnessed; null if none is known. */
  readonly witness: BatchWitness | null;
}

/** An RFC 9162 §2.1.4 consistency proof from the tree of size `from` to the checkpoint's tree. */
export interface BatchWitness {
  /** The tree size of the checkpoint the server last witnessed (1 ≤ from ≤ checkpoint.treeSize). */
  readonly from: number;
  /** The proof's hashes, hex, in RFC 9162 order (empty when from = checkpoint.treeSize). */
  readonly proof: readonly string[];
}

/** What the Security Server has witnessed of a station: the latest checkpoint it accepted. */
export interface WitnessedTree {
  readonly treeSize: number;
  readonly rootHash: string;
}

export type WitnessVerdict = { readonly ok: true } | { readonly ok: false; readonly code: 'stale-witness' | 'not-extending'; readonly reason: string };

const malformed = (why: string): never => {
  throw new SyncFormatError('malformed', `The report batch is malformed: ${why}.`);
};

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function checkBatchHeader(x: unknown): ReportBatchHeader {
  if (!isRecord(x)) return malformed('its header is not an object');
  if (x.format !== REPORT_BATCH_FORMAT) {
    throw new SyncFormatError('unsupported-version', `This report batch is format ${String(x.format)}; this reader knows format ${REPORT_BATCH_FORMAT}.`);
  }
  if (Object.keys(x).sort().join(',') !== 'checkpoint,first,format,hub,last,station,witness') return malformed('unexpected or missing header fields');
  if (typeof x.hub !== 'string' || !HUB_ID.test(x.hub)) return malformed('hub ID');
  if (typeof x.station !== 'string' || !STATION_ID.test(x.station)) return malformed('station ID');
  const { first, last } = x;
  if (typeof first !== 'number' || !Number.isSafeInteger(first) || first < 1) return malformed('first sequence number');
  if (typeof last !== 'number' || !Number.isSafeInteger(last) || last < first) return malformed('last sequence number');
  if (last - first + 1 > MAX_BATCH_REPORTS) return malformed(`more than ${MAX_BATCH_REPORTS} reports`);
  const cp = checkpointShape(x.checkpoint, 'checkpoint');
  if (!cp.ok) return malformed(cp.reason);
  if (cp.value.station !== x.station) return malformed('the checkpoint is of another station');
  return { format: REPORT_BATCH_FORMAT, hub: x.hub, station: x.station, first, last, checkpoint: cp.value, witness: checkWitness(x.witness, cp.value.treeSize) };
}

function checkWitness(x: unknown, treeSize: number): BatchWitness | null {
  if (x === null) return null;
  if (!isRecord(x) || Object.keys(x).sort().join(',') !== 'from,proof') return malformed('witness: not {from, proof}');
  const { from, proof } = x;
  if (typeof from !== 'number' || !Number.isSafeInteger(from) || from < 1 || from > treeSize) return malformed('witness: from is not a tree size between 1 and the checkpoint’s');
  if (!Array.isArray(proof) || proof.length > MAX_WITNESS_PROOF) return malformed(`witness: the proof is not a list of at most ${MAX_WITNESS_PROOF} hashes`);
  for (const p of proof as unknown[]) if (typeof p !== 'string' || !HEX64.test(p)) return malformed('witness: a proof hash is not 64 lowercase hex');
  return { from, proof: [...(proof as string[])] };
}

function checkRanges(x: unknown, mayBeEmpty: boolean, at: string): { ranges: PsrdRange[]; sum: number } {
  if (!Array.isArray(x) || x.length > MAX_RANGES || (x.length === 0 && !mayBeEmpty)) return malformed(`${at}: ranges`);
  let sum = 0;
  const ranges: PsrdRange[] = [];
  for (const r of x as unknown[]) {
    if (!isRecord(r)) return malformed(`${at}: a range`);
    if (Object.keys(r).sort().join(',') !== 'length,offset,segment') return malformed(`${at}: a range’s fields`);
    if (typeof r.segment !== 'string' || !SEGMENT_ID.test(r.segment)) return malformed(`${at}: a range’s segment`);
    if (typeof r.offset !== 'number' || !Number.isSafeInteger(r.offset) || r.offset < 0) return malformed(`${at}: a range’s offset`);
    if (typeof r.length !== 'number' || !Number.isSafeInteger(r.length) || r.length < 1) return malformed(`${at}: a range’s length`);
    sum += r.length;
    if (!Number.isSafeInteger(sum)) return malformed(`${at}: ranges too large`);
    ranges.push({ segment: r.segment, offset: r.offset, length: r.length });
  }
  return { ranges, sum };
}

function checkReport(x: unknown, seq: number): RangeReport {
  const at = `report ${seq}`;
  if (!isRecord(x)) return malformed(`${at} is not an object`);
  const keys = Object.keys(x).filter((k) => k !== 'package' && k !== 'tableOffset').sort().join(',');
  if (keys !== 'bytes,client,kind,ranges,seq,time') return malformed(`${at}: unexpected or missing fields`);
  if (('tableOffset' in x) !== (x.kind === 'delivered')) return malformed(`${at}: a table offset goes with a delivered report, and only with one`);
  if ('tableOffset' in x && (typeof x.tableOffset !== 'number' || !Number.isSafeInteger(x.tableOffset) || x.tableOffset < 0)) return malformed(`${at}: table offset`);
  if (x.seq !== seq) return malformed(`the reports are not numbered ${seq} on without gap or repeat`);
  if (typeof x.kind !== 'string' || !(REPORT_KINDS as readonly string[]).includes(x.kind)) return malformed(`${at}: kind`);
  const kind = x.kind as ReportKind;
  if (typeof x.client !== 'string' || !CLIENT_ID.test(x.client)) return malformed(`${at}: client ID`);
  if ('package' in x && (typeof x.package !== 'string' || !PACKAGE_ID.test(x.package))) return malformed(`${at}: package ID`);
  const noBytes = kind === 'package-lost' || kind === 'revoked';
  const { ranges, sum } = checkRanges(x.ranges, noBytes, at);
  if (typeof x.bytes !== 'number' || !Number.isSafeInteger(x.bytes) || x.bytes !== (noBytes ? 0 : sum)) {
    return malformed(noBytes ? `${at}: a ${kind} report has 0 bytes` : `${at}: its size is not the sum of its ranges`);
  }
  if (typeof x.time !== 'string' || !isIsoUtc(x.time)) return malformed(`${at}: time`);
  const report: RangeReport = { seq, kind, client: x.client, ranges, bytes: x.bytes, time: x.time, ...(typeof x.tableOffset === 'number' ? { tableOffset: x.tableOffset } : {}) };
  return typeof x.package === 'string' ? { ...report, package: x.package } : report;
}

function headerJson(h: ReportBatchHeader): string {
  const c = h.checkpoint;
  return JSON.stringify({
    format: h.format, hub: h.hub, station: h.station, first: h.first, last: h.last,
    checkpoint: { format: c.format, version: c.version, station: c.station, treeSize: c.treeSize, rootHash: c.rootHash, chainHead: c.chainHead, time: c.time, mac: c.mac },
    witness: h.witness === null ? null : { from: h.witness.from, proof: [...h.witness.proof] },
  });
}

function bodyJson(reports: readonly RangeReport[]): string {
  return JSON.stringify({
    reports: reports.map((r) => ({
      seq: r.seq, kind: r.kind, client: r.client, ...(r.package === undefined ? {} : { package: r.package }),
      ranges: r.ranges.map((g) => ({ segment: g.segment, offset: g.offset, length: g.length })), bytes: r.bytes,
      ...(r.tableOffset === undefined ? {} : { tableOffset: r.tableOffset }), time: r.time,
    })),
  });
}

/** Runs a reader's check on the writer's input: what the reader would refuse, the writer refuses (RangeError). */
function asWriter<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof SyncFormatError) throw new RangeError(`sealReportBatch: ${e.message}`);
    throw e;
  }
}

/**
 * Seals a batch under the report key with the caller's 12 random bytes as the nonce (never reuse one
 * under the same key). Throws RangeError on anything the reader would refuse.
 */
export function sealReportBatch(header: ReportBatchHeader, reports: readonly RangeReport[], reportKey: Uint8Array, nonce: Uint8Array): Uint8Array {
  if (reportKey.length !== REPORT_KEY_BYTES) throw new RangeError('sealReportBatch: the report key is 32 bytes');
  if (nonce.length !== REPORT_NONCE_BYTES) throw new RangeError('sealReportBatch: the nonce is 12 bytes');
  const hjson = headerJson(header);
  const bjson = bodyJson(reports);
  asWriter(() => {
    const h = checkBatchHeader(JSON.parse(hjson));
    if (reports.length !== h.last - h.first + 1) malformed(`${reports.length} reports where the header says ${h.first} to ${h.last}`);
    (JSON.parse(bjson) as { reports: unknown[] }).reports.forEach((r, i) => checkReport(r, h.first + i));
  });
  const hb = utf8(hjson);
  if (hb.length > MAX_REPORT_HEADER_BYTES) throw new RangeError('sealReportBatch: header too large');
  const m = REPORT_BATCH_MAGIC.length;
  const aadLength = m + 4 + hb.length + REPORT_NONCE_BYTES;
  const plain = utf8(bjson);
  const out = new Uint8Array(aadLength + plain.length + REPORT_TAG_BYTES);
  out.set(REPORT_BATCH_MAGIC, 0);
  new DataView(out.buffer).setUint32(m, hb.length, false);
  out.set(hb, m + 4);
  out.set(nonce, m + 4 + hb.length);
  out.set(gcm(reportKey, nonce, out.subarray(0, aadLength)).encrypt(plain), aadLength);
  return out;
}

function parseHeader(bytes: Uint8Array): { header: ReportBatchHeader; aadLength: number } {
  const m = REPORT_BATCH_MAGIC.length;
  const h = frameHeaderLength(bytes, REPORT_BATCH_MAGIC, MAX_REPORT_HEADER_BYTES);
  if (h === 'short') throw new SyncFormatError('truncated', 'The report batch is shorter than its header.');
  if (h === 'magic') throw new SyncFormatError('bad-magic', 'This is not a DSKE report batch.');
  if (h === 'length') throw new SyncFormatError('malformed', 'The report batch’s header has an impossible length.');
  if (bytes.length < m + 4 + h) throw new SyncFormatError('truncated', 'The report batch is cut inside its header.');
  const parsed = parseUtf8Json(bytes.subarray(m + 4, m + 4 + h));
  if (parsed === NOT_JSON) throw new SyncFormatError('malformed', 'The report batch’s header is not valid UTF-8 JSON.');
  return { header: checkBatchHeader(parsed), aadLength: m + 4 + h + REPORT_NONCE_BYTES };
}

/** The clear header of a batch, without the key (what it covers, whose it is). Throws SyncFormatError only. */
export function readReportBatchHeader(bytes: Uint8Array): ReportBatchHeader {
  return parseHeader(bytes).header;
}

/**
 * Opens a batch with the report key: the tag over header and body, then every report (numbered
 * first … last without gap or repeat, every field valid). Throws SyncFormatError for any input bytes;
 * RangeError only for a key that is not 32 bytes.
 */
export function openReportBatch(bytes: Uint8Array, reportKey: Uint8Array): { header: ReportBatchHeader; reports: RangeReport[] } {
  if (reportKey.length !== REPORT_KEY_BYTES) throw new RangeError('openReportBatch: the report key is 32 bytes');
  const { header, aadLength } = parseHeader(bytes);
  if (bytes.length < aadLength + REPORT_TAG_BYTES) throw new SyncFormatError('truncated', 'The report batch is cut before its sealed body.');
  const nonce = bytes.subarray(aadLength - REPORT_NONCE_BYTES, aadLength);
  let plain: Uint8Array;
  try {
    plain = gcm(reportKey, nonce, bytes.subarray(0, aadLength)).decrypt(bytes.subarray(aadLength));
  } catch {
    throw new SyncFormatError('authentication-failed', 'The report batch does not authenticate: it was altered, cut or extended, or this is not the report key of its registration.');
  }
  const parsed = parseUtf8Json(plain);
  if (parsed === NOT_JSON) throw new SyncFormatError('malformed', 'The report batch’s body is not valid UTF-8 JSON.');
  if (!isRecord(parsed) || Object.keys(parsed).join(',') !== 'reports' || !Array.isArray(parsed.reports)) return malformed('its body is not {"reports":[…]}');
  const list = parsed.reports as unknown[];
  const expected = header.last - header.first + 1;
  if (list.length !== expected) return malformed(`${list.length} reports where the header says ${header.first} to ${header.last}`);
  return { header, reports: list.map((r, i) => checkReport(r, header.first + i)) };
}

/**
 * The Security Server's check of a batch's witness against the checkpoint it last witnessed of that
 * station (null: none yet, and anything goes). The proof must start at exactly the witnessed tree size
 * ('stale-witness': the station must seal again from the server's latest acknowledgement) and show
 * that checkpoint.rootHash extends the witnessed root ('not-extending': the station's ledger was
 * rewritten after that checkpoint was witnessed). Equal sizes need equal roots and an empty proof.
 * Throws RangeError only for a `witnessed` that is not a tree size and a 64-hex root (the caller's).
 */
export function verifyWitness(header: Pick<ReportBatchHeader, 'checkpoint' | 'witness'>, witnessed: WitnessedTree | null): WitnessVerdict {
  if (witnessed === null) return { ok: true };
  if (!Number.isSafeInteger(witnessed.treeSize) || witnessed.treeSize < 1 || !HEX64.test(witnessed.rootHash)) {
    throw new RangeError('verifyWitness: the witnessed checkpoint is a tree size ≥ 1 and a 64-hex root');
  }
  const w = header.witness;
  const cp = header.checkpoint;
  if (w === null) {
    return { ok: false, code: 'stale-witness', reason: `The batch carries no witness; the Security Server witnessed the tree of size ${witnessed.treeSize}.` };
  }
  if (w.from !== witnessed.treeSize) {
    return { ok: false, code: 'stale-witness', reason: `The batch’s witness starts at the tree of size ${w.from}; the Security Server last witnessed size ${witnessed.treeSize}.` };
  }
  const ok = w.from <= cp.treeSize && w.proof.every((p) => HEX64.test(p)) && HEX64.test(cp.rootHash)
    && verifyConsistency(w.from, cp.treeSize, hexToBytes(witnessed.rootHash), hexToBytes(cp.rootHash), w.proof.map((p) => hexToBytes(p)));
  if (!ok) {
    return { ok: false, code: 'not-extending', reason: `The checkpoint of size ${cp.treeSize} does not extend the witnessed one of size ${witnessed.treeSize}: the station’s ledger was rewritten after it was witnessed.` };
  }
  return { ok: true };
}
