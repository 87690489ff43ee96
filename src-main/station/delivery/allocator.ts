// Chooses the pool bytes for an allocation (spec §11.2: "the SH locally allocates the required quantity
// of unallocated PSRD to the client"): the oldest segments first (they are the nearest to their refresh
// age), the lowest free offsets in each, skipping what is destroyed or reserved by an unsettled allocation.
// Pure over the two folds; the caller holds the pool's segments lock from choosing to recording.
import { StationFailure } from '../../../src-shared/api/result';
import { gaps, type PsrdRange } from '../../../src-shared/psrd/range';
import { formatBytes } from '../../../src-shared/psrd/size';
import { MAX_RANGES } from '../../../src-shared/psrd/package-format';
import type { PoolState } from '../pool/pool-state';
import type { Allocations } from './allocations';

/**
 * `acknowledged`: the segments whose shipment the Security Server has acknowledged (issue S8, part 3):
 * a byte the server does not hold must never reach a client, or the client's keys would be useless.
 */
export function chooseRanges(pool: PoolState, allocations: Allocations, acknowledged: ReadonlySet<string>, bytes: number): PsrdRange[] {
  const out: PsrdRange[] = [];
  let want = bytes;
  let unshipped = 0;
  for (const s of pool.segments.values()) {
    if (s.state !== 'unallocated') continue;
    if (!acknowledged.has(s.id)) {
      unshipped += s.bytes;
      continue;
    }
    const taken = allocations.reservedIn(s.id);
    const free = gaps(0, s.bytes, taken.length ? [...s.erased, ...taken] : s.erased);
    for (const g of free) {
      const take = Math.min(want, g.length);
      out.push({ segment: s.id, offset: g.offset, length: take });
      want -= take;
      if (want === 0) return out;
      if (out.length === MAX_RANGES) {
        throw new StationFailure('pool-insufficient', `The pool is too fragmented to give ${formatBytes(bytes)} in at most ${MAX_RANGES} ranges; deliver less at a time.`);
      }
    }
  }
  const waiting = unshipped > 0 ? ` ${formatBytes(unshipped)} more wait to be shipped to the Security Server and acknowledged (dske-station sync ship, then sync import or sync push).` : ' Generate more first.';
  throw new StationFailure('pool-insufficient', `The pool holds ${formatBytes(bytes - want)} of unallocated PSRD that the Security Server holds too; ${formatBytes(bytes)} were asked for.${waiting}`);
}
