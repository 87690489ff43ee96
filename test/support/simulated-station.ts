// A station simulated in the wire formats alone, for load and scale-out against the Security Server (a
// real station core is far too heavy to run a hundred of): it registers (encodeRegistration and the
// confirmation code), ships a synthetic pool of random segments (encodeShipment), keeps a synthetic ledger
// of random chain hashes from which it makes checkpoints (RFC 9162 roots over leafHash(chain hash)) and
// consistency proofs from the tree size the server last witnessed, and reports 'delivered' ranges of its
// pool to clients, sealed with sealReportBatch. It remembers every report it made and knows its pool's
// bytes, so a test can check the server's client tables and what is left of the pool byte for byte.
//
//   const sim = new SimulatedStation({ hub: 'hub', seed: 7 });
//   const { file, code } = sim.registration();          await registerStation(core, file, code);
//   await sim.writeShipment(path);                       sim.applyAck((await importShipment(core, path)).ack);
//   const batch = sim.nextBatch(5);                      // POST batch.bytes to /v1/reports
//   sim.applyAck(answerBody);                            // appliedUpTo, witnessed move forward
//   sim.expectedClients();  sim.undelivered();  sim.bytesOf(range)
//
// Reports are numbered from 1 without gap; each takes a few bytes of the pool never given before (one
// range, or two from different segments now and then), for a client `c-` + 14–20 digits, new or one of
// this station's earlier clients. Client IDs are random: unique per station for certain, and across a
// hundred stations but for a chance of about 1e-9 (the server's client IDs are hub-wide).
import { closeSync, openSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { bytesToHex } from '@noble/hashes/utils.js';
import { nodeCipher } from '../../src-node/psrd-store/package-cipher-node';
import { CHECKPOINT_FORMAT, type Checkpoint } from '../../src-shared/ledger/checkpoint';
import { leafHash, nodeHash } from '../../src-shared/ledger/merkle';
import type { PsrdRange } from '../../src-shared/psrd/range';
import { openAcknowledgement, type Acknowledgement, type WitnessedCheckpoint } from '../../src-shared/sync/acknowledgement';
import { confirmationCode, encodeRegistration, type Registration } from '../../src-shared/sync/registration-file';
import { sealReportBatch, type RangeReport, type ReportBatchHeader } from '../../src-shared/sync/report-batch';
import { encodeShipment, type ShipmentHeader } from '../../src-shared/sync/shipment';
import { prng } from './prng';


const hex = (n: number): string => randomBytes(n).toString('hex');

/** The largest power of two smaller than n (n ≥ 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * A ledger of leaves that only grows, with RFC 9162 roots and consistency proofs computed as
 * src-shared/ledger/merkle.ts does, but with every complete, aligned subtree hashed once and kept: a
 * root or a proof costs O(log² n) hashes instead of O(n), which a thousand-batch run needs.
 */
export class SimulatedLedger {
  private readonly chain: Uint8Array[] = [];
  private readonly leaves: Uint8Array[] = [];
  private readonly complete = new Map<string, Uint8Array>();

  get size(): number {
    return this.leaves.length;
  }

  /** Appends an entry by its 32-byte chain hash (the leaf's data). */
  append(chainHash: Uint8Array): void {
    this.chain.push(chainHash);
    this.leaves.push(leafHash(chainHash));
  }

  chainHash(i: number): Uint8Array {
    return this.chain[i];
  }

  /** MTH(D[lo:hi]) over the leaf hashes. */
  private mth(lo: number, hi: number): Uint8Array {
    const n = hi - lo;
    if (n === 1) return this.leaves[lo];
    const aligned = (n & (n - 1)) === 0 && lo % n === 0;
    const key = aligned ? `${lo}/${n}` : '';
    if (aligned) {
      const kept = this.complete.get(key);
      if (kept) return kept;
    }
    const k = split(n);
    const h = nodeHash(this.mth(lo, lo + k), this.mth(lo + k, hi));
    if (aligned) this.complete.set(key, h);
    return h;
  }

  /** The root hash of the first `size` entries (size ≥ 1). */
  root(size = this.size): Uint8Array {
    if (!(size >= 1 && size <= this.size)) throw new RangeError(`no tree of size ${size} in a ledger of ${this.size}`);
    return this.mth(0, size);
  }

  /** RFC 9162 §2.1.4.1: the consistency proof from the tree of size m to the tree of size n (0 < m ≤ n). */
  proof(m: number, n = this.size): Uint8Array[] {
    if (!(0 < m && m <= n && n <= this.size)) throw new RangeError('consistency proof needs 0 < m <= n <= size');
    const sub = (m: number, lo: number, hi: number, whole: boolean): Uint8Array[] => {
      const size = hi - lo;
      if (m === size) return whole ? [] : [this.mth(lo, hi)];
      const k = split(size);
      if (m <= k) return [...sub(m, lo, lo + k, whole), this.mth(lo + k, hi)];
      return [...sub(m - k, lo + k, hi, false), this.mth(lo, lo + k)];
    };
    return sub(m, 0, n, true);
  }
}

export interface SimulatedStationOptions {
  readonly hub: string;
  /** Segments in the pool (S; default 4). */
  readonly segments?: number;
  /** Bytes per segment (default 16 KiB). */
  readonly segmentBytes?: number;
  /** The shipment's chunk size: a power of two from 4 KiB (default 4 KiB). */
  readonly chunkBytes?: number;
  /** Bytes per report, least and most (default 16 to 512). */
  readonly rangeBytes?: readonly [number, number];
  /** Seeds the choices (lengths, segments, clients); keys, ids and pool bytes are random regardless. */
  readonly seed?: number;
  readonly now?: () => Date;
}

export interface SimulatedBatch {
  readonly first: number;
  readonly last: number;
  /** The sealed batch (DSKERPT1), to POST to /v1/reports as application/octet-stream. */
  readonly bytes: Uint8Array;
}

export class SimulatedStation {
  readonly hub: string;
  /** 64 hex: the chain hash of the ledger's first entry. */
  readonly station: string;
  readonly createdAt: string;
  readonly ledger = new SimulatedLedger();
  /** The pool: segment id → its bytes. */
  readonly pool = new Map<string, Buffer>();
  /** Every report made, in seq order (reports[i].seq = i + 1). */
  readonly reports: RangeReport[] = [];
  readonly shipment: string;
  private readonly keys: Registration['keys'];
  private readonly rand: () => number;
  private readonly now: () => Date;
  private readonly chunkBytes: number;
  private readonly rangeBytes: readonly [number, number];
  /** Per segment: bytes [0, cursor) were given out in reports; the rest is still in the pool. */
  private readonly cursor = new Map<string, number>();
  private readonly clients: string[] = [];
  /** Each client's PSRD table so far: where its next package begins (issue S10). */
  private readonly tables = new Map<string, number>();
  private readonly clientSet = new Set<string>();
  private shipped = false;
  private held = false;
  private applied = 0;
  private witnessedCp: WitnessedCheckpoint | null = null;
  private refusal: { seq: number; code: string; reason: string } | null = null;

  constructor(opts: SimulatedStationOptions) {
    this.hub = opts.hub;
    this.rand = prng(opts.seed ?? randomBytes(4).readUInt32BE(0));
    this.now = opts.now ?? (() => new Date());
    this.chunkBytes = opts.chunkBytes ?? 4096;
    this.rangeBytes = opts.rangeBytes ?? [16, 512];
    const first = randomBytes(32);
    this.ledger.append(first);
    this.station = bytesToHex(first);
    this.createdAt = this.now().toISOString();
    this.keys = { shipment: randomBytes(32), report: randomBytes(32), ack: randomBytes(32) };
    this.shipment = `shp-${hex(16)}`;
    const segmentBytes = opts.segmentBytes ?? 16 << 10;
    for (let i = 0; i < (opts.segments ?? 4); i++) {
      const id = `seg-${hex(12)}`;
      this.pool.set(id, randomBytes(segmentBytes));
      this.cursor.set(id, 0);
    }
  }

  /** The registration file's bytes and the code its operator reads aloud (registerStation(core, file, code)). */
  registration(): { file: Uint8Array; code: string } {
    const r: Registration = { format: 1, hub: this.hub, station: this.station, createdAt: this.createdAt, keys: this.keys };
    return { file: encodeRegistration(r), code: confirmationCode(r) };
  }

  get poolBytes(): number {
    let n = 0;
    for (const b of this.pool.values()) n += b.length;
    return n;
  }

  /** Writes the whole pool as one bulk shipment to `path` (importShipment(core, path)); its header. */
  async writeShipment(path: string): Promise<ShipmentHeader> {
    const segments = [...this.pool].map(([segment, b]) => ({ segment, bytes: b.length }));
    const header: ShipmentHeader = {
      format: 1, hub: this.hub, station: this.station, shipment: this.shipment, createdAt: this.now().toISOString(),
      chunkBytes: this.chunkBytes, segments, bytes: segments.reduce((s, x) => s + x.bytes, 0),
    };
    const fd = openSync(path, 'w');
    try {
      for await (const chunk of encodeShipment(header, this.keys.shipment, (s) => [this.pool.get(s.segment)!], nodeCipher)) writeSync(fd, chunk);
    } finally {
      closeSync(fd);
    }
    this.shipped = true;
    this.ledger.append(randomBytes(32));
    return header;
  }

  /** The last report the server has applied, as its acknowledgements say. */
  get appliedUpTo(): number {
    return this.applied;
  }

  /** The last report made. */
  get made(): number {
    return this.reports.length;
  }

  /** The latest checkpoint the server witnessed, as its acknowledgements say. */
  get witnessed(): WitnessedCheckpoint | null {
    return this.witnessedCp;
  }

  get lastRefusal(): { seq: number; code: string; reason: string } | null {
    return this.refusal;
  }

  get deliveredBytes(): number {
    return this.reports.reduce((s, r) => s + r.bytes, 0);
  }

  /**
   * Opens an acknowledgement with the ack key (SyncFormatError if it does not authenticate) and takes
   * from it what only moves forward: the shipment held, the reports applied, the checkpoint witnessed
   * (which must be a root of this ledger: a server that witnessed another is wrong, and this throws).
   */
  applyAck(bytes: Uint8Array): Acknowledgement {
    const a = openAcknowledgement(bytes, this.keys.ack);
    if (a.station !== this.station || a.hub !== this.hub) throw new Error(`an acknowledgement for ${a.hub}/${a.station.slice(0, 12)}… reached station ${this.station.slice(0, 12)}…`);
    if (a.kind === 'shipment') {
      if (a.shipment !== this.shipment || a.bytes !== this.poolBytes) throw new Error(`an acknowledgement of shipment ${a.shipment} (${a.bytes} bytes) that this station did not send`);
      this.held = true;
      return a;
    }
    if (a.appliedUpTo > this.made) throw new Error(`the server says it applied report ${a.appliedUpTo}; this station made ${this.made}`);
    this.applied = Math.max(this.applied, a.appliedUpTo);
    const w = a.witnessed;
    if (w && (!this.witnessedCp || w.treeSize > this.witnessedCp.treeSize)) {
      if (w.treeSize > this.ledger.size || bytesToHex(this.ledger.root(w.treeSize)) !== w.rootHash || bytesToHex(this.ledger.chainHash(w.treeSize - 1)) !== w.chainHead) {
        throw new Error(`the server witnessed a checkpoint of size ${w.treeSize} that is not this station's ledger`);
      }
      this.witnessedCp = w;
    }
    if (a.kind === 'reports') this.refusal = a.refused;
    return a;
  }

  private pick(from: number, to: number): number {
    return from + Math.floor(this.rand() * (to - from + 1));
  }

  private newClient(): string {
    for (;;) {
      const digits = this.pick(14, 20);
      let id = `c-${this.pick(1, 9)}`;
      while (id.length < digits + 2) id += String(this.pick(0, 9));
      if (!this.clientSet.has(id)) {
        this.clientSet.add(id);
        this.clients.push(id);
        return id;
      }
    }
  }

  /** `length` bytes never given before: from one segment with room, or from two now and then. */
  private allocate(length: number): PsrdRange[] {
    const room = (s: string): number => this.pool.get(s)!.length - this.cursor.get(s)!;
    const withRoom = [...this.pool.keys()].filter((s) => room(s) > 0);
    if (withRoom.reduce((n, s) => n + room(s), 0) < length) throw new RangeError(`station ${this.station.slice(0, 12)}…: the pool has less than ${length} bytes left`);
    const ranges: PsrdRange[] = [];
    const take = (s: string, n: number): void => {
      const at = this.cursor.get(s)!;
      ranges.push({ segment: s, offset: at, length: n });
      this.cursor.set(s, at + n);
    };
    let left = length;
    const order = withRoom;
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(this.rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    // Now and then a package of two ranges, as a real station's allocation across segments makes.
    if (order.length >= 2 && length >= 2 && this.rand() < 0.15) {
      const a = Math.min(room(order[0]), this.pick(1, length - 1));
      take(order[0], a);
      left -= a;
      order.shift();
    }
    for (const s of order) {
      if (left === 0) break;
      const n = Math.min(left, room(s));
      take(s, n);
      left -= n;
    }
    return ranges;
  }

  /** A checkpoint of the ledger as it stands, with the proof from the witnessed size. */
  private checkpoint(first: number, last: number): ReportBatchHeader {
    const size = this.ledger.size;
    const checkpoint: Checkpoint = {
      format: CHECKPOINT_FORMAT, version: 1, station: this.station, treeSize: size, rootHash: bytesToHex(this.ledger.root(size)),
      chainHead: bytesToHex(this.ledger.chainHash(size - 1)), time: this.now().toISOString(),
      // The audit key's HMAC in a real station: the server has no audit key and cannot check it.
      mac: hex(32),
    };
    const w = this.witnessedCp;
    return { format: 1, hub: this.hub, station: this.station, first, last, checkpoint, witness: w ? { from: w.treeSize, proof: this.ledger.proof(w.treeSize, size).map((p) => bytesToHex(p)) } : null };
  }

  private seal(first: number, last: number): SimulatedBatch {
    // The push itself is a ledger entry, as at a real station.
    this.ledger.append(randomBytes(32));
    const bytes = sealReportBatch(this.checkpoint(first, last), this.reports.slice(first - 1, last), this.keys.report, randomBytes(12));
    return { first, last, bytes };
  }

  /** Makes n new 'delivered' reports and seals them in one batch, witnessed from what the server last acknowledged. */
  nextBatch(n: number): SimulatedBatch {
    if (!this.held) throw new Error('nextBatch: no pool is allocatable before the server acknowledges the shipment');
    if (!(Number.isSafeInteger(n) && n >= 1)) throw new RangeError('nextBatch: n ≥ 1');
    const first = this.made + 1;
    for (let i = 0; i < n; i++) {
      const length = this.pick(this.rangeBytes[0], this.rangeBytes[1]);
      const ranges = this.allocate(length);
      const client = this.clients.length === 0 || this.rand() < 0.4 ? this.newClient() : this.clients[Math.floor(this.rand() * this.clients.length)];
      const tableOffset = this.tables.get(client) ?? 0;
      this.tables.set(client, tableOffset + length);
      const report: RangeReport = { seq: this.made + 1, kind: 'delivered', client, package: `pkg-${hex(16)}`, ranges, bytes: length, tableOffset, time: this.now().toISOString() };
      this.reports.push(report);
      // A delivery is a ledger entry (a real station writes several).
      this.ledger.append(randomBytes(32));
    }
    return this.seal(first, this.made);
  }

  /** The reports made but not acknowledged, sealed again from the latest witness (after a refusal); null if none. */
  sealPending(): SimulatedBatch | null {
    return this.applied >= this.made ? null : this.seal(this.applied + 1, this.made);
  }

  /** The pool's bytes of a range. */
  bytesOf(r: PsrdRange): Buffer {
    const seg = this.pool.get(r.segment);
    if (!seg || r.offset + r.length > seg.length) throw new RangeError(`no ${r.segment}+${r.offset} (${r.length}) in this pool`);
    return seg.subarray(r.offset, r.offset + r.length);
  }

  /** What each client must hold from this station: its reports' ranges' bytes, in report and range order (the server's clientPsrd order). */
  expectedClients(upTo = this.made): Map<string, Buffer> {
    const parts = new Map<string, Buffer[]>();
    for (const r of this.reports.slice(0, upTo)) {
      const list = parts.get(r.client) ?? [];
      for (const g of r.ranges) list.push(this.bytesOf(g));
      parts.set(r.client, list);
    }
    return new Map([...parts].map(([c, l]) => [c, Buffer.concat(l)]));
  }

  /** The pool as it must be once every report made is applied: per segment, the bytes never given out. */
  undelivered(): PsrdRange[] {
    return [...this.pool].filter(([s, b]) => this.cursor.get(s)! < b.length).map(([s, b]) => ({ segment: s, offset: this.cursor.get(s)!, length: b.length - this.cursor.get(s)! }));
  }
}
