// One transaction with retries for what PostgreSQL asks to retry: a serialization failure, a deadlock,
// or a unique violation raced by another server process (the constraint did its job; the retry then
// sees the other process's row and decides again). SQLite runs one connection: nothing to retry.
import type { Transaction } from 'kysely';
import type { ServerDb } from './open';
import type { ServerDatabase } from './schema';

const RETRYABLE = new Set(['40001', '40P01', '23505']);
const ATTEMPTS = 8;

export async function inTransaction<T>(sdb: ServerDb, work: (trx: Transaction<ServerDatabase>) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await sdb.db.transaction().execute(work);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (sdb.dialect !== 'postgres' || typeof code !== 'string' || !RETRYABLE.has(code) || attempt >= ATTEMPTS) throw e;
      await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
    }
  }
}

/** `FOR UPDATE` where the dialect has it; SQLite transactions are serial already. */
export const lockRows = (sdb: ServerDb): boolean => sdb.dialect === 'postgres';
