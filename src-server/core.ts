// The Security Server's composition root: configuration, database, master key and clock, shared by the
// HTTP service, the CLI and tests.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { FileMasterKey, type MasterKey } from '../src-node/psrd-store/master-key';
import { CONFIG_FILE, type ServerConfig } from './config';
import { migrate } from './db/migrate';
import { openDatabase, type ServerDb } from './db/open';
import { lockRows } from './db/transaction';
import { ServerFailure } from './errors';
import { loadAuditKey, type AuditKey } from './audit-log';

export interface ServerCore {
  readonly config: ServerConfig;
  readonly sdb: ServerDb;
  readonly master: MasterKey;
  /** Whether transactions take row locks (PostgreSQL); SQLite transactions are serial already. */
  readonly lock: boolean;
  /** Authenticates the audit log's head (audit-log.ts). */
  readonly auditKey: AuditKey;
  now(): Date;
  close(): Promise<void>;
}

function openMasterKey(path: string, create: boolean): MasterKey {
  try {
    return create && !existsSync(path) ? FileMasterKey.create(path) : FileMasterKey.open(path);
  } catch (e) {
    throw new ServerFailure('master-key', `The server's master key (${path}) cannot be used: ${(e as Error).message.replace(/station/g, 'server')}`);
  }
}

/** Makes a new server's data directory: its config file, master key and tables. Refuses to overwrite a config. */
export async function initServer(config: ServerConfig): Promise<void> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const file = join(config.dataDir, CONFIG_FILE);
  if (!existsSync(file)) {
    const body = { hub: config.hub, ...(config.database.kind === 'postgres' ? { databaseUrl: config.database.url } : {}), host: config.host, port: config.port };
    writeFileSync(file, JSON.stringify(body, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  }
  const core = await openServer(config, { create: true });
  await core.close();
}

export async function openServer(config: ServerConfig, opts: { create?: boolean; now?: () => Date } = {}): Promise<ServerCore> {
  if (config.database.kind === 'sqlite' && !existsSync(config.database.path) && !opts.create) {
    throw new ServerFailure('bad-config', `No Security Server in ${config.dataDir}: run \`dske-server init --hub HUB\` first.`);
  }
  const master = openMasterKey(config.masterKeyPath, opts.create === true);
  const sdb = openDatabase(config.database);
  let auditKey: AuditKey;
  try {
    await migrate(sdb.db, sdb.dialect);
    auditKey = await loadAuditKey(sdb.db, master);
  } catch (e) {
    master.close();
    await sdb.close();
    if (e instanceof ServerFailure) throw e;
    throw new ServerFailure('io', `The server's database cannot be opened (${(e as Error).message}).`);
  }
  return {
    config,
    sdb,
    master,
    lock: lockRows(sdb),
    auditKey,
    now: opts.now ?? (() => new Date()),
    close: async () => {
      master.close();
      await sdb.close();
    },
  };
}
