// A fold: state the station keeps from the ledger (the pool's segments, the accounts, the latches,
// the open jobs), built by seeing each entry once, in order. The ledger brings each fold up to date
// when it is restored — from the snapshot's saved state and the entries after it — and then feeds it
// every append. `save` must give plain JSON, and `load(save())` must give back the same state; `load`
// throws, having changed nothing, on a state it does not know (an older form): the fold is then rebuilt
// from the first entry.
import type { LedgerEntry } from './entry';

export interface Fold {
  /** Unique among the station's folds; the snapshot keeps each fold's state under it. */
  readonly name: string;
  /** `offset`: where the entry's line starts in the file (for folds that index it). */
  apply(e: LedgerEntry, offset: number): void;
  save(): unknown;
  load(state: unknown): void;
}
