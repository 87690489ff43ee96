// The `sync` namespace (issue S8): the station's link to its Security Server — registration, bulk
// shipments of the pool, range reports pushed online or carried as files, acknowledgements, and
// reconciliation of the two records.
import { call, returns } from './contract';
import { integer, object, optional, text } from './validate';

export interface OutboxReport {
  readonly seq: number;
  readonly kind: 'delivered' | 'voided' | 'initial-keys' | 'package-lost' | 'revoked';
  readonly client: string;
  readonly package: string | null;
  readonly bytes: number;
  readonly ranges: number;
  readonly queuedAt: string;
}

export interface RegistrationView {
  readonly station: string;
  readonly hub: string;
  readonly createdAt: string;
  /** Read aloud, or typed, on both sides: the same on the server's import of the registration file. */
  readonly confirmationCode: string;
}

export interface ShipmentView {
  readonly shipment: string;
  readonly segments: number;
  readonly bytes: number;
  readonly path: string;
  readonly state: 'writing' | 'written' | 'acknowledged' | 'abandoned';
  readonly time: string;
}

export interface SyncStatus {
  readonly registration: RegistrationView | null;
  /** The Security Server's address for `sync push` (station.json sync.serverUrl), or null: files only. */
  readonly serverUrl: string | null;
  readonly shipments: readonly ShipmentView[];
  /** Unallocated bytes the server holds too (allocatable), and bytes still to ship. */
  readonly shippedBytes: number;
  readonly unshippedBytes: number;
  /** The checkpoint of this ledger the server last witnessed. */
  readonly witnessedTreeSize: number | null;
  readonly lastAcknowledgement: { readonly appliedUpTo: number; readonly time: string; readonly via: string } | null;
  /** The server's latest refusal of a report, with its reason. */
  readonly lastRefusal: { readonly seq: number; readonly code: string; readonly reason: string; readonly time: string } | null;
  /** The latest acknowledgement this station refused, and why. */
  readonly lastRejected: { readonly kind: string; readonly reason: string; readonly time: string } | null;
  readonly lastExport: { readonly first: number; readonly last: number; readonly time: string } | null;
  readonly reportsWaiting: number;
  readonly bytesWaiting: number;
  /** The oldest reports first, at most 100. */
  readonly waiting: readonly OutboxReport[];
  readonly acknowledgedUpTo: number;
}

const outFile = text({ maxLength: 4096, pattern: /^\/[^\x00-\x1f]*$/ });
const inFile = outFile;
const serverUrl = text({ maxLength: 2048, pattern: /^https?:\/\/[^\s]+$/ });

export interface ShipmentResult {
  readonly job: string;
  readonly shipment: string;
  readonly path: string;
  readonly segments: number;
  readonly bytes: number;
  readonly fileBytes: number;
  readonly resumed: boolean;
}

export interface ImportResult {
  readonly kind: 'shipment' | 'reports';
  readonly changed: boolean;
  readonly shipment?: string;
  readonly appliedUpTo?: number;
  readonly refused?: { readonly seq: number; readonly code: string; readonly reason: string };
}

export interface PushResult {
  readonly server: string;
  readonly batches: number;
  readonly reportsSent: number;
  readonly appliedUpTo: number;
  readonly attempts: number;
  readonly shipmentsAcknowledged: readonly string[];
  readonly waiting: number;
}

export interface SyncDifference {
  readonly what: string;
  readonly station: string;
  readonly server: string;
}

export interface ReconcileResult {
  readonly server: string;
  readonly appliedUpTo: number;
  readonly checkedReports: number;
  readonly checkedShipments: number;
  readonly differences: readonly SyncDifference[];
}

export const syncCalls = {
  status: call({ args: object({}), result: returns<SyncStatus>(), access: 'signed-in' }),
  /**
   * Registers this station with its Security Server without public-key cryptography (§10.1): the keys
   * for shipments, reports and acknowledgements are made here and written to a registration file that
   * travels to the server on a medium; both sides confirm a short code. Two operators.
   */
  register: call({ args: object({ out: outFile }), result: returns<RegistrationView & { readonly path: string }>(), access: ['operator', 'admin'], approval: ['operator', 'admin'] }),
  /**
   * The range reports waiting in the outbox, sealed and authenticated under the report key with the
   * ledger's latest checkpoint, written to a file for an air-gapped Security Server. Nothing is taken
   * out of the outbox: the server's acknowledgement does that.
   */
  export: call({ args: object({ out: outFile }), result: returns<{ readonly path: string; readonly first: number; readonly last: number; readonly reports: number }>(), access: ['operator'] }),
  /**
   * A bulk shipment (§10.1): unallocated whole segments not shipped yet, the oldest first, up to `bytes`
   * (all when absent), sealed under the shipment key to a file; a job with progress, resumed by asking
   * for the same file again. Two operators. Its segments are allocated only once the server acknowledges it.
   */
  ship: call({
    args: object({
      /** A file (resumable): on a mounted volume, or anywhere the carrier will take it from. */
      out: optional(outFile),
      /** Or a medium checked as a delivery's: usb:/dev/sdX (the drive-safety policy applies) or hsm:LABEL. */
      to: optional(text({ maxLength: 4096, pattern: /^(usb:\/|hsm:)[^\x00-\x1f]+$/ })),
      token: optional(object({ pin: text({ maxLength: 256 }) })),
      bytes: optional(integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
    }),
    result: returns<ShipmentResult>(), access: ['operator'], approval: ['operator', 'admin'],
  }),
  /**
   * Gives up a shipment whose write never finished (the medium died, the wrong stick): its segments may
   * be chosen again. A shipment written in full is not abandoned: the server may hold it (import its
   * acknowledgement instead). Two operators.
   */
  abandonShipment: call({ args: object({ shipment: text({ maxLength: 36, pattern: /^shp-[0-9a-f]{32}$/ }), reason: text({ maxLength: 500, pattern: /^[^\x00-\x1f\x7f]{1,500}$/ }) }), result: returns<{ readonly shipment: string; readonly segments: number }>(), access: ['operator'], approval: ['operator', 'admin'] }),
  /** An acknowledgement file from the server (of a shipment, or of range reports), checked and recorded. */
  import: call({ args: object({ file: inFile }), result: returns<ImportResult>(), access: ['operator'] }),
  /** Sends the waiting reports to the server online, with retry and backoff, and fetches shipment acknowledgements. */
  push: call({ args: object({ server: optional(serverUrl) }), result: returns<PushResult>(), access: ['operator'] }),
  /** Compares this station's record with the server's state and lists every difference. */
  reconcile: call({ args: object({ server: optional(serverUrl) }), result: returns<ReconcileResult>(), access: ['operator', 'auditor'] }),
} as const;

export const syncErrors = {
  'not-registered': 'This station is not registered with a Security Server (dske-station sync register), or its registration keys cannot be read.',
  'already-registered': 'This station is registered already; its keys are not replaced.',
  'acknowledgement-refused': 'The Security Server\'s acknowledgement was refused: it does not authenticate, or it contradicts this station\'s record.',
  'server-unreachable': 'The Security Server could not be reached; what waits stays in the outbox.',
  'server-refused': 'The Security Server refused the request.',
} as const;
export type SyncEvents = Record<never, never>;
export const syncEventNames = [] as const;
