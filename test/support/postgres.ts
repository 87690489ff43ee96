// A throwaway PostgreSQL cluster for integration tests: initdb in a fresh temporary directory, started
// on a free loopback port with its unix socket in that directory, run as an unprivileged user (postgres
// when we are root, since initdb and postgres refuse root; the current user otherwise). It never touches
// the cluster Debian's package may have started on 5432. Server durability settings (fsync,
// synchronous_commit) are left at their defaults: the tests rely on real durability. If PostgreSQL is
// not installed this throws and says which package is missing — tests do not skip silently.
import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

export interface PostgresCluster {
  /** The temporary directory holding the data directory, the socket and the log. */
  readonly dir: string;
  readonly port: number;
  /** A connection URL over TCP on 127.0.0.1 (trust authentication); database defaults to postgres. */
  url(database?: string): string;
  /** Creates a database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the cluster (fast shutdown) and removes its directory; safe to call more than once. */
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** The database superuser initdb creates (default dske). */
  user?: string;
  /** Where the versioned installations live (default /usr/lib/postgresql); tests of this module change it. */
  libDir?: string;
  /** How long to wait for the cluster to accept connections (default 20 s). */
  readyTimeoutMs?: number;
}

const LIB_DIR = '/usr/lib/postgresql';
const PREFERRED_MAJOR = '15';
const isRoot = process.getuid?.() === 0;
const run = promisify(execFile);

/** The bin directory of the installation to use: 15 if present, else the highest major; undefined if none. */
function findBinDir(libDir = LIB_DIR): string | undefined {
  if (!existsSync(libDir)) return undefined;
  const usable = readdirSync(libDir)
    .filter((v) => /^\d+$/.test(v) && ['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(join(libDir, v, 'bin', b))))
    .sort((a, b) => Number(b) - Number(a));
  const major = usable.includes(PREFERRED_MAJOR) ? PREFERRED_MAJOR : usable[0];
  return major === undefined ? undefined : join(libDir, major, 'bin');
}

const postgresUserExists = (): boolean => spawnSync('id', ['-u', 'postgres']).status === 0;
const postgresId = (flag: '-u' | '-g'): number => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout);

export function postgresAvailable(libDir = LIB_DIR): boolean {
  return findBinDir(libDir) !== undefined && (!isRoot || postgresUserExists());
}

/** Runs a PostgreSQL binary as the unprivileged user (through runuser when we are root). */
function asPgUser(bin: string, args: string[], cwd: string): Promise<unknown> {
  return isRoot ? run('runuser', ['-u', 'postgres', '--', bin, ...args], { cwd }) : run(bin, args, { cwd });
}

/** A port the OS says is free on 127.0.0.1 right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

const logTail = (log: string): string => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-20).join('\n') : '(no log file)');

async function waitReady(url: string, log: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('select 1');
      await client.end();
      return;
    } catch (e) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections at ${url} within ${timeoutMs} ms (${(e as Error).message}); log tail:\n${logTail(log)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Clusters still running, stopped synchronously if the test process exits without stop(). */
const running = new Map<string, () => void>();
process.once('exit', () => running.forEach((halt) => halt()));

export async function startPostgres(opts: PostgresOptions = {}): Promise<PostgresCluster> {
  const binDir = findBinDir(opts.libDir);
  if (!binDir) throw new Error(`PostgreSQL is not installed (no ${opts.libDir ?? LIB_DIR}/<major>/bin with initdb, pg_ctl, postgres): the Debian package "postgresql" is missing. \`npm test\` installs it when run as root (scripts/install-system-deps.sh); or run: apt-get install postgresql`);
  if (isRoot && !postgresUserExists()) throw new Error('PostgreSQL is installed but the "postgres" user is missing: reinstall the Debian package "postgresql" (`npm test` installs it when run as root)');
  const user = opts.user ?? 'dske';
  // As root the postgres user must reach the directory: /tmp is world-traversable, TMPDIR may not be.
  const dir = mkdtempSync(join(isRoot ? '/tmp' : tmpdir(), 'dske-pg-'));
  if (isRoot) chownSync(dir, postgresId('-u'), postgresId('-g'));
  const data = join(dir, 'db');
  const log = join(dir, 'log');
  const pgCtl = join(binDir, 'pg_ctl');
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  /** Synchronous: for the exit hook, and for a start that failed half-way (a postmaster may be up). */
  const halt = (): void => {
    const stopArgs = ['-D', data, '-m', 'immediate', '-w', 'stop'];
    spawnSync(isRoot ? 'runuser' : pgCtl, isRoot ? ['-u', 'postgres', '--', pgCtl, ...stopArgs] : stopArgs, { cwd: '/' });
    remove();
  };
  try {
    await asPgUser(join(binDir, 'initdb'), ['-D', data, '-A', 'trust', '-U', user, '--encoding=UTF8', '--locale=C'], dir);
  } catch (e) {
    remove();
    throw new Error(`initdb failed: ${(e as { stderr?: string }).stderr ?? (e as Error).message}`);
  }
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    const serverOpts = `-k ${dir} -c listen_addresses=127.0.0.1 -p ${port} -c shared_buffers=16MB`;
    try {
      await asPgUser(pgCtl, ['-D', data, '-o', serverOpts, '-l', log, '-w', '-t', String(Math.ceil((opts.readyTimeoutMs ?? 20_000) / 1000)), 'start'], dir);
      break;
    } catch (e) {
      // Another process may have taken the port between asking and binding: try a new one, twice.
      if (attempt < 3 && /could not bind|Address already in use/.test(logTail(log))) continue;
      const why = `PostgreSQL failed to start: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}; log tail:\n${logTail(log)}`;
      halt();
      throw new Error(why);
    }
  }
  running.set(dir, halt);
  const url = (database = 'postgres'): string => `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  let stopped: Promise<void> | undefined;
  const cluster: PostgresCluster = {
    dir,
    port,
    url,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`database name not allowed here: ${name}`);
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    stop() {
      stopped ??= (async () => {
        running.delete(dir);
        await asPgUser(pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop'], '/').catch(() => undefined);
        remove();
      })();
      return stopped;
    },
  };
  try {
    await waitReady(url(), log, opts.readyTimeoutMs ?? 20_000);
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}
