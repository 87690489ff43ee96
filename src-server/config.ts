// The Security Server's configuration: <data-dir>/server.json (written by `dske-server init`), then
// environment variables over it. SQLite in the data directory unless a PostgreSQL URL is given.
//
//   DSKE_SERVER_DATA          the data directory (default ./dske-server-data)
//   DSKE_SERVER_DATABASE_URL  postgres://… : use PostgreSQL (several server processes may share it)
//   DSKE_SERVER_HOST / _PORT  where `serve` listens (default 127.0.0.1:8450)
//   DSKE_SERVER_MASTER_KEY    the master key file (default <data-dir>/master.key); every process that
//                             shares one PostgreSQL database needs the same key
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HUB_ID } from '../src-shared/psrd/package-format';
import type { DatabaseConfig } from './db/open';
import { ServerFailure } from './errors';

export interface ServerConfig {
  readonly dataDir: string;
  readonly hub: string;
  readonly database: DatabaseConfig;
  readonly masterKeyPath: string;
  readonly host: string;
  readonly port: number;
}

export const CONFIG_FILE = 'server.json';
export const DEFAULT_PORT = 8450;

interface ConfigFile {
  hub?: unknown;
  databaseUrl?: unknown;
  host?: unknown;
  port?: unknown;
  masterKey?: unknown;
}

function readConfigFile(dataDir: string): ConfigFile {
  const path = join(dataDir, CONFIG_FILE);
  if (!existsSync(path)) return {};
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as ConfigFile;
  } catch (e) {
    throw new ServerFailure('bad-config', `${path} is not a valid configuration (${(e as Error).message}).`);
  }
}

export function loadConfig(env: NodeJS.ProcessEnv, overrides: { dataDir?: string; hub?: string; databaseUrl?: string; port?: number; host?: string } = {}): ServerConfig {
  const dataDir = resolve(overrides.dataDir ?? env.DSKE_SERVER_DATA ?? 'dske-server-data');
  const file = readConfigFile(dataDir);
  const hub = overrides.hub ?? env.DSKE_SERVER_HUB ?? file.hub;
  if (hub === undefined && !existsSync(join(dataDir, CONFIG_FILE))) {
    throw new ServerFailure('bad-config', `No Security Server in ${dataDir} (it has no ${CONFIG_FILE}): run \`dske-server init --hub HUB\` there first, or name the right folder with --data.`);
  }
  if (typeof hub !== 'string' || !HUB_ID.test(hub)) throw new ServerFailure('bad-config', `The hub ID is missing or invalid (${String(hub)}): give --hub at init (lower-case letters, digits, dots and dashes).`);
  const url = overrides.databaseUrl ?? env.DSKE_SERVER_DATABASE_URL ?? file.databaseUrl;
  if (url !== undefined && (typeof url !== 'string' || !/^postgres(ql)?:\/\//.test(url))) throw new ServerFailure('bad-config', 'The database URL must be a postgres:// URL; leave it out for SQLite in the data directory.');
  const portValue = overrides.port ?? (env.DSKE_SERVER_PORT !== undefined ? Number(env.DSKE_SERVER_PORT) : file.port ?? DEFAULT_PORT);
  if (typeof portValue !== 'number' || !Number.isInteger(portValue) || portValue < 0 || portValue > 65535) throw new ServerFailure('bad-config', `The port is not a port number: ${String(portValue)}.`);
  const host = overrides.host ?? env.DSKE_SERVER_HOST ?? file.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.length === 0) throw new ServerFailure('bad-config', 'The listen address is empty.');
  const masterKey = env.DSKE_SERVER_MASTER_KEY ?? file.masterKey ?? join(dataDir, 'master.key');
  if (typeof masterKey !== 'string') throw new ServerFailure('bad-config', 'The master key path is not a string.');
  return {
    dataDir,
    hub,
    database: typeof url === 'string' ? { kind: 'postgres', url } : { kind: 'sqlite', path: join(dataDir, 'server.sqlite') },
    masterKeyPath: resolve(dataDir, masterKey),
    host,
    port: portValue,
  };
}
