// A ledger checkpoint (docs/formats.md): the ledger's size and RFC 9162 Merkle root at one moment,
// authenticated with the station's audit key. An auditor keeps it; later, `ledger verify --against`
// shows that the ledger of that day still begins with exactly those entries (a consistency proof),
// so a rewrite below it cannot pass. The Security Server will witness checkpoints the same way.
import { integer, object, oneOf, text, type Validator } from '../api/validate';

export const CHECKPOINT_FORMAT = 'dske-ledger-checkpoint';

export interface Checkpoint {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly version: 1;
  /** The station: the chain hash of its first ledger entry. */
  readonly station: string;
  /** Entries covered: the first `treeSize` of the ledger. */
  readonly treeSize: number;
  /** RFC 9162 Merkle tree hash over those entries (leaf data: each entry's 32-byte chain hash), hex. */
  readonly rootHash: string;
  /** The chain hash of entry treeSize − 1, hex. */
  readonly chainHead: string;
  readonly time: string;
  /** HMAC-SHA-256 under the station's audit key over the canonical JSON of the fields above, hex. */
  readonly mac: string;
}

const hex64 = text({ maxLength: 64, pattern: /^[0-9a-f]{64}$/ });

export const checkpointShape: Validator<Checkpoint> = object({
  format: oneOf([CHECKPOINT_FORMAT] as const),
  version: integer({ min: 1, max: 1 }) as Validator<1>,
  station: hex64,
  treeSize: integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  rootHash: hex64,
  chainHead: hex64,
  time: text({ maxLength: 40, pattern: /^\d{4}-\d\d-\d\dT[\d:.]+Z$/ }),
  mac: hex64,
});

export interface CheckpointVerification {
  readonly ok: boolean;
  /** Entries the checkpoint covers, and entries the ledger holds today. */
  readonly treeSize: number;
  readonly entries: number;
  readonly problem?: string;
}
