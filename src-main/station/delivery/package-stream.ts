// The bytes that leave the station for an allocation, streamed from the pool: a client package
// (src-shared/psrd, sealed with node:crypto) for PSRD, or the raw range for initial keys (which the
// keystore wraps). Every piece of plaintext read from the pool is wiped as soon as it is consumed.
import { DEFAULT_PACKAGE_CHUNK, packageLength, type PackageHeader } from '../../../src-shared/psrd/package-format';
import { encodePackage } from '../../../src-shared/psrd/package-writer';
import type { PsrdRange } from '../../../src-shared/psrd/range';
import { nodeCipher } from '../../../src-node/psrd-store/package-cipher-node';
import type { PackageStream } from '../../../hardware/carriers/carrier';
import type { Pool } from '../pool/pool';

/**
 * The PSRD of the ranges, in order, one pool chunk at a time, read ahead on the thread pool
 * (Pool.readAhead). Each piece is valid until the consumer asks for the next, and is
 * wiped then (by the reader, whose buffer it is), or when the consumer stops.
 */
export async function* rangeBytes(pool: Pool, ranges: readonly PsrdRange[]): AsyncGenerator<Uint8Array> {
  for (const r of ranges) yield* pool.readAhead(r.segment, r.offset, r.length);
}

export function clientPackageStream(pool: Pool, ids: { hub: string; client: string; packageId: string; tableOffset: number }, ranges: readonly PsrdRange[], initialKeys: Uint8Array): PackageStream {
  const bytes = ranges.reduce((a, r) => a + r.length, 0);
  const header: PackageHeader = { format: 1, hub: ids.hub, client: ids.client, package: ids.packageId, ranges, bytes, chunkBytes: DEFAULT_PACKAGE_CHUNK, tableOffset: ids.tableOffset };
  return {
    hubId: ids.hub,
    clientId: ids.client,
    packageId: ids.packageId,
    ranges,
    length: packageLength(header),
    pieces: () => encodePackage(header, initialKeys, rangeBytes(pool, ranges), nodeCipher),
  };
}

/** The raw bytes of the ranges (initial keys, bound for the keystore): never leaves the station as such. */
export function rawRangeStream(pool: Pool, ids: { hub: string; client: string; packageId: string }, ranges: readonly PsrdRange[]): PackageStream {
  return {
    hubId: ids.hub,
    clientId: ids.client,
    packageId: ids.packageId,
    ranges,
    length: ranges.reduce((a, r) => a + r.length, 0),
    pieces: async function* () {
      yield* rangeBytes(pool, ranges);
    },
  };
}
