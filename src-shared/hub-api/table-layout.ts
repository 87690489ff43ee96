// Who spends which bytes of a client's PSRD table at a hub (issue S10, part 1; §11.4). The table is the
// client's packages from that hub, each at its header's tableOffset. Both the client (choosing the PSRD
// index of its key requests) and the hub (choosing it for the key instructions it holds for the client:
// the draft's offline variant) spend from it, so they split it: the first half of every package is the
// client's, the second half the hub's. Each side spends its halves from the lowest offset up, and never
// touches the other's, so no byte can be chosen by both.
export interface TablePackage {
  readonly tableOffset: number;
  readonly bytes: number;
}

export type TableSide = 'client' | 'hub';

export interface Span {
  readonly offset: number;
  readonly length: number;
}

/** The half of a package that a side spends (the client's is the first ⌊bytes/2⌋). */
export function halfOf(p: TablePackage, side: TableSide): Span {
  const first = Math.floor(p.bytes / 2);
  return side === 'client' ? { offset: p.tableOffset, length: first } : { offset: p.tableOffset + first, length: p.bytes - first };
}

/** Whether [offset, offset + length) lies wholly inside one half of that side. */
export function onSide(packages: readonly TablePackage[], side: TableSide, offset: number, length: number): boolean {
  return packages.some((p) => {
    const h = halfOf(p, side);
    return offset >= h.offset && offset + length <= h.offset + h.length;
  });
}

/**
 * The lowest offset ≥ `from` where `length` bytes fit inside one half of that side (packages in any
 * order), or null when none is left. A span never straddles two packages.
 */
export function nextOnSide(packages: readonly TablePackage[], side: TableSide, from: number, length: number): number | null {
  let best: number | null = null;
  for (const p of packages) {
    const h = halfOf(p, side);
    const start = Math.max(from, h.offset);
    if (start + length <= h.offset + h.length && (best === null || start < best)) best = start;
  }
  return best;
}
