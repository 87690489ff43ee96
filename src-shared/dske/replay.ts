// Replay protection of §11.6: "a recipient refuses a secret ID from the same sender it has already
// reconstructed". Without it an adversary could re-send a complete set of key instructions and make
// a recipient hand the same key to its SAE twice. The optional expiry time bounds memory: an entry
// may be forgotten once its secret has expired, because expired secrets are refused anyway.
// In memory; a client that must survive restarts persists entries() and restores them.
import { abytes, aint, copyBytes } from './bytes';
import { DskeError } from './errors';
import { SECRET_ID_BYTES } from './wire';

export interface ReplayEntry {
  /** The caller's name for the sender (its peer identity, §11.3). Not secret. */
  readonly sender: string;
  readonly secretId: Uint8Array;
  /** Seconds since the Unix epoch; 0 = never expires. */
  readonly expiresAt: number;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
// Secret IDs are identifiers, not secrets: a hex key in a Map is fine.
const keyOf = (sender: string, secretId: Uint8Array): string => `${sender}\u0000${Array.from(secretId, (b) => HEX[b]).join('')}`;

export class ReplayGuard {
  readonly #seen = new Map<string, ReplayEntry>();
  #prunedAt = 0;

  /** Throws 'expired' past the expiry time and 'replay' for a secret ID already reconstructed. */
  check(sender: string, secretId: Uint8Array, expiresAt: number, now: number): void {
    if (typeof sender !== 'string') throw new DskeError('argument', 'sender: expected a string');
    abytes(secretId, SECRET_ID_BYTES, 'secretId');
    aint(expiresAt, 0, Number.MAX_SAFE_INTEGER, 'expiresAt');
    aint(now, 0, Number.MAX_SAFE_INTEGER, 'now');
    if (expiresAt !== 0 && now > expiresAt) throw new DskeError('expired', 'the secret has expired');
    // Entries pruned at #prunedAt are gone: a clock set back below that must not let them in again.
    if (expiresAt !== 0 && now < this.#prunedAt) throw new DskeError('expired', 'the clock is behind the last prune; refusing an expiring secret');
    if (this.#seen.has(keyOf(sender, secretId))) throw new DskeError('replay', 'secret ID already reconstructed for this sender');
  }

  /** Remember a reconstructed secret ID. */
  record(sender: string, secretId: Uint8Array, expiresAt: number): void {
    abytes(secretId, SECRET_ID_BYTES, 'secretId');
    aint(expiresAt, 0, Number.MAX_SAFE_INTEGER, 'expiresAt');
    this.#seen.set(keyOf(sender, secretId), { sender, secretId: copyBytes(secretId), expiresAt });
  }

  has(sender: string, secretId: Uint8Array): boolean {
    return this.#seen.has(keyOf(sender, abytes(secretId, SECRET_ID_BYTES, 'secretId')));
  }

  /** Forget entries whose expiry time has passed; returns how many. */
  prune(now: number): number {
    aint(now, 0, Number.MAX_SAFE_INTEGER, 'now');
    this.#prunedAt = Math.max(this.#prunedAt, now);
    let dropped = 0;
    for (const [k, e] of this.#seen) {
      if (e.expiresAt !== 0 && now > e.expiresAt) {
        this.#seen.delete(k);
        dropped++;
      }
    }
    return dropped;
  }

  get size(): number {
    return this.#seen.size;
  }

  /** For persistence. */
  entries(): ReplayEntry[] {
    return [...this.#seen.values()].map((e) => ({ ...e, secretId: copyBytes(e.secretId) }));
  }

  static from(entries: readonly ReplayEntry[]): ReplayGuard {
    const g = new ReplayGuard();
    for (const e of entries) g.record(e.sender, e.secretId, e.expiresAt);
    return g;
  }
}
