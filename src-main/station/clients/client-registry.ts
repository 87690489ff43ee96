// The hub's clients as the ledger tells it (a fold over client.* entries and the initial-keys
// allocations that reserve their IDs). A client ID is unique within the hub and never reused (§11.1):
// the next number is past every ID ever reserved, whether its creation finished or was voided.
import type { LedgerEntry } from '../../../src-node/ledger/entry';
import type { Fold } from '../../../src-node/ledger/fold';
import type { ClientState } from '../../../src-shared/api/clients';

export interface ClientRecord {
  readonly client: string;
  readonly createdAt: string;
  readonly allocation: string;
  readonly checkValue: string;
  state: ClientState;
  suspendedReason?: string;
  keysExportedAt?: string;
}

const ID_DIGITS = 6;

export class ClientRegistry implements Fold {
  readonly name = 'clients';
  readonly byId = new Map<string, ClientRecord>();
  private highest = 0;

  save(): unknown {
    return { clients: [...this.byId.values()], highest: this.highest };
  }

  load(state: unknown): void {
    const s = state as { clients: ClientRecord[]; highest: number };
    for (const c of s.clients) this.byId.set(c.client, c);
    this.highest = s.highest;
  }

  apply(e: LedgerEntry): void {
    const d = e.data as Record<string, unknown>;
    switch (e.type) {
      case 'allocation.reserved':
        if (d.purpose === 'initial-keys') this.saw(String(d.client));
        break;
      case 'client.created':
        this.saw(String(d.client));
        this.byId.set(String(d.client), { client: String(d.client), createdAt: e.time, allocation: String(d.allocation), checkValue: String(d.checkValue), state: 'active' });
        break;
      case 'client.suspended': {
        const c = this.byId.get(String(d.client));
        if (c) {
          c.state = 'suspended';
          c.suspendedReason = String(d.reason);
        }
        break;
      }
      case 'client.resumed': {
        const c = this.byId.get(String(d.client));
        if (c) {
          c.state = 'active';
          delete c.suspendedReason;
        }
        break;
      }
      case 'client.revoked': {
        const c = this.byId.get(String(d.client));
        if (c) {
          c.state = 'revoked';
          c.suspendedReason = String(d.reason);
        }
        break;
      }
      case 'client.initial-keys-exported': {
        const c = this.byId.get(String(d.client));
        if (c) c.keysExportedAt = e.time;
        break;
      }
    }
  }

  /** The ID the next client gets: one past the highest ever reserved. */
  nextId(): string {
    return `c-${String(this.highest + 1).padStart(ID_DIGITS, '0')}`;
  }

  private saw(id: string): void {
    const n = Number(id.slice(2));
    if (Number.isSafeInteger(n) && n > this.highest) this.highest = n;
  }
}
