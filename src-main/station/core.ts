// What every namespace's handlers are built from: the station's parts, composed once by station.ts.
import type { CallContext } from '../../src-shared/api/dispatch';
import type { SessionInfo } from '../../src-shared/api/session';
import type { Ledger } from '../../src-node/ledger/ledger';
import type { ResolvedSettings, StationConfig } from './config';
import type { EntropyProvider } from './devices/sources';
import type { StationEventBus } from './events';
import type { Jobs } from './jobs/jobs';
import type { LedgerIndex } from './audit/ledger-index';
import type { Accounts, Actor } from './operators/accounts';
import type { Operator, OperatorGate } from './operators/gate';
import type { Pool } from './pool/pool';
import type { Allocations } from './delivery/allocations';
import type { ClientDirectory } from './clients/client-directory';
import type { ClientRegistry } from './clients/client-registry';
import type { Keystore } from './clients/keystore';
import type { EnrolmentBook } from './enrolment/book';
import type { RegistrationStore } from './sync/registration-store';
import type { SyncState } from './sync/sync-state';

export interface Core {
  readonly config: StationConfig;
  /** Replaced whole (never edited in place) when an operator chooses the entropy sources. */
  settings: ResolvedSettings;
  readonly ledger: Ledger;
  readonly pool: Pool;
  /** Every allocation of pool PSRD to a client, and the range reports waiting for the Security Server. */
  readonly allocations: Allocations;
  readonly clients: ClientRegistry;
  readonly keystore: Keystore;
  /** Every application for enrolment and the step it reached. */
  readonly enrolment: EnrolmentBook;
  /** The link to the Security Server: the registration and exports as the ledger tells them, and the keys. */
  readonly sync: SyncState;
  readonly registration: RegistrationStore;
  /** Personal data (names), apart from the ledger. */
  readonly directory: ClientDirectory;
  readonly entropy: EntropyProvider;
  readonly accounts: Accounts;
  readonly gate: OperatorGate;
  readonly jobs: Jobs;
  /** The auditors' index over the ledger. */
  readonly index: LedgerIndex;
  readonly events: StationEventBus;
  readonly now: () => Date;
  readonly session: Pick<SessionInfo, 'version' | 'dataDir' | 'startedAt' | 'host'>;
}

export type Ctx = CallContext<Operator>;

/** Who made a call, for the ledger: from the call context, never from arguments. */
export function actorOf(ctx: Ctx): Actor {
  return { host: ctx.host, ...(ctx.operator ? { operator: ctx.operator.name } : {}), ...(ctx.approver ? { approver: ctx.approver.name } : {}) };
}
