// What the ledger says of this station's link to its Security Server (a fold over sync.* entries):
// whether it is registered, with which hub, and what it last exported.
import type { LedgerEntry } from '../../../src-node/ledger/entry';
import type { Fold } from '../../../src-node/ledger/fold';

export interface SyncRecord {
  registered?: { readonly station: string; readonly hub: string; readonly createdAt: string; readonly keysCheck: string };
  lastExport?: { readonly first: number; readonly last: number; readonly time: string };
}

export class SyncState implements Fold {
  readonly name = 'sync';
  state: SyncRecord = {};

  save(): unknown {
    return this.state;
  }

  load(saved: unknown): void {
    this.state = saved as SyncRecord;
  }

  apply(e: LedgerEntry): void {
    const d = e.data as Record<string, unknown>;
    if (e.type === 'sync.registered') this.state.registered = { station: String(d.station), hub: String(d.hub), createdAt: String(d.createdAt), keysCheck: String(d.keysCheck) };
    else if (e.type === 'sync.exported') this.state.lastExport = { first: Number(d.first), last: Number(d.last), time: e.time };
  }
}
