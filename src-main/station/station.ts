// The station core, composed by one factory from a config (docs/docs/DESIGN.md, src-main/station). The same
// object serves the Electron window, the browser host, the CLI and the tests; it knows nothing of
// them. This file only wires: each namespace's handlers live in their own folder (handlers.ts).
import { join } from 'node:path';
import { createDispatch, type Dispatch, type SessionSlot, type TransportContext } from '../../src-shared/api/dispatch';
import { StationFailure } from '../../src-shared/api/result';
import { stationApi } from '../../src-shared/api/station-api';
import { checkDataDirPath, lockDataDir, prepareDataDir, type DataDirLock } from '../../src-node/data-dir';
import type { Ledger } from '../../src-node/ledger/ledger';
import type { MasterKey } from '../../src-node/psrd-store/master-key';
import { ledgerView } from './audit/handlers';
import { resolveSettings, type StationConfig } from './config';
import { openStationFiles, stationPresent } from './station-files';
import type { Core } from './core';
import { watchDevices } from './devices/device-watch';
import { defaultEntropyProvider } from './devices/sources';
import { latchedSources } from './devices/source-latches';
import { LedgerIndex } from './audit/ledger-index';
import { StationEventBus } from './events';
import { stationHandlers, type StationHandlers } from './handlers';
import { Jobs } from './jobs/jobs';
import { Accounts } from './operators/accounts';
import { OperatorGate } from './operators/gate';
import { Pool } from './pool/pool';
import { Allocations } from './delivery/allocations';
import { recoverAllocations } from './delivery/recovery';
import { ClientRegistry } from './clients/client-registry';
import { ClientDirectory } from './clients/client-directory';
import { Keystore } from './clients/keystore';
import { EnrolmentBook } from './enrolment/book';
import { RegistrationStore } from './sync/registration-store';
import { SyncState } from './sync/sync-state';
import { clientParts } from './clients/handlers';
import { VERSION } from './version';

export interface Station {
  /** The composed parts (for the CLI's offline checks and for tests); transports use dispatch. */
  readonly core: Core;
  readonly handlers: StationHandlers;
  /** The one door for transports: roles, approvals and arguments checked before a handler runs. */
  readonly dispatch: Dispatch;
  readonly events: StationEventBus;
  readonly ledger: Ledger;
  readonly pool: Pool;
  readonly jobs: Jobs;
  readonly accounts: Accounts;
  close(): Promise<void>;
}

/** A fresh transport context: one per window, per browser-host run, per CLI process. */
export function transportContext(host: string, signal: AbortSignal = new AbortController().signal): TransportContext & { session: SessionSlot } {
  return { host, session: {}, signal };
}

export function openStation(config: StationConfig): Station {
  const now = config.now ?? (() => new Date());
  const mode = config.mode ?? 'create';
  checkDataDirPath(config.dataDir);
  if (mode !== 'create' && !stationPresent(config.dataDir)) {
    throw new StationFailure('no-data-dir', `There is no station in ${config.dataDir}.`);
  }
  const readOnly = mode === 'read';
  if (!readOnly) prepareDataDir(config.dataDir);
  const lock: DataDirLock = readOnly ? { release: () => undefined } : lockDataDir(config.dataDir);
  let ledger: Ledger | undefined;
  let master: MasterKey | undefined;
  let pool: Pool | undefined;
  try {
    const settings = resolveSettings(config);
    ({ ledger, master } = openStationFiles(config.dataDir, settings, { readOnly, create: mode === 'create', now }));
    pool = new Pool(join(config.dataDir, 'pool'), ledger, master, settings.policy, now);
    const accounts = new Accounts(config.dataDir, ledger, settings.operators, now, readOnly);
    const events = new StationEventBus();
    const jobs = new Jobs(ledger, events, now);
    latchedSources(ledger); // every fold restored at open, so that each is in the next snapshot
    const index = new LedgerIndex();
    ledger.restore(index);
    const allocations = new Allocations();
    ledger.restore(allocations);
    const clients = new ClientRegistry();
    ledger.restore(clients);
    const enrolment = new EnrolmentBook(allocations);
    ledger.restore(enrolment);
    const sync = new SyncState();
    ledger.restore(sync);
    const core: Core = {
      config,
      settings,
      ledger,
      pool,
      allocations,
      clients,
      enrolment,
      sync,
      registration: new RegistrationStore(join(config.dataDir, 'sync'), master),
      keystore: new Keystore(join(config.dataDir, 'keystore'), master),
      directory: new ClientDirectory(join(config.dataDir, 'clients')),
      entropy: defaultEntropyProvider(ledger, now, settings.entropy),
      accounts,
      gate: new OperatorGate(accounts, now),
      jobs,
      index,
      events,
      now,
      session: { version: VERSION, dataDir: config.dataDir, startedAt: now().toISOString(), host: config.host },
    };
    if (!readOnly) {
      // Order matters: the pool finishes its recorded destructions, then unsettled allocations are
      // delivered or voided (which destroys more), then jobs cut off by the stop are recorded.
      pool.recover();
      recoverAllocations(clientParts(core));
      jobs.recover();
    }
    const m = master;
    return compose(core, () => {
      m?.close();
      lock.release();
    });
  } catch (e) {
    void pool?.close();
    master?.close();
    ledger?.close();
    lock.release();
    throw e;
  }
}

function compose(core: Core, release: () => void): Station {
  const { ledger, events, pool, jobs, accounts } = core;
  ledger.onAppend((e) => events.emit('ledger.appended', ledgerView(e)));
  const handlers = stationHandlers(core);
  const dispatch = createDispatch({ contract: stationApi, handlers, gate: core.gate, log: (l) => console.error(l) });
  const list = (): ReturnType<typeof core.entropy.list> => core.entropy.list(core.settings.sources);
  const watch = core.config.watchDevicesMs ? watchDevices(list, (r) => events.emit('devices.changed', r), core.config.watchDevicesMs) : undefined;
  ledger.onAppend((e) => {
    if (e.type.startsWith('entropy.')) watch?.poke();
  });
  let closing: Promise<void> | undefined;
  return {
    core,
    handlers,
    dispatch,
    events,
    ledger,
    pool,
    jobs,
    accounts,
    close() {
      closing ??= (async () => {
        watch?.stop();
        // Running jobs are asked to stop and record their end before the ledger and the worker go away.
        await jobs.cancelAll();
        await pool.close();
        ledger.close();
        release();
      })();
      return closing;
    },
  };
}
