// Where a QKD 014 KME's keys come from (issue S10, part 3). The master side takes fresh keys shared with a
// slave SAE; the slave side gets the same keys by key_ID. A key handed out is gone from the pool (each is
// handed once on each side).
import { createHash, randomBytes, randomUUID } from 'node:crypto';

export interface PoolKey {
  /** A UUID (RFC 9562). */
  readonly keyId: string;
  /** sizeBits / 8 bytes; the caller wipes it. */
  readonly key: Uint8Array;
}

export interface KeyPool {
  /** On the master side: `number` new keys of `sizeBits` shared with `slaveSAE`. */
  take(masterSAE: string, slaveSAE: string, number: number, sizeBits: number): Promise<PoolKey[]>;
  /** On the slave side: the keys with these IDs that `masterSAE` took for `slaveSAE`, in the same order. */
  get(masterSAE: string, slaveSAE: string, keyIds: readonly string[]): Promise<PoolKey[]>;
  /** How many keys of `sizeBits` the pool can deliver to this pair now (a lower bound). */
  stored(masterSAE: string, slaveSAE: string, sizeBits: number): number;
}

/** A refusal with the QKD 014 status it stands for: 400 bad request, 401 not this SAE's, 503 no key. */
export class KeyPoolError extends Error {
  constructor(
    readonly status: 400 | 401 | 503,
    message: string,
    readonly details: readonly Record<string, unknown>[] = [],
  ) {
    super(message);
    this.name = 'KeyPoolError';
  }
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The key_ID of key `index` of a DSKE secret: a UUIDv8 (RFC 9562 §5.8) from SHA-256 over the sending
 * KME's ID, the secret ID (hex) and the index. Both ends know all three, so the slave derives the same ID.
 */
export function keyIdOf(senderKme: string, secretIdHex: string, index: number): string {
  const h = createHash('sha256').update(`dske-qkd014-key-id\0${senderKme}\0${secretIdHex}\0${index}`).digest().subarray(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x80; // version 8
  h[8] = (h[8]! & 0x3f) | 0x80; // variant 10
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

interface Held {
  readonly master: string;
  readonly slave: string;
  readonly key: Uint8Array;
}

/**
 * A pool in one process for two KMEs that share it (tests, a single-host lab): a stock of `capacity`
 * keys; take() makes keys (random), keeps them for the slave side and counts them off the stock; get()
 * hands each once and deletes it.
 */
export class MemoryKeyPool implements KeyPool {
  private readonly held = new Map<string, Held>();
  constructor(private capacity: number) {}

  async take(master: string, slave: string, number: number, sizeBits: number): Promise<PoolKey[]> {
    if (number > this.capacity) throw new KeyPoolError(503, `Only ${this.capacity} keys are left, and ${number} were asked for.`, [{ stored_key_count: this.capacity }]);
    this.capacity -= number;
    const out: PoolKey[] = [];
    for (let i = 0; i < number; i++) {
      const keyId = randomUUID();
      const key = new Uint8Array(randomBytes(sizeBits / 8));
      this.held.set(keyId, { master, slave, key: key.slice() });
      out.push({ keyId, key });
    }
    return out;
  }

  async get(master: string, slave: string, keyIds: readonly string[]): Promise<PoolKey[]> {
    const found = keyIds.map((id) => [id, this.held.get(id)] as const);
    const unknown = found.filter(([, h]) => !h).map(([id]) => id);
    if (unknown.length > 0) throw new KeyPoolError(400, `No key is held with key_ID ${unknown.join(', ')}.`, unknown.map((key_ID) => ({ key_ID })));
    const foreign = found.filter(([, h]) => h!.master !== master || h!.slave !== slave).map(([id]) => id);
    if (foreign.length > 0) throw new KeyPoolError(401, `Key ${foreign.join(', ')} was not taken by ${master} for ${slave}.`, foreign.map((key_ID) => ({ key_ID })));
    return found.map(([id, h]) => {
      this.held.delete(id);
      return { keyId: id, key: h!.key };
    });
  }

  stored(): number {
    return this.capacity;
  }

  /** Keys taken and not yet fetched by their slave. */
  get waiting(): number {
    return this.held.size;
  }
}
