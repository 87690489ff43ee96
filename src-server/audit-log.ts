// The server's own audit log (issue S8, part 1): every registration, shipment, applied batch and refusal
// with its reason, hash-chained with the station ledger's rule (src-node/ledger/entry.ts: SHA-256 over
// the previous hash and the canonical JSON of {seq, time, type, data}), appended inside the transaction
// whose effect it records, so an effect and its entry commit together or not at all.
import type { Kysely, Transaction } from 'kysely';
import { canonicalJson, entryHash, GENESIS, type LedgerData } from '../src-node/ledger/entry';
import type { ServerDatabase } from './db/schema';

export async function appendAudit(trx: Transaction<ServerDatabase>, lock: boolean, type: string, data: LedgerData, time: Date): Promise<number> {
  let q = trx.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1);
  if (lock) q = q.forUpdate();
  const head = await q.executeTakeFirstOrThrow();
  const seq = head.seq + 1;
  const iso = time.toISOString();
  const hash = entryHash(head.hash, seq, iso, type, data);
  await trx.insertInto('audit').values({ seq, time: iso, type, data: canonicalJson(data), prev: head.hash, hash }).execute();
  await trx.updateTable('audit_head').set({ seq, hash }).where('id', '=', 1).execute();
  return seq;
}

export interface AuditVerification {
  readonly ok: boolean;
  readonly entries: number;
  readonly head: string;
  readonly problem?: string;
}

/** Walks the whole log: seq without gap from 0, each prev the hash before, each hash recomputed, the head row agreeing. */
export async function verifyAudit(db: Kysely<ServerDatabase>): Promise<AuditVerification> {
  let prev = GENESIS;
  let expected = 0;
  const page = 5000;
  for (;;) {
    const rows = await db.selectFrom('audit').selectAll().where('seq', '>=', expected).orderBy('seq').limit(page).execute();
    for (const r of rows) {
      const fail = (problem: string): AuditVerification => ({ ok: false, entries: expected, head: prev, problem: `audit entry ${r.seq}: ${problem}` });
      if (r.seq !== expected) return { ok: false, entries: expected, head: prev, problem: `audit entry ${expected} is missing` };
      if (r.prev !== prev) return fail('does not name the hash of the entry before it');
      let data: LedgerData;
      try {
        data = JSON.parse(r.data) as LedgerData;
      } catch {
        return fail('its data is not JSON');
      }
      if (entryHash(r.prev, r.seq, r.time, r.type, data) !== r.hash) return fail('its hash does not match its content');
      prev = r.hash;
      expected++;
    }
    if (rows.length < page) break;
  }
  const head = await db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirst();
  if (!head || head.seq !== expected - 1 || head.hash !== prev) return { ok: false, entries: expected, head: prev, problem: 'the audit head does not name the last entry: entries were cut from the end' };
  return { ok: true, entries: expected, head: prev };
}
