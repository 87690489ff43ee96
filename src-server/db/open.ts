// Opens the server's database behind one query layer (Kysely): SQLite through better-sqlite3 in the
// server's data directory (the embedded default: one server process), or PostgreSQL through `pg` (a hub
// that outgrows one machine: several server processes on one database).
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { ServerDatabase } from './schema';

export type DatabaseConfig = { readonly kind: 'sqlite'; readonly path: string } | { readonly kind: 'postgres'; readonly url: string; readonly poolSize?: number };

export interface ServerDb {
  readonly db: Kysely<ServerDatabase>;
  readonly dialect: 'sqlite' | 'postgres';
  close(): Promise<void>;
}

/** PostgreSQL's int8 as a JavaScript number: every count and size here stays far below 2^53. */
function int8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`a database integer beyond 2^53: ${value}`);
  return n;
}

/** Statements kept prepared; past this many distinct ones (queries with lists of other lengths), the cache starts over. */
const STATEMENT_CACHE = 512;

/**
 * The database as Kysely's SQLite driver sees it, with each SQL text prepared once: the driver prepares
 * every query afresh, which was a seventh of the server's time under load (bench/sync, profiled). A
 * statement is reused only by the one connection Kysely serializes its queries on.
 */
function preparedOnce(sqlite: Database.Database): { prepare(sql: string): Database.Statement; close(): void } {
  const cache = new Map<string, Database.Statement>();
  return {
    prepare(sql) {
      let stmt = cache.get(sql);
      if (!stmt) {
        if (cache.size >= STATEMENT_CACHE) cache.clear();
        stmt = sqlite.prepare(sql);
        cache.set(sql, stmt);
      }
      return stmt;
    },
    close: () => sqlite.close(),
  };
}

export function openDatabase(config: DatabaseConfig): ServerDb {
  if (config.kind === 'sqlite') {
    const sqlite = new Database(config.path);
    // WAL with a full fsync at every commit: an applied report survives a power cut. secure_delete
    // overwrites deleted rows, so a deleted PSRD row's wrapped key does not linger in free pages.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('secure_delete = ON');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 10000');
    const db = new Kysely<ServerDatabase>({ dialect: new SqliteDialect({ database: preparedOnce(sqlite) }) });
    return { db, dialect: 'sqlite', close: () => db.destroy() };
  }
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolSize ?? 10,
    types: { getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === 20 ? int8 : pg.types.getTypeParser(oid, format as 'text')) } as pg.CustomTypesConfig,
  });
  const db = new Kysely<ServerDatabase>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', close: () => db.destroy() };
}
