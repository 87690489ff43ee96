// Creates the server's tables where they do not exist yet (both dialects). Constraints carry the rules
// that must hold across server processes: one row per report (station, seq), one per client, one per
// segment, PSRD pieces that never share a start, an audit log without two entries at one seq.
import { sql, type Kysely } from 'kysely';
import { ServerFailure } from '../errors';
import type { ServerDatabase } from './schema';

/** The tables' shape. A database of another version is refused with its reason, never half-used. */
export const SCHEMA_VERSION = 1;

export async function migrate(db: Kysely<ServerDatabase>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  if (dialect === 'sqlite') return prepare(db, dialect);
  // Several server processes may start at once: one creates the tables, the others wait for it.
  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(4242424242)`.execute(trx);
    await prepare(trx, dialect);
  });
}

async function prepare(db: Kysely<ServerDatabase>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const tables = new Set((await db.introspection.getTables()).map((t) => t.name));
  if (tables.has('stations')) {
    const row = tables.has('meta') ? await db.selectFrom('meta').select('value').where('key', '=', 'schema').executeTakeFirst() : undefined;
    const version = row ? Number(row.value) : undefined;
    if (version !== SCHEMA_VERSION) {
      throw new ServerFailure('bad-config', version === undefined
        ? 'This database was made by an earlier build of dske-server, before its tables carried a version; it is not upgraded. Make a new server (dske-server init) and register the stations with it again.'
        : `This database has tables of version ${version}; this dske-server knows version ${SCHEMA_VERSION}. Use the dske-server that made it.`);
    }
  }
  await createTables(db, dialect);
  await db.insertInto('meta').values({ key: 'schema', value: String(SCHEMA_VERSION) }).onConflict((oc) => oc.column('key').doNothing()).execute();
}

async function createTables(db: Kysely<ServerDatabase>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const bytes = dialect === 'sqlite' ? 'blob' : 'bytea';
  const big = dialect === 'sqlite' ? 'integer' : 'bigint';
  const serial = dialect === 'sqlite' ? 'integer' : 'bigserial';
  await db.schema.createTable('meta').ifNotExists()
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createTable('stations').ifNotExists()
    .addColumn('station', 'text', (c) => c.primaryKey())
    .addColumn('hub', 'text', (c) => c.notNull())
    .addColumn('registered_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('keys', sql.raw(bytes), (c) => c.notNull())
    .addColumn('applied_up_to', sql.raw(big), (c) => c.notNull().defaultTo(0).check(sql`applied_up_to >= 0`))
    .addColumn('witnessed_tree_size', sql.raw(big))
    .addColumn('witnessed_root', 'text')
    .addColumn('witnessed_chain_head', 'text')
    .addColumn('witnessed_time', 'text')
    .execute();
  await db.schema.createTable('shipments').ifNotExists()
    .addColumn('shipment', 'text', (c) => c.primaryKey())
    .addColumn('station', 'text', (c) => c.notNull().references('stations.station'))
    .addColumn('segments', 'integer', (c) => c.notNull())
    .addColumn('bytes', sql.raw(big), (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('importing', 'held')`))
    .addColumn('imported_at', 'text')
    .execute();
  await db.schema.createTable('segments').ifNotExists()
    .addColumn('station', 'text', (c) => c.notNull().references('stations.station'))
    .addColumn('segment', 'text', (c) => c.notNull())
    .addColumn('shipment', 'text', (c) => c.notNull().references('shipments.shipment'))
    .addColumn('bytes', sql.raw(big), (c) => c.notNull().check(sql`bytes > 0`))
    .addPrimaryKeyConstraint('segments_pk', ['station', 'segment'])
    .execute();
  await db.schema.createTable('psrd').ifNotExists()
    .addColumn('id', sql.raw(serial), (c) => c.primaryKey())
    .addColumn('station', 'text', (c) => c.notNull())
    .addColumn('segment', 'text', (c) => c.notNull())
    .addColumn('offset', sql.raw(big), (c) => c.notNull().check(sql`"offset" >= 0`))
    .addColumn('length', 'integer', (c) => c.notNull().check(sql`length > 0`))
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('pool', 'psrd', 'initial-keys')`))
    .addColumn('owner', 'text')
    .addColumn('package', 'text')
    .addColumn('report_seq', sql.raw(big))
    .addColumn('position', 'integer')
    .addColumn('table_offset', sql.raw(big))
    .addColumn('wrapped_key', sql.raw(bytes), (c) => c.notNull())
    .addColumn('sealed', sql.raw(bytes), (c) => c.notNull())
    .addForeignKeyConstraint('psrd_segment_fk', ['station', 'segment'], 'segments', ['station', 'segment'])
    .addUniqueConstraint('psrd_piece_start', ['station', 'segment', 'offset'])
    .addCheckConstraint('psrd_owner', sql`(purpose = 'pool') = (owner is null)`)
    .execute();
  await db.schema.createIndex('psrd_owner_idx').ifNotExists().on('psrd').columns(['owner', 'report_seq', 'position', 'offset']).execute();
  await db.schema.createIndex('psrd_table_idx').ifNotExists().on('psrd').columns(['owner', 'purpose', 'table_offset']).execute();
  // The pool pieces of a segment by start: a range's pieces are found by two range scans on it, however
  // many pieces of the segment went to clients before (psrd-table.ts, poolPieces).
  await db.schema.createIndex('psrd_pool_idx').ifNotExists().on('psrd').columns(['station', 'segment', 'purpose', 'offset']).execute();
  await db.schema.createTable('reports').ifNotExists()
    .addColumn('station', 'text', (c) => c.notNull().references('stations.station'))
    .addColumn('seq', sql.raw(big), (c) => c.notNull().check(sql`seq >= 1`))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('client', 'text', (c) => c.notNull())
    .addColumn('package', 'text')
    .addColumn('bytes', sql.raw(big), (c) => c.notNull())
    .addColumn('table_offset', sql.raw(big))
    .addColumn('applied_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('reports_pk', ['station', 'seq'])
    .execute();
  // A client's reports, for its PSRD table's offsets and packages (reports.ts, dske/hub-clients.ts).
  await db.schema.createIndex('reports_client_idx').ifNotExists().on('reports').columns(['client', 'kind']).execute();
  await db.schema.createTable('clients').ifNotExists()
    .addColumn('client', 'text', (c) => c.primaryKey())
    .addColumn('station', 'text', (c) => c.notNull().references('stations.station'))
    .addColumn('number', sql.raw(big), (c) => c.unique())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('active', 'revoked')`))
    .addColumn('first_report', sql.raw(big), (c) => c.notNull())
    .execute();
  await db.schema.createTable('audit').ifNotExists()
    .addColumn('seq', sql.raw(big), (c) => c.primaryKey().check(sql`seq >= 0`))
    .addColumn('time', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('prev', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .execute();
  await db.schema.createTable('audit_head').ifNotExists()
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('seq', sql.raw(big), (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('mac', 'text', (c) => c.notNull())
    .execute();
  // Never reused (SQLite: AUTOINCREMENT): a client acknowledges instructions by id, so an id given twice
  // would make the hub forget, or the client skip, an instruction it never saw.
  await db.schema.createTable('instructions').ifNotExists()
    .addColumn('id', sql.raw(serial), (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('sender', 'text', (c) => c.notNull())
    .addColumn('secret_id', 'text', (c) => c.notNull())
    .addColumn('frame', sql.raw(bytes), (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('instructions_once', ['sender', 'secret_id', 'recipient'])
    .execute();
  await db.schema.createIndex('instructions_recipient_idx').ifNotExists().on('instructions').columns(['recipient', 'id']).execute();
  // Every (sender, secret ID) a hub ever accepted, kept after its instructions are fetched: §11.6.
  await db.schema.createTable('requests_seen').ifNotExists()
    .addColumn('sender', 'text', (c) => c.notNull())
    .addColumn('secret_id', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('requests_seen_pk', ['sender', 'secret_id'])
    .execute();
  await db.schema.createTable('hub_cursors').ifNotExists()
    .addColumn('client', 'text', (c) => c.primaryKey())
    .addColumn('next_offset', sql.raw(big), (c) => c.notNull())
    .execute();
  await db.schema.createTable('refusal_log').ifNotExists()
    .addColumn('id', sql.raw(serial), (c) => c.primaryKey())
    .addColumn('time', 'text', (c) => c.notNull())
    .addColumn('station', 'text')
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createTable('secrets').ifNotExists()
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('wrapped', sql.raw(bytes), (c) => c.notNull())
    .execute();
}
