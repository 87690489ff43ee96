// The `sync` namespace: what the station owes the Security Server (issue S6 queues range reports; the
// Security Server issue drains them). Until then, `sync status` shows what waits.
import { call, returns } from './contract';
import { object } from './validate';

export interface OutboxReport {
  readonly seq: number;
  readonly kind: 'delivered' | 'voided' | 'initial-keys' | 'package-lost' | 'revoked';
  readonly client: string;
  readonly package: string | null;
  readonly bytes: number;
  readonly ranges: number;
  readonly queuedAt: string;
}

export interface SyncStatus {
  readonly reportsWaiting: number;
  readonly bytesWaiting: number;
  /** The oldest reports first, at most 100. */
  readonly waiting: readonly OutboxReport[];
  readonly acknowledgedUpTo: number;
}

export const syncCalls = {
  status: call({ args: object({}), result: returns<SyncStatus>(), access: 'signed-in' }),
} as const;

export const syncErrors = {} as const;
export type SyncEvents = Record<never, never>;
export const syncEventNames = [] as const;
