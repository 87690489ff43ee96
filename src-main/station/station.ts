// The station core, composed by one factory from a config (DESIGN.md, src-main/station). The same
// object serves the Electron window, the browser host, the CLI and the tests; it knows nothing of them.
import { join } from 'node:path';
import type { ArgsOf, MethodOf, Namespace, ResultOf } from '../../src-shared/api/contract';
import { StationFailure } from '../../src-shared/api/result';
import type { LedgerEntryView, PoolProgress, SessionInfo } from '../../src-shared/api/types';
import { resolveSettings, type MasterKeySettings, type StationConfig } from './config';
import { lockDataDir, prepareDataDir } from '../../src-node/data-dir';
import { StationEventBus } from './events';
import { Ledger } from '../../src-node/ledger/ledger';
import type { LedgerEntry } from '../../src-node/ledger/entry';
import { FileMasterKey, TokenMasterKey, type MasterKey } from '../../src-node/psrd-store/master-key';
import { Pool } from './pool/pool';
import { canonicalSpec, defaultEntropyProvider, type EntropyProvider } from './sources';
import { watchDevices } from './device-watch';
import { VERSION } from './version';

export type Handlers = {
  readonly [N in Namespace]: { readonly [M in MethodOf<N>]: (args: ArgsOf<N, M>) => Promise<ResultOf<N, M>> };
};

export interface Station {
  readonly handlers: Handlers;
  readonly events: StationEventBus;
  readonly ledger: Ledger;
  readonly pool: Pool;
  close(): Promise<void>;
}

export function ledgerView(e: LedgerEntry): LedgerEntryView {
  return { seq: e.seq, time: e.time, type: e.type, data: e.data, hash: e.hash };
}

export function openStation(config: StationConfig): Station {
  const now = config.now ?? (() => new Date());
  prepareDataDir(config.dataDir);
  const lock = lockDataDir(config.dataDir);
  let ledger: Ledger | undefined;
  let master: MasterKey | undefined;
  try {
    const settings = resolveSettings(config);
    ledger = Ledger.open(config.dataDir, now);
    master = openMasterKey(config.dataDir, settings.masterKey);
    const pool = new Pool(join(config.dataDir, 'pool'), ledger, master, settings.policy, now);
    pool.recover();
    const entropy = defaultEntropyProvider(ledger, now, settings.entropy);
    const m = master;
    return compose(config, ledger, pool, entropy, settings.sources, () => {
      m.close();
      lock.release();
    }, now);
  } catch (e) {
    master?.close();
    ledger?.close();
    lock.release();
    throw e;
  }
}

function openMasterKey(dataDir: string, settings: MasterKeySettings): MasterKey {
  if (!settings.pkcs11) return FileMasterKey.openOrCreate(join(dataDir, 'keys', 'master.key'));
  const pin = process.env.DSKE_TOKEN_PIN;
  if (!pin) throw new StationFailure('master-key', 'The master key is in a PKCS#11 token: set DSKE_TOKEN_PIN to its user PIN.');
  return TokenMasterKey.open({ ...settings.pkcs11, keyLabel: settings.pkcs11.keyLabel ?? 'dske-station-master', pin });
}

function compose(
  config: StationConfig,
  ledger: Ledger,
  pool: Pool,
  entropy: EntropyProvider,
  defaultSources: readonly string[],
  releaseLock: () => void,
  now: () => Date,
): Station {
  const events = new StationEventBus();
  ledger.onAppend((e) => events.emit('ledger.appended', ledgerView(e)));
  const session: SessionInfo = { version: VERSION, dataDir: config.dataDir, startedAt: now().toISOString(), host: config.host };
  let busy: string | null = null;
  let running: Promise<unknown> = Promise.resolve();
  const configured = new Set(['os', ...defaultSources.map(canonicalSpec)]);

  /**
   * The window and the browser host may use only the sources named in the station's settings: a page
   * must never point generation at a path of its choosing (a file it knows would become PSRD).
   * The CLI is run by the operator at the station's own shell, and may name any source.
   */
  function allowedSources(specs: readonly string[]): readonly string[] {
    if (config.host === 'cli' || config.host === 'test') return specs;
    for (const s of specs) {
      if (!configured.has(canonicalSpec(s))) throw new StationFailure('forbidden', `${s} is not one of this station's configured entropy sources; an operator adds it to station.json first.`);
    }
    return specs;
  }

  /** One pool-changing operation at a time: two at once could race on the same bytes. */
  async function exclusive<T>(what: string, run: () => Promise<T>): Promise<T> {
    if (busy) throw new StationFailure('busy', `The station is busy (${busy}); try again when it has finished.`);
    busy = what;
    const op = run();
    running = op.catch(() => undefined);
    try {
      return await op;
    } finally {
      busy = null;
    }
  }

  /** One generation: sources → health tests → conditioning → encrypted segments, with progress events. */
  async function generate(args: ArgsOf<'pool', 'generate'>): Promise<ResultOf<'pool', 'generate'>> {
    const stream = await entropy.open(allowedSources(args.sources ?? defaultSources));
    const started = Date.now();
    let lastEmit = 0;
    const progress = (phase: PoolProgress['phase'], done: number): void => {
      const t = Date.now();
      if (phase === 'generating' && t - lastEmit < 200 && done < args.bytes) return;
      lastEmit = t;
      const rate = done / Math.max((t - started) / 1000, 1e-3);
      events.emit('pool.progress', {
        phase, bytesDone: done, bytesTotal: args.bytes, bytesPerSecond: Math.round(rate),
        etaSeconds: rate > 0 && done < args.bytes ? Math.round((args.bytes - done) / rate) : done >= args.bytes ? 0 : null,
        sources: stream.health(),
      });
    };
    try {
      progress('start-up test', 0);
      const { segmentIds } = await pool.generate(stream, args.bytes, (p) => progress('generating', p.bytesDone), args.resumes);
      progress('done', args.bytes);
      return { bytes: args.bytes, segmentIds, label: stream.provenance().label };
    } catch (e) {
      progress('failed', 0);
      throw e;
    } finally {
      await stream.close();
    }
  }

  const handlers: Handlers = {
    session: {
      info: async () => session,
    },
    pool: {
      status: async () => pool.status(),
      segments: async ({ offset, limit }) => pool.segments(offset ?? 0, limit ?? 100),
      generate: (args) => exclusive('generating pool', () => generate(args)),
      destroyExpired: () => exclusive('destroying expired segments', async () => pool.destroyExpired()),
      // Spec §10 refresh: destroy what is past its age, then generate as much again from the configured sources.
      refresh: () =>
        exclusive('refreshing the pool', async () => {
          const destroyed = pool.destroyExpired();
          if (destroyed.destroyedBytes === 0) return { ...destroyed, generatedBytes: 0 };
          const made = await generate({ bytes: destroyed.destroyedBytes });
          return { ...destroyed, generatedBytes: made.bytes };
        }),
    },
    devices: {
      listSources: () => entropy.list(defaultSources),
      testSource: ({ spec }) => exclusive('testing an entropy source', () => entropy.test(allowedSources([spec])[0])),
      acknowledgeSource: ({ spec, operator }) => exclusive('acknowledging an entropy source', () => entropy.acknowledge(spec, operator)),
    },
    audit: {
      ledger: async ({ afterSeq, limit }) => {
        const all = ledger.entries();
        const from = afterSeq === undefined ? Math.max(0, all.length - (limit ?? 100)) : afterSeq + 1;
        return all.slice(from, from + (limit ?? 100)).map(ledgerView);
      },
      verify: async () => ledger.verify(),
    },
  };

  const watch = config.watchDevicesMs ? watchDevices(() => entropy.list(defaultSources), (r) => events.emit('devices.changed', r), config.watchDevicesMs) : undefined;
  ledger.onAppend((e) => {
    if (e.type.startsWith('entropy.')) watch?.poke();
  });

  return {
    handlers,
    events,
    ledger,
    pool,
    async close() {
      watch?.stop();
      // A running operation finishes (and records its end) before the ledger and the worker go away.
      await running;
      await pool.close();
      ledger.close();
      releaseLock();
    },
  };
}
