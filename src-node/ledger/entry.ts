// One ledger entry and its hash. The chain (docs/docs/DESIGN.md, "ledger"): hash_n = SHA-256(hash_{n-1} ‖ body_n),
// where body is the canonical JSON of {seq, time, type, data}; a flipped, dropped or reordered entry
// breaks every hash after it. Data holds facts (sizes, ids, provenance), never PSRD.
import { createHash } from 'node:crypto';

export type LedgerData = Readonly<Record<string, unknown>>;

export interface LedgerEntry {
  readonly seq: number;
  readonly time: string;
  readonly type: string;
  readonly data: LedgerData;
  readonly prev: string;
  readonly hash: string;
}

export const GENESIS = '0'.repeat(64);

/** JSON with object keys sorted at every depth, so the hash does not depend on insertion order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('ledger data must not hold non-finite numbers');
    if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol') throw new TypeError(`ledger data must not hold a ${typeof value}`);
    return JSON.stringify(value);
  }
  if (value instanceof Uint8Array) throw new TypeError('ledger data must not hold raw bytes');
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

export function entryHash(prev: string, seq: number, time: string, type: string, data: LedgerData): string {
  return createHash('sha256').update(prev, 'ascii').update(canonicalJson({ seq, time, type, data })).digest('hex');
}

export function serialize(e: LedgerEntry): string {
  return canonicalJson({ seq: e.seq, time: e.time, type: e.type, data: e.data, prev: e.prev, hash: e.hash }) + '\n';
}

/** Parse one line; null when it is not a well-formed entry (verification reports where). */
export function parseLine(line: string): LedgerEntry | null {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  if (!Number.isSafeInteger(r.seq) || typeof r.time !== 'string' || typeof r.type !== 'string') return null;
  if (typeof r.data !== 'object' || r.data === null || Array.isArray(r.data)) return null;
  if (typeof r.prev !== 'string' || typeof r.hash !== 'string') return null;
  return { seq: r.seq as number, time: r.time, type: r.type, data: r.data as LedgerData, prev: r.prev, hash: r.hash };
}
