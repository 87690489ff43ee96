// Typed errors of the DSKE core. Messages name fields and sizes, never PSRD, shares or keys:
// secret material must never become a string (docs/references.md, invariants).

export type DskeErrorCode =
  | 'decode' // wire bytes malformed, short, trailing or of an unknown version (wire.ts)
  | 'length' // a word, key, PSRD slice or share of the wrong byte length
  | 'argument' // an out-of-range parameter (k, n, m, coordinates, indices, zero inverse)
  | 'tag-mismatch' // a message tag (App. A message MAC) does not verify
  | 'not-enough-shares' // fewer than k usable shares
  | 'secret-tag-mismatch' // no k shares reconstruct a secret whose secret tag is zero (App. A, §11.5)
  | 'policy' // k below the receiver's k_min or n above its n_max (§11.6)
  | 'replay' // a secret ID from this sender was already reconstructed (§11.6)
  | 'expired' // the sender's expiry time has passed (§11.6)
  | 'aead'; // the §11.4 AEAD wrapper does not open

export class DskeError extends Error {
  readonly code: DskeErrorCode;
  constructor(code: DskeErrorCode, message: string) {
    super(message);
    this.name = 'DskeError';
    this.code = code;
  }
}

/** The only error the wire decoder throws. */
export class DskeDecodeError extends DskeError {
  constructor(message: string) {
    super('decode', message);
    this.name = 'DskeDecodeError';
  }
}

export function isDskeError(e: unknown, code?: DskeErrorCode): e is DskeError {
  return e instanceof DskeError && (code === undefined || e.code === code);
}
