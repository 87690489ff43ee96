// The server's own audit log (issue S8, part 1): every registration, shipment, applied batch and refusal
// with its reason, hash-chained with the station ledger's rule (src-node/ledger/entry.ts: SHA-256 over
// the previous hash and the canonical JSON of {seq, time, type, data}), appended inside the transaction
// whose effect it records, so an effect and its entry commit together or not at all. The head (last seq
// and hash) carries an HMAC under the server's audit key (kept in the database, wrapped by the master
// key), so whoever can write the database but lacks the master key cannot cut the log's tail or rewrite
// its chain unnoticed. (Putting back an older database whole, head and all, is a rollback that only a
// copy kept elsewhere reveals: export `dske-server verify`'s head to the hub's records.)
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { canonicalJson, entryHash, GENESIS, type LedgerData } from '../src-node/ledger/entry';
import type { MasterKey } from '../src-node/psrd-store/master-key';
import type { ServerDatabase } from './db/schema';
import { ServerFailure } from './errors';

const AUDIT_KEY = 'audit-key';
const aad = Buffer.from('dske-server audit key', 'utf8');

export interface AuditKey {
  mac(seq: number, hash: string): string;
}

/** The audit key: made once (by whichever process gets there first), then unwrapped by every process. */
export async function loadAuditKey(db: Kysely<ServerDatabase>, master: MasterKey): Promise<AuditKey> {
  const fresh = randomBytes(32);
  await db.insertInto('secrets').values({ name: AUDIT_KEY, wrapped: master.wrap(fresh, aad) }).onConflict((oc) => oc.column('name').doNothing()).execute();
  fresh.fill(0);
  const row = await db.selectFrom('secrets').select(['wrapped']).where('name', '=', AUDIT_KEY).executeTakeFirstOrThrow();
  let key: Buffer;
  try {
    key = Buffer.from(master.unwrap(row.wrapped, aad));
  } catch {
    throw new ServerFailure('master-key', 'The audit key in the database does not unwrap under this master key: this is another server\'s database, or another server\'s key.');
  }
  const mac = (seq: number, hash: string): string => createHmac('sha256', key).update(`${seq}|${hash}`).digest('hex');
  const head = await db.selectFrom('audit_head').select(['id']).where('id', '=', 1).executeTakeFirst();
  if (!head) await db.insertInto('audit_head').values({ id: 1, seq: -1, hash: GENESIS, mac: mac(-1, GENESIS) }).onConflict((oc) => oc.column('id').doNothing()).execute();
  return { mac };
}

export interface AuditWriter {
  /** Whether to lock the head row (PostgreSQL): appends from several processes then queue. */
  readonly lock: boolean;
  readonly auditKey: AuditKey;
}

export async function appendAudit(trx: Transaction<ServerDatabase>, w: AuditWriter, type: string, data: LedgerData, time: Date): Promise<number> {
  let q = trx.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1);
  if (w.lock) q = q.forUpdate();
  const head = await q.executeTakeFirstOrThrow();
  const seq = head.seq + 1;
  const iso = time.toISOString();
  const hash = entryHash(head.hash, seq, iso, type, data);
  await trx.insertInto('audit').values({ seq, time: iso, type, data: canonicalJson(data), prev: head.hash, hash }).execute();
  await trx.updateTable('audit_head').set({ seq, hash, mac: w.auditKey.mac(seq, hash) }).where('id', '=', 1).execute();
  return seq;
}

export interface AuditVerification {
  readonly ok: boolean;
  readonly entries: number;
  readonly head: string;
  readonly problem?: string;
}

const sameHex = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Walks the whole log: seq without gap from 0, each prev the hash before, each hash recomputed, and the authenticated head naming the last. */
export async function verifyAudit(core: { readonly sdb: { readonly db: Kysely<ServerDatabase> }; readonly auditKey: AuditKey }): Promise<AuditVerification> {
  const db = core.sdb.db;
  let prev = GENESIS;
  let expected = 0;
  const page = 5000;
  for (;;) {
    const rows = await db.selectFrom('audit').selectAll().where('seq', '>=', expected).orderBy('seq').limit(page).execute();
    for (const r of rows) {
      const fail = (problem: string): AuditVerification => ({ ok: false, entries: expected, head: prev, problem: `audit entry ${r.seq}: ${problem}` });
      if (Number(r.seq) !== expected) return { ok: false, entries: expected, head: prev, problem: `audit entry ${expected} is missing` };
      if (r.prev !== prev) return fail('does not name the hash of the entry before it');
      let data: LedgerData;
      try {
        data = JSON.parse(r.data) as LedgerData;
      } catch {
        return fail('its data is not JSON');
      }
      if (entryHash(r.prev, expected, r.time, r.type, data) !== r.hash) return fail('its hash does not match its content');
      prev = r.hash;
      expected++;
    }
    if (rows.length < page) break;
  }
  const head = await db.selectFrom('audit_head').select(['seq', 'hash', 'mac']).where('id', '=', 1).executeTakeFirst();
  if (!head || !sameHex(head.mac, core.auditKey.mac(Number(head.seq), head.hash))) return { ok: false, entries: expected, head: prev, problem: 'the audit head is not authentic (altered without the audit key)' };
  if (Number(head.seq) !== expected - 1 || head.hash !== prev) return { ok: false, entries: expected, head: prev, problem: `the authenticated head names entry ${head.seq}, but the log ends at ${expected - 1}: entries were cut from the end or rewritten` };
  return { ok: true, entries: expected, head: prev };
}
