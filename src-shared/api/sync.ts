// The `sync` namespace: what the station owes the Security Server (issue S6 queues range reports; the
// Security Server issue drains them). Until then, `sync status` shows what waits.
import { call, returns } from './contract';
import { object, text } from './validate';

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

export interface SyncStatus {
  readonly registration: RegistrationView | null;
  readonly lastExport: { readonly first: number; readonly last: number; readonly time: string } | null;
  readonly reportsWaiting: number;
  readonly bytesWaiting: number;
  /** The oldest reports first, at most 100. */
  readonly waiting: readonly OutboxReport[];
  readonly acknowledgedUpTo: number;
}

const outFile = text({ maxLength: 4096, pattern: /^\/[^\x00-\x1f]*$/ });

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
} as const;

export const syncErrors = {
  'not-registered': 'This station is not registered with a Security Server (dske-station sync register), or its registration keys cannot be read.',
  'already-registered': 'This station is registered already; its keys are not replaced.',
} as const;
export type SyncEvents = Record<never, never>;
export const syncEventNames = [] as const;
