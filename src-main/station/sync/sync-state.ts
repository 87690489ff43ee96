// What the ledger says of this station's link to its Security Server (a fold over sync.* entries):
// whether it is registered, with which hub; its bulk shipments and which segments the server has
// acknowledged holding (only those may be allocated: issue S8, part 3); the server's latest
// acknowledgement of range reports, with the checkpoint it witnessed and any refusal.
import type { LedgerEntry } from '../../../src-node/ledger/entry';
import type { Fold } from '../../../src-node/ledger/fold';

export interface ShipmentRecord {
  readonly shipment: string;
  readonly segments: readonly string[];
  readonly bytes: number;
  readonly chunkBytes: number;
  readonly createdAt: string;
  readonly path: string;
  readonly startedAt: string;
  written?: { readonly fileBytes: number; readonly digest: string; readonly time: string };
  acknowledged?: { readonly time: string; readonly via: string };
  abandoned?: { readonly time: string; readonly reason: string };
}

export interface SyncRecord {
  registered?: { readonly station: string; readonly hub: string; readonly createdAt: string; readonly keysCheck: string };
  lastExport?: { readonly first: number; readonly last: number; readonly time: string };
  shipments: Record<string, ShipmentRecord>;
  /** The server's checkpoint of this ledger, as its latest acknowledgement says. */
  witnessed?: { readonly treeSize: number; readonly rootHash: string };
  lastAcknowledgement?: { readonly appliedUpTo: number; readonly time: string; readonly via: string };
  lastRefusal?: { readonly seq: number; readonly code: string; readonly reason: string; readonly time: string };
  /** The latest acknowledgement this station could not accept, and why. */
  lastRejected?: { readonly kind: string; readonly reason: string; readonly time: string };
}

export class SyncState implements Fold {
  readonly name = 'sync';
  state: SyncRecord = { shipments: {} };
  /** Segments in a shipment begun (acknowledged or not): none is shipped twice. */
  readonly inShipment = new Map<string, string>();
  /** Segments the server has acknowledged holding: only these may be allocated. */
  readonly acknowledged = new Set<string>();

  save(): unknown {
    return this.state;
  }

  load(saved: unknown): void {
    const s = saved as SyncRecord;
    this.state = { ...s, shipments: s.shipments ?? {} };
    for (const sh of Object.values(this.state.shipments)) this.index(sh);
  }

  private index(sh: ShipmentRecord): void {
    if (sh.abandoned) return;
    for (const seg of sh.segments) {
      this.inShipment.set(seg, sh.shipment);
      if (sh.acknowledged) this.acknowledged.add(seg);
    }
  }

  apply(e: LedgerEntry): void {
    if (!e.type.startsWith('sync.')) return;
    const d = e.data as Record<string, unknown>;
    switch (e.type) {
      case 'sync.registered':
        this.state.registered = { station: String(d.station), hub: String(d.hub), createdAt: String(d.createdAt), keysCheck: String(d.keysCheck) };
        break;
      case 'sync.exported':
        this.state.lastExport = { first: Number(d.first), last: Number(d.last), time: e.time };
        break;
      case 'sync.shipment-started': {
        const sh: ShipmentRecord = { shipment: String(d.shipment), segments: d.segments as string[], bytes: Number(d.bytes), chunkBytes: Number(d.chunkBytes), createdAt: String(d.createdAt), path: String(d.path), startedAt: e.time };
        this.state.shipments[sh.shipment] = sh;
        this.index(sh);
        break;
      }
      case 'sync.shipment-written': {
        const sh = this.state.shipments[String(d.shipment)];
        if (sh) sh.written = { fileBytes: Number(d.fileBytes), digest: String(d.digest), time: e.time };
        break;
      }
      case 'sync.shipment-acknowledged': {
        const sh = this.state.shipments[String(d.shipment)];
        if (sh) {
          sh.acknowledged = { time: e.time, via: String(d.via) };
          this.index(sh);
        }
        break;
      }
      case 'sync.acknowledged':
        if (typeof d.witnessedTreeSize === 'number' && typeof d.witnessedRoot === 'string') this.state.witnessed = { treeSize: d.witnessedTreeSize, rootHash: d.witnessedRoot };
        this.state.lastAcknowledgement = { appliedUpTo: Number(d.appliedUpTo), time: e.time, via: String(d.via) };
        if (typeof d.refusedSeq === 'number') this.state.lastRefusal = { seq: d.refusedSeq, code: String(d.refusedCode), reason: String(d.refusedReason), time: e.time };
        else delete this.state.lastRefusal;
        break;
      case 'sync.shipment-abandoned': {
        const sh = this.state.shipments[String(d.shipment)];
        if (sh) {
          sh.abandoned = { time: e.time, reason: String(d.reason) };
          for (const seg of sh.segments) if (this.inShipment.get(seg) === sh.shipment) this.inShipment.delete(seg);
        }
        break;
      }
      case 'sync.acknowledgement-refused':
        this.state.lastRejected = { kind: String(d.kind), reason: String(d.reason), time: e.time };
        break;
    }
  }
}
