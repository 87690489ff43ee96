// The `clients` namespace (issue S6, part 1; spec §11.1): the hub's clients as the station knows them.
// A client ID is unique within the hub and never reused; its initial keys are drawn from the pool,
// kept in the station's keystore, and exported on a channel apart from its PSRD. Results carry ids,
// sizes and check values, never key bytes.
import { call, returns } from './contract';
import { object, oneOf, optional, text } from './validate';
import type { MediumRecordView } from './delivery';

export const clientId = text({ maxLength: 24, pattern: /^c-[0-9]{6,20}$/ });
/** A name as given at the desk; kept in the client directory, never in the ledger. */
const personName = text({ maxLength: 200, pattern: /^[^\x00-\x1f\x7f]{1,200}$/ });
const reason = text({ maxLength: 500, pattern: /^[^\x00-\x1f\x7f]{1,500}$/ });

export type ClientState = 'active' | 'suspended' | 'revoked';

export interface ClientView {
  readonly client: string;
  readonly name: string | null;
  readonly state: ClientState;
  readonly createdAt: string;
  /** Initial keys: still only in the keystore, or exported (the time and where to, by kind). */
  readonly initialKeys: { readonly exportedAt: string | null; readonly checkValue: string };
  readonly packages: number;
  readonly bytesDelivered: number;
}

export interface PackageView {
  readonly package: string;
  readonly state: 'reserved' | 'written' | 'verified' | 'delivered' | 'voided';
  readonly bytes: number;
  readonly ranges: readonly { readonly segment: string; readonly offset: number; readonly length: number }[];
  readonly medium: MediumRecordView;
  readonly time: string;
  readonly reason?: string;
}

export interface ClientDetail extends ClientView {
  readonly packageList: readonly PackageView[];
  readonly suspendedReason?: string;
}

/** What an auditor asks of one client: every package, range, medium, receipt and report. */
export interface ClientInventory {
  readonly client: string;
  readonly state: ClientState;
  readonly initialKeys: { readonly allocation: string; readonly checkValue: string; readonly exportedAt: string | null; readonly report?: number };
  readonly packages: readonly (PackageView & { readonly report?: number; readonly reportWaiting: boolean; readonly receipts: readonly string[]; readonly lostAt?: string })[];
  readonly reports: readonly { readonly seq: number; readonly kind: string; readonly waiting: boolean; readonly time: string }[];
  readonly bytesDelivered: number;
  readonly bytesVoided: number;
}

export const clientsCalls = {
  create: call({ args: object({ name: optional(personName) }), result: returns<ClientView>(), access: ['desk', 'operator'] }),
  list: call({ args: object({}), result: returns<ClientView[]>(), access: 'signed-in' }),
  show: call({ args: object({ client: clientId }), result: returns<ClientDetail>(), access: 'signed-in' }),
  suspend: call({ args: object({ client: clientId, reason }), result: returns<ClientView>(), access: ['desk', 'operator'] }),
  resume: call({ args: object({ client: clientId }), result: returns<ClientView>(), access: ['operator'] }),
  /** For good: nothing more is delivered, and the Security Server is told to destroy the client's PSRD. */
  revoke: call({ args: object({ client: clientId, reason }), result: returns<ClientView>(), access: ['operator'], approval: ['operator', 'admin'] }),
  /** A package lost by its client: its ID refused from then on (re-issue is a new delivery). */
  reportLoss: call({ args: object({ client: clientId, package: text({ maxLength: 36, pattern: /^pkg-[0-9a-f]{32}$/ }), reason }), result: returns<ClientView>(), access: ['desk', 'operator'] }),
  inventory: call({ args: object({ client: clientId }), result: returns<ClientInventory>(), access: ['auditor', 'operator', 'admin'] }),
  /** Writes the client's initial keys to a file of their own (docs/formats.md), apart from any PSRD. */
  exportInitialKeys: call({
    args: object({ client: clientId, to: text({ maxLength: 4096, pattern: /^file:.+$/ }), format: optional(oneOf(['binary'] as const)) }),
    result: returns<{ readonly client: string; readonly path: string; readonly checkValue: string }>(),
    access: ['desk', 'operator'],
  }),
} as const;

export const clientsErrors = {
  'unknown-client': 'There is no client with that ID at this hub.',
  'client-suspended': 'This client is suspended; it gets nothing until an operator resumes it.',
  'client-revoked': 'This client was revoked; it gets nothing any more.',
  keystore: 'The station’s keystore does not hold this client’s initial keys (the file is missing or damaged); restore the data directory from a backup.',
} as const;

export type ClientsEvents = Record<never, never>;
export const clientsEventNames = [] as const;
