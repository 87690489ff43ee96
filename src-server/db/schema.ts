// The Security Server's tables (issue S8; docs/server.md), one shape for SQLite and PostgreSQL. Every
// rule that keeps a report applied exactly once is a constraint or a row lock inside one transaction
// (src-server/reports.ts), never a lock held in one process, so several server processes may share one
// PostgreSQL database.
import type { Generated } from 'kysely';

export interface StationsTable {
  /** The station's ledger identity (64 hex). */
  station: string;
  hub: string;
  registered_at: string;
  created_at: string;
  /** The three registration keys (shipment, report, ack), each wrapped by the server's master key. */
  keys: Uint8Array;
  /** The last report applied (0: none yet); reports are applied in sequence, each exactly once. */
  applied_up_to: number;
  /** The latest ledger checkpoint of this station that the server witnessed (null: none yet). */
  witnessed_tree_size: number | null;
  witnessed_root: string | null;
  witnessed_chain_head: string | null;
  witnessed_time: string | null;
}

export interface ShipmentsTable {
  shipment: string;
  station: string;
  segments: number;
  bytes: number;
  /** 'importing' until every chunk authenticated through the last; then 'held'. */
  state: 'importing' | 'held';
  imported_at: string | null;
}

export interface SegmentsTable {
  station: string;
  segment: string;
  shipment: string;
  bytes: number;
}

/**
 * The PSRD the server holds, at rest under per-row data keys wrapped by the master key (crypto-erase:
 * deleting a row deletes its key). A row is a piece of one segment; the pieces of a segment never
 * overlap (unique on station, segment, offset, and the application logic splits rather than copies).
 * owner null: the shipped pool, not yet allocated; otherwise the client it went to.
 */
export interface PsrdTable {
  id: Generated<number>;
  station: string;
  segment: string;
  offset: number;
  length: number;
  purpose: 'pool' | 'psrd' | 'initial-keys';
  owner: string | null;
  package: string | null;
  report_seq: number | null;
  /** The range's place in its report (package order). */
  position: number | null;
  /** Where this piece's first byte sits in its owner's PSRD table (the DSKE PSRD index); null for the pool and initial keys. */
  table_offset: number | null;
  wrapped_key: Uint8Array;
  /** 12-byte nonce | AES-256-GCM ciphertext | 16-byte tag. */
  sealed: Uint8Array;
}

export interface ReportsTable {
  station: string;
  seq: number;
  kind: string;
  client: string;
  package: string | null;
  bytes: number;
  /** 'delivered': where the package begins in the client's PSRD table. */
  table_offset: number | null;
  applied_at: string;
}

/** A client ID is unique within the hub, whichever station enrolled it. */
export interface ClientsTable {
  client: string;
  /** The station whose report first named it. */
  station: string;
  /** Its number in DSKE messages (the digits of its ID), unique at the hub; null beyond u32. */
  number: number | null;
  state: 'active' | 'revoked';
  first_report: number;
}

/** The server's own hash-chained audit log: seq without gap (primary key), each entry naming its predecessor's hash. */
export interface AuditTable {
  seq: number;
  time: string;
  type: string;
  data: string;
  prev: string;
  hash: string;
}

/** One row: the audit log's last seq and hash, locked (FOR UPDATE) by whoever appends, so appends from several processes queue. */
export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
  /** HMAC-SHA-256 under the server's audit key over "<seq>|<hash>": a cut or rewritten log cannot produce it. */
  mac: string;
}

/** Keys the server processes share, each wrapped by the master key (today: the audit key). */
export interface SecretsTable {
  name: string;
  wrapped: Uint8Array;
}

/**
 * Refusals that anyone could provoke without the station's keys (a batch that does not parse or does
 * not authenticate, or an authentic batch sent again): kept here, bounded, not in the hash-chained audit
 * log, so that nobody can grow the audit log, or queue every batch behind its head, by sending junk.
 */
export interface RefusalLogTable {
  id: Generated<number>;
  time: string;
  station: string | null;
  code: string;
  reason: string;
}

/** Key instructions the hub holds until their recipient fetches them (§11.4, the offline variant). */
export interface InstructionsTable {
  id: Generated<number>;
  recipient: string;
  sender: string;
  /** The secret ID, hex: one request per (sender, secret, recipient). */
  secret_id: string;
  frame: Uint8Array;
  created_at: string;
}

/** Every (sender, secret ID) this hub accepted a key request for, for good (§11.6: a secret ID is used once). */
export interface RequestsSeenTable {
  sender: string;
  secret_id: string;
  at: string;
}

/** Where the hub next spends from each client's halves of its PSRD table (src-shared/hub-api/table-layout.ts). */
export interface HubCursorsTable {
  client: string;
  next_offset: number;
}

/** The database's own facts: `schema` is the tables' version (db/migrate.ts SCHEMA_VERSION). */
export interface MetaTable {
  key: string;
  value: string;
}

export interface ServerDatabase {
  meta: MetaTable;
  instructions: InstructionsTable;
  requests_seen: RequestsSeenTable;
  hub_cursors: HubCursorsTable;
  refusal_log: RefusalLogTable;
  audit_head: AuditHeadTable;
  secrets: SecretsTable;
  stations: StationsTable;
  shipments: ShipmentsTable;
  segments: SegmentsTable;
  psrd: PsrdTable;
  reports: ReportsTable;
  clients: ClientsTable;
  audit: AuditTable;
}
