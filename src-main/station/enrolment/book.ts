// Every application for enrolment as the ledger tells it (a fold over enrolment.* entries and the
// deliveries to its client): the step each has reached, so that the desk resumes after a restart exactly
// where it stopped, and the identity check each client rests on.
import type { LedgerEntry } from '../../../src-node/ledger/entry';
import type { Fold } from '../../../src-node/ledger/fold';
import type { EnrolmentStep } from '../../../src-shared/api/enrolment';
import type { Allocations } from '../delivery/allocations';

export interface ApplicationRecord {
  readonly id: string;
  readonly medium: 'usb' | 'hsm' | 'qr' | 'file';
  readonly createdAt: string;
  /** HMAC of the name as given, under the audit key: what the client directory is checked against. */
  readonly nameHmac?: string;
  step: EnrolmentStep;
  client?: string;
  identity?: { document: string; last4: string; checkedBy: string; outcome: 'accepted' | 'refused'; time: string };
  /** The audit key's MAC of the document checked (`document number|<document>|<NUMBER>`): one person, one enrolment. */
  numberHmac?: string;
  refusedReason?: string;
  keysHandedOver?: { kind: string; target: string; time: string };
  packages: string[];
  receipts: string[];
  presentAt?: string;
}

/** The form of the saved state; another is refused by load (the fold is then rebuilt). */
const FORM = 2;

export class EnrolmentBook implements Fold {
  readonly name = 'enrolment';
  readonly byId = new Map<string, ApplicationRecord>();
  readonly byClient = new Map<string, string>();
  /** Receipts issued: receipt ID → its HMAC and package, for `receipts verify`. */
  readonly receipts = new Map<string, { hmac: string; package: string; client: string }>();

  /** Bulk runs by the SHA-256 of their file: a run cut short is resumed from its rows' applications. */
  readonly bulks = new Map<string, { id: string; rows: Map<number, string>; finished: boolean }>();
  private readonly bulkById = new Map<string, string>();

  /** The allocations fold, restored before this one, tells which client and package a delivery was. */
  constructor(private readonly allocations: Allocations) {}

  save(): unknown {
    return { form: FORM, apps: [...this.byId.values()], receipts: [...this.receipts], bulks: [...this.bulks].map(([digest, b]) => [digest, { ...b, rows: [...b.rows] }]) };
  }

  load(state: unknown): void {
    const s = state as { form?: number; apps: ApplicationRecord[]; receipts: [string, { hmac: string; package: string; client: string }][]; bulks?: [string, { id: string; rows: [number, string][]; finished: boolean }][] };
    // An older form lacks what this one keeps (the document's HMAC): the fold is rebuilt from the ledger.
    if (s.form !== FORM) throw new Error(`The enrolment book's saved state is of another form (${String(s.form)}).`);
    for (const [digest, b] of s.bulks ?? []) {
      this.bulks.set(digest, { ...b, rows: new Map(b.rows) });
      this.bulkById.set(b.id, digest);
    }
    for (const a of s.apps) {
      this.byId.set(a.id, a);
      if (a.client) this.byClient.set(a.client, a.id);
    }
    for (const [k, v] of s.receipts) this.receipts.set(k, v);
  }

  apply(e: LedgerEntry): void {
    const d = e.data as Record<string, unknown>;
    if (e.type === 'allocation.delivered') {
      const al = this.allocations.byId.get(String(d.allocation));
      if (al?.purpose === 'psrd' && al.package) this.delivered(al.client, al.package);
      return;
    }
    if (!e.type.startsWith('enrolment.')) return;
    if (e.type === 'enrolment.bulk-started') {
      this.bulks.set(String(d.digest), { id: String(d.bulk), rows: new Map(), finished: false });
      this.bulkById.set(String(d.bulk), String(d.digest));
      return;
    }
    if (e.type === 'enrolment.bulk-row' || e.type === 'enrolment.bulk-finished') {
      const b = this.bulks.get(this.bulkById.get(String(d.bulk)) ?? '');
      if (b && e.type === 'enrolment.bulk-row') b.rows.set(Number(d.row), String(d.application));
      if (b && e.type === 'enrolment.bulk-finished') b.finished = true;
      return;
    }
    if (e.type === 'enrolment.applied') {
      this.byId.set(String(d.application), { id: String(d.application), medium: d.medium as ApplicationRecord['medium'], createdAt: e.time, nameHmac: String(d.nameHmac), step: 'applied', packages: [], receipts: [] });
      return;
    }
    const a = this.byId.get(String(d.application));
    if (!a) return;
    const by = d.checkedBy ? String(d.checkedBy) : ((d.actor as { operator?: string; host: string } | undefined)?.operator ?? '');
    switch (e.type) {
      case 'enrolment.identity-checked':
        a.identity = { document: String(d.document), last4: String(d.last4), checkedBy: by, outcome: d.outcome === 'accepted' ? 'accepted' : 'refused', time: e.time };
        if (d.numberHmac) a.numberHmac = String(d.numberHmac);
        a.step = d.outcome === 'accepted' ? 'identity-checked' : 'refused';
        if (d.reason) a.refusedReason = String(d.reason);
        break;
      case 'enrolment.registered':
        a.client = String(d.client);
        this.byClient.set(a.client, a.id);
        a.step = 'registered';
        break;
      case 'enrolment.keys-handed-over': {
        const m = d.medium as { kind: string; target: string };
        a.keysHandedOver = { kind: m.kind, target: m.target, time: e.time };
        a.step = 'keys-handed-over';
        break;
      }
      case 'enrolment.present':
        a.presentAt = e.time;
        if (a.step === 'delivered') a.step = 'present';
        break;
      case 'enrolment.receipt-issued':
        a.receipts.push(String(d.receipt));
        this.receipts.set(String(d.receipt), { hmac: String(d.hmac), package: String(d.package), client: String(d.client) });
        // Done only when every package delivered to it has its receipt; until then it stays open.
        if (this.allReceipted(a)) a.step = 'receipted';
        break;
      case 'enrolment.withdrawn':
        a.step = 'refused';
        a.refusedReason = String(d.reason);
        break;
    }
  }

  /** Every package delivered to the application has a receipt. */
  private allReceipted(a: ApplicationRecord): boolean {
    const receipted = new Set(a.receipts.map((r) => this.receipts.get(r)?.package));
    return a.packages.length > 0 && a.packages.every((p) => receipted.has(p));
  }

  /**
   * A delivery to the application's client moves it to 'delivered': an "I'm here" confirmed before it
   * (presentAt, kept) was about an earlier package, not this one.
   */
  private delivered(client: string, pkg: string): void {
    const id = this.byClient.get(client);
    const a = id ? this.byId.get(id) : undefined;
    if (!a || a.packages.includes(pkg)) return;
    a.packages.push(pkg);
    if (a.step === 'keys-handed-over' || a.step === 'receipted' || a.step === 'present') a.step = 'delivered';
  }
}
