// Refusals anyone could provoke without a station's keys (issue S8, part 4): a batch that does not parse
// (`malformed`) or does not authenticate (`forged`), and an authentic batch sent again (`replay`, which
// whoever saw it on the wire can repeat). Each is kept with its reason in a bounded table (the newest
// REFUSAL_LOG_ROWS), outside the hash-chained audit log: junk must neither grow the audit log nor queue
// every real batch behind its head. Refusals of authentic batches for what they say (an unknown segment,
// a witness that does not extend, …) go to the audit log.
import type { Kysely } from 'kysely';
import type { ServerDatabase } from './db/schema';

export const REFUSAL_LOG_ROWS = 10_000;
export const UNAUTHENTICATED_REFUSALS: ReadonlySet<string> = new Set(['malformed', 'forged', 'replay']);

export interface LoggedRefusal {
  readonly time: string;
  readonly station: string | null;
  readonly code: string;
  readonly reason: string;
}

export async function noteRefusal(db: Kysely<ServerDatabase>, r: LoggedRefusal): Promise<void> {
  const row = await db.insertInto('refusal_log').values({ time: r.time, station: r.station, code: r.code, reason: r.reason }).returning('id').executeTakeFirstOrThrow();
  const id = Number(row.id);
  if (id % 100 === 0) await db.deleteFrom('refusal_log').where('id', '<=', id - REFUSAL_LOG_ROWS).execute();
}

/** The newest refusals kept, oldest first. */
export async function recentRefusals(db: Kysely<ServerDatabase>, limit = 100): Promise<LoggedRefusal[]> {
  const rows = await db.selectFrom('refusal_log').select(['time', 'station', 'code', 'reason']).orderBy('id', 'desc').limit(limit).execute();
  return rows.reverse();
}
