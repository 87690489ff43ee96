// The Security Server's acknowledgement (issue S8; DSKE draft §10.1; docs/formats.md, "Acknowledgement"):
// what the server tells its station back, on a medium or as the answer to an upload. Layout:
//
//   "DSKEACK1" | u32 BE header length H | header (UTF-8 JSON, H bytes) | HMAC-SHA-256
//
// The last 32 bytes are HMAC-SHA-256 under the registration's ack key over everything before them. One
// format, three kinds, told apart by the header's `kind`:
//
//   shipment  the server holds this bulk shipment (shipment.ts): its segments may now be allocated;
//   reports   how far the server has applied range reports (report-batch.ts), the latest checkpoint of
//             the station it has witnessed (the station proves its next checkpoint from it), and the
//             first report of the last batch it refused, with the reason;
//   state     everything the server holds for this station (shipments, reports), for reconciliation.
//
// The header is in clear and carries no PSRD: ids, counts and ranges' sizes. What matters is that only
// the server can have written it (an acknowledgement makes the station allocate segments, or drop
// reports from its queue), so an HMAC, a computational MAC, is enough: nothing in it must stay secret
// against unbounded computation, and a PSRD-keyed MAC would spend pool bytes that would then need the
// same accounting as PSRD. The reader checks the MAC, in constant time, before it parses the header.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { CLIENT_ID, HUB_ID, PACKAGE_ID } from '../psrd/package-format';
import { utf8 } from '../psrd/utf8';
import { frameHeaderLength, NOT_JSON, parseUtf8Json } from '../psrd/frame';
import { SyncFormatError } from './errors';
import { isIsoUtc, STATION_ID } from './registration-file';
import { MAX_BATCH_REPORTS, REPORT_KINDS, type ReportKind } from './report-batch';
import { MAX_SHIPMENT_SEGMENTS, SHIPMENT_ID } from './shipment';

export const ACK_MAGIC = utf8('DSKEACK1');
export const ACK_FORMAT = 1;
export const ACK_KEY_BYTES = 32;
export const ACK_MAC_BYTES = 32;
/** A state acknowledgement lists up to 100,000 reports and as many shipments: well under 32 MiB. */
export const MAX_ACK_HEADER_BYTES = 1 << 25;
export const MAX_ACK_SHIPMENTS = 100_000;
export const MAX_ACK_REPORTS = MAX_BATCH_REPORTS;
export const MAX_REFUSAL_REASON = 500;
export const REFUSAL_CODE = /^[a-z][a-z-]{0,39}$/;
export const ACK_KINDS = ['shipment', 'reports', 'state'] as const;
export type AcknowledgementKind = (typeof ACK_KINDS)[number];

const HEX64 = /^[0-9a-f]{64}$/;

/** The latest checkpoint of the station that the server has witnessed (ledger/checkpoint.ts). */
export interface WitnessedCheckpoint {
  readonly treeSize: number;
  /** RFC 9162 root hash, hex. */
  readonly rootHash: string;
  /** The chain hash of entry treeSize − 1, hex. */
  readonly chainHead: string;
}

/** A shipment the server holds: its id, how many segments and how many bytes. */
export interface HeldShipment {
  readonly shipment: string;
  readonly segments: number;
  readonly bytes: number;
}

/** A range report the server has applied, without its ranges. */
export interface HeldReport {
  readonly seq: number;
  readonly kind: ReportKind;
  readonly client: string;
  readonly package?: string;
  /** As in the report: the sum of its ranges' lengths, 0 for 'package-lost' and 'revoked'. */
  readonly bytes: number;
}

/** The first report of the last batch the server refused, and why. */
export interface ReportRefusal {
  readonly seq: number;
  /** A short code, e.g. 'stale-witness', 'not-extending', 'gap'. */
  readonly code: string;
  /** A sentence for the operator, at most 500 characters. */
  readonly reason: string;
}

interface AckBase {
  readonly format: 1;
  readonly hub: string;
  readonly station: string;
  /** When the server wrote it, ISO 8601 UTC. */
  readonly time: string;
}

/** The server holds this shipment: its segments may now be allocated. */
export interface ShipmentAcknowledgement extends AckBase, HeldShipment {
  readonly kind: 'shipment';
}

/** How far the server has applied the station's reports. */
export interface ReportsAcknowledgement extends AckBase {
  readonly kind: 'reports';
  /** Every report up to this number is applied (0: none yet). */
  readonly appliedUpTo: number;
  readonly witnessed: WitnessedCheckpoint | null;
  readonly refused: ReportRefusal | null;
}

/** What the server holds for this station. */
export interface StateAcknowledgement extends AckBase {
  readonly kind: 'state';
  readonly appliedUpTo: number;
  readonly witnessed: WitnessedCheckpoint | null;
  readonly shipments: readonly HeldShipment[];
  /** By seq, strictly increasing, none above appliedUpTo. */
  readonly reports: readonly HeldReport[];
}

export type Acknowledgement = ShipmentAcknowledgement | ReportsAcknowledgement | StateAcknowledgement;

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isCount = (x: unknown, min: number): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= min;
const keysOf = (x: Record<string, unknown>): string => Object.keys(x).sort().join(',');

const malformed = (why: string): never => {
  throw new SyncFormatError('malformed', `The acknowledgement is malformed: ${why}.`);
};

function checkWitnessed(x: unknown): WitnessedCheckpoint | null {
  if (x === null) return null;
  if (!isRecord(x) || keysOf(x) !== 'chainHead,rootHash,treeSize') return malformed('witnessed: not {treeSize, rootHash, chainHead}');
  if (!isCount(x.treeSize, 1)) return malformed('witnessed: tree size');
  if (typeof x.rootHash !== 'string' || !HEX64.test(x.rootHash)) return malformed('witnessed: root hash');
  if (typeof x.chainHead !== 'string' || !HEX64.test(x.chainHead)) return malformed('witnessed: chain head');
  return { treeSize: x.treeSize, rootHash: x.rootHash, chainHead: x.chainHead };
}

/** A shipment's fields; `exact` for an entry of a list (else they are part of a shipment acknowledgement). */
function checkHeldShipment(x: unknown, at: string, exact: boolean): HeldShipment {
  if (!isRecord(x)) return malformed(`${at} is not an object`);
  if (exact && keysOf(x) !== 'bytes,segments,shipment') return malformed(`${at}: not {shipment, segments, bytes}`);
  if (typeof x.shipment !== 'string' || !SHIPMENT_ID.test(x.shipment)) return malformed(`${at}: shipment ID`);
  if (!isCount(x.segments, 1) || x.segments > MAX_SHIPMENT_SEGMENTS) return malformed(`${at}: segment count`);
  if (!isCount(x.bytes, x.segments)) return malformed(`${at}: bytes (at least one per segment)`);
  return { shipment: x.shipment, segments: x.segments, bytes: x.bytes };
}

function checkHeldReport(x: unknown, at: string): HeldReport {
  if (!isRecord(x)) return malformed(`${at} is not an object`);
  if (Object.keys(x).filter((k) => k !== 'package').sort().join(',') !== 'bytes,client,kind,seq') return malformed(`${at}: unexpected or missing fields`);
  if (!isCount(x.seq, 1)) return malformed(`${at}: seq`);
  if (typeof x.kind !== 'string' || !(REPORT_KINDS as readonly string[]).includes(x.kind)) return malformed(`${at}: kind`);
  const kind = x.kind as ReportKind;
  if (typeof x.client !== 'string' || !CLIENT_ID.test(x.client)) return malformed(`${at}: client ID`);
  if ('package' in x && (typeof x.package !== 'string' || !PACKAGE_ID.test(x.package))) return malformed(`${at}: package ID`);
  const noBytes = kind === 'package-lost' || kind === 'revoked';
  if (!isCount(x.bytes, noBytes ? 0 : 1) || (noBytes && x.bytes !== 0)) return malformed(noBytes ? `${at}: a ${kind} report has 0 bytes` : `${at}: bytes`);
  const r: HeldReport = { seq: x.seq, kind, client: x.client, bytes: x.bytes };
  return typeof x.package === 'string' ? { ...r, package: x.package } : r;
}

function checkRefusal(x: unknown): ReportRefusal | null {
  if (x === null) return null;
  if (!isRecord(x) || keysOf(x) !== 'code,reason,seq') return malformed('refused: not {seq, code, reason}');
  if (!isCount(x.seq, 1)) return malformed('refused: seq');
  if (typeof x.code !== 'string' || !REFUSAL_CODE.test(x.code)) return malformed('refused: code');
  if (typeof x.reason !== 'string' || x.reason.length > MAX_REFUSAL_REASON) return malformed(`refused: a reason of at most ${MAX_REFUSAL_REASON} characters`);
  return { seq: x.seq, code: x.code, reason: x.reason };
}

const FIELDS: Record<AcknowledgementKind, string> = {
  shipment: 'bytes,format,hub,kind,segments,shipment,station,time',
  reports: 'appliedUpTo,format,hub,kind,refused,station,time,witnessed',
  state: 'appliedUpTo,format,hub,kind,reports,shipments,station,time,witnessed',
};

function checkAck(x: unknown): Acknowledgement {
  if (!isRecord(x)) return malformed('its header is not an object');
  if (x.format !== ACK_FORMAT) {
    throw new SyncFormatError('unsupported-version', `This acknowledgement is format ${String(x.format)}; this reader knows format ${ACK_FORMAT}.`);
  }
  if (typeof x.kind !== 'string' || !(ACK_KINDS as readonly string[]).includes(x.kind)) return malformed('kind');
  const kind = x.kind as AcknowledgementKind;
  if (keysOf(x) !== FIELDS[kind]) return malformed(`unexpected or missing fields for a ${kind} acknowledgement`);
  if (typeof x.hub !== 'string' || !HUB_ID.test(x.hub)) return malformed('hub ID');
  if (typeof x.station !== 'string' || !STATION_ID.test(x.station)) return malformed('station ID');
  if (typeof x.time !== 'string' || !isIsoUtc(x.time)) return malformed('time');
  const base = { format: ACK_FORMAT, hub: x.hub, station: x.station } as const;
  if (kind === 'shipment') return { ...base, kind, ...checkHeldShipment(x, 'the shipment', false), time: x.time };
  if (!isCount(x.appliedUpTo, 0)) return malformed('appliedUpTo');
  const appliedUpTo = x.appliedUpTo;
  const witnessed = checkWitnessed(x.witnessed);
  if (kind === 'reports') return { ...base, kind, appliedUpTo, witnessed, refused: checkRefusal(x.refused), time: x.time };
  if (!Array.isArray(x.shipments) || x.shipments.length > MAX_ACK_SHIPMENTS) return malformed(`shipments: a list of at most ${MAX_ACK_SHIPMENTS}`);
  const shipments = (x.shipments as unknown[]).map((s, i) => checkHeldShipment(s, `shipment ${i + 1}`, true));
  const seen = new Set<string>();
  for (const s of shipments) {
    if (seen.has(s.shipment)) return malformed(`shipment ${s.shipment} is listed twice`);
    seen.add(s.shipment);
  }
  if (!Array.isArray(x.reports) || x.reports.length > MAX_ACK_REPORTS) return malformed(`reports: a list of at most ${MAX_ACK_REPORTS}`);
  const reports = (x.reports as unknown[]).map((r, i) => checkHeldReport(r, `report ${i + 1}`));
  for (let i = 0; i < reports.length; i++) {
    if (i > 0 && reports[i].seq <= reports[i - 1].seq) return malformed('the reports are not in strictly increasing order');
    if (reports[i].seq > appliedUpTo) return malformed(`report ${reports[i].seq} is held but not applied (appliedUpTo ${appliedUpTo})`);
  }
  return { ...base, kind, appliedUpTo, witnessed, shipments, reports, time: x.time };
}

function ackJson(a: Acknowledgement): string {
  const base = { format: a.format, kind: a.kind, hub: a.hub, station: a.station };
  const witnessed = (w: WitnessedCheckpoint | null) => (w === null ? null : { treeSize: w.treeSize, rootHash: w.rootHash, chainHead: w.chainHead });
  const held = (s: HeldShipment) => ({ shipment: s.shipment, segments: s.segments, bytes: s.bytes });
  switch (a.kind) {
    case 'shipment':
      return JSON.stringify({ ...base, ...held(a), time: a.time });
    case 'reports':
      return JSON.stringify({
        ...base, appliedUpTo: a.appliedUpTo, witnessed: witnessed(a.witnessed),
        refused: a.refused === null ? null : { seq: a.refused.seq, code: a.refused.code, reason: a.refused.reason }, time: a.time,
      });
    case 'state':
      return JSON.stringify({
        ...base, appliedUpTo: a.appliedUpTo, witnessed: witnessed(a.witnessed), shipments: a.shipments.map(held),
        reports: a.reports.map((r) => ({ seq: r.seq, kind: r.kind, client: r.client, ...(r.package === undefined ? {} : { package: r.package }), bytes: r.bytes })),
        time: a.time,
      });
    default:
      throw new RangeError('sealAcknowledgement: unknown kind');
  }
}

/** Seals an acknowledgement under the ack key. Throws RangeError on anything the reader would refuse. */
export function sealAcknowledgement(a: Acknowledgement, ackKey: Uint8Array): Uint8Array {
  if (ackKey.length !== ACK_KEY_BYTES) throw new RangeError('sealAcknowledgement: the ack key is 32 bytes');
  const json = ackJson(a);
  try {
    checkAck(JSON.parse(json));
  } catch (e) {
    if (e instanceof SyncFormatError) throw new RangeError(`sealAcknowledgement: ${e.message}`);
    throw e;
  }
  const hb = utf8(json);
  if (hb.length > MAX_ACK_HEADER_BYTES) throw new RangeError('sealAcknowledgement: header too large');
  const m = ACK_MAGIC.length;
  const body = m + 4 + hb.length;
  const out = new Uint8Array(body + ACK_MAC_BYTES);
  out.set(ACK_MAGIC, 0);
  new DataView(out.buffer).setUint32(m, hb.length, false);
  out.set(hb, m + 4);
  out.set(hmac(sha256, ackKey, out.subarray(0, body)), body);
  return out;
}

/** Magic, length and size of the whole: where the header and the MAC lie. Throws SyncFormatError only. */
function frame(bytes: Uint8Array): { headerEnd: number } {
  const m = ACK_MAGIC.length;
  const h = frameHeaderLength(bytes, ACK_MAGIC, MAX_ACK_HEADER_BYTES);
  if (h === 'short') throw new SyncFormatError('truncated', 'The acknowledgement is shorter than its header.');
  if (h === 'magic') throw new SyncFormatError('bad-magic', 'This is not a DSKE acknowledgement.');
  if (h === 'length') throw new SyncFormatError('malformed', 'The acknowledgement’s header has an impossible length.');
  const expected = m + 4 + h + ACK_MAC_BYTES;
  if (bytes.length < expected) throw new SyncFormatError('truncated', `The acknowledgement is cut short: ${bytes.length} of ${expected} bytes.`);
  if (bytes.length > expected) throw new SyncFormatError('trailing-bytes', `The acknowledgement has ${bytes.length - expected} bytes after its end.`);
  return { headerEnd: m + 4 + h };
}

function parse(bytes: Uint8Array, headerEnd: number): Acknowledgement {
  const parsed = parseUtf8Json(bytes.subarray(ACK_MAGIC.length + 4, headerEnd));
  if (parsed === NOT_JSON) throw new SyncFormatError('malformed', 'The acknowledgement’s header is not valid UTF-8 JSON.');
  return checkAck(parsed);
}

/**
 * Opens an acknowledgement with the ack key: the MAC first, compared in constant time, then the
 * header. Throws SyncFormatError for any input bytes ('authentication-failed' for a MAC that does not
 * match: altered, or not this registration's ack key); RangeError only for a key that is not 32 bytes.
 */
export function openAcknowledgement(bytes: Uint8Array, ackKey: Uint8Array): Acknowledgement {
  if (ackKey.length !== ACK_KEY_BYTES) throw new RangeError('openAcknowledgement: the ack key is 32 bytes');
  const { headerEnd } = frame(bytes);
  const mac = hmac(sha256, ackKey, bytes.subarray(0, headerEnd));
  let diff = 0;
  for (let i = 0; i < ACK_MAC_BYTES; i++) diff |= mac[i] ^ bytes[headerEnd + i];
  if (diff !== 0) {
    throw new SyncFormatError('authentication-failed', 'The acknowledgement does not authenticate: it was altered, or this is not the ack key of its registration.');
  }
  return parse(bytes, headerEnd);
}

/**
 * Whose acknowledgement this is and of which kind, without the key, for routing it to the station's
 * registration. Nothing in it is authenticated until openAcknowledgement. Throws SyncFormatError only.
 */
export function readAcknowledgementHeader(bytes: Uint8Array): { hub: string; station: string; kind: AcknowledgementKind } {
  const a = parse(bytes, frame(bytes).headerEnd);
  return { hub: a.hub, station: a.station, kind: a.kind };
}
