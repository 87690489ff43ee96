// The ledger's authenticated head (<data-dir>/ledger.head): how many entries the ledger holds and the
// hash of the last, MACed with the audit key and kept current with every append, so that a ledger cut
// short, emptied, deleted or rewritten with recomputed hashes no longer matches it.
//
// An append is three steps: the head says "pending: count n+1, hash h" (fsync); the entry is written
// (fsync); the head says "committed: n+1, h" (fsync). The entry's effect becomes visible only after the
// third. So at the next start, a pending head with the ledger one entry short means the entry never
// happened (it is rolled back, and a torn line of it cut off); a pending head with the entry there means
// only the last step was missed. Anything else is tampering, and the station refuses to start.
//
// Two fixed-size slots are written in turn, each with its own MAC and a write counter: a torn write of
// one slot leaves the other, one step older, which the rules above accept.
import { closeSync, fsyncSync, openSync, readSync, writeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from './entry';
import type { AuditKey } from './audit-key';

export const HEAD_FILE = 'ledger.head';
const SLOT = 512;

export interface HeadState {
  /** Entries the ledger holds (committed) or will hold once the pending entry is written. */
  readonly count: number;
  /** The chain hash of entry count-1 (GENESIS for an empty ledger). */
  readonly hash: string;
  /** The chain hash of entry count-2: where a pending append rolls back to. */
  readonly prev: string;
  readonly state: 'pending' | 'committed';
}

interface Slot extends HeadState {
  readonly v: 1;
  readonly n: number;
}

export class LedgerHead {
  private writes: number;

  private constructor(
    private readonly fd: number,
    readonly key: AuditKey,
    private current: Slot | undefined,
  ) {
    this.writes = current?.n ?? 0;
  }

  static exists(dir: string): boolean {
    return existsSync(join(dir, HEAD_FILE));
  }

  /** Opens the head; `undefined` state when neither slot holds a valid, authenticated record. */
  static open(dir: string, key: AuditKey, opts: { create?: boolean; readOnly?: boolean } = {}): LedgerHead {
    const path = join(dir, HEAD_FILE);
    const fd = openSync(path, opts.readOnly ? 'r' : opts.create && !existsSync(path) ? 'w+' : 'r+', 0o600);
    const slots = [readSlot(fd, 0, key), readSlot(fd, 1, key)].filter((s): s is Slot => s !== undefined);
    const latest = slots.sort((a, b) => b.n - a.n)[0];
    return new LedgerHead(fd, key, latest);
  }

  get state(): HeadState | undefined {
    return this.current;
  }

  write(state: HeadState): void {
    const slot: Slot = { v: 1, n: this.writes + 1, ...state };
    const body = canonicalJson(slot);
    const text = JSON.stringify({ ...slot, mac: this.key.mac(body) });
    const buf = Buffer.alloc(SLOT, 0x20);
    buf.write(text, 'utf8');
    buf[SLOT - 1] = 0x0a;
    let off = 0;
    while (off < SLOT) off += writeSync(this.fd, buf, off, SLOT - off, (slot.n % 2) * SLOT + off);
    fsyncSync(this.fd);
    this.writes = slot.n;
    this.current = slot;
  }

  close(): void {
    closeSync(this.fd);
  }
}

function readSlot(fd: number, index: number, key: AuditKey): Slot | undefined {
  const buf = Buffer.alloc(SLOT);
  const got = readSync(fd, buf, 0, SLOT, index * SLOT);
  if (got < SLOT) return undefined;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(buf.toString('utf8').trim()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const { mac, ...rest } = parsed;
  if (typeof mac !== 'string' || !key.check(canonicalJson(rest), mac)) return undefined;
  const s = rest as unknown as Slot;
  if (s.v !== 1 || !Number.isSafeInteger(s.n) || !Number.isSafeInteger(s.count) || typeof s.hash !== 'string' || typeof s.prev !== 'string' || (s.state !== 'pending' && s.state !== 'committed')) return undefined;
  if (s.n % 2 !== index) return undefined;
  return s;
}
