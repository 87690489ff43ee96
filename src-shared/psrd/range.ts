// A range of pool PSRD (spec §11.2: "the PSRD index range within its unallocated PSRD store"): a
// segment of the pool and a byte span inside it. Ranges name bytes; they never carry them.

export interface PsrdRange {
  readonly segment: string;
  readonly offset: number;
  readonly length: number;
}

export interface Span {
  readonly offset: number;
  readonly length: number;
}

export function overlaps(a: Span, b: Span): boolean {
  return a.offset < b.offset + b.length && b.offset < a.offset + a.length;
}

/** The parts of [from, to) that no span in `taken` covers, in order. */
export function gaps(from: number, to: number, taken: readonly Span[]): Span[] {
  const out: Span[] = [];
  let at = from;
  for (const r of [...taken].sort((a, b) => a.offset - b.offset)) {
    if (r.offset + r.length <= at || r.offset >= to) continue;
    if (r.offset > at) out.push({ offset: at, length: r.offset - at });
    at = Math.max(at, r.offset + r.length);
  }
  if (at < to) out.push({ offset: at, length: to - at });
  return out;
}

export function totalLength(ranges: readonly Span[]): number {
  return ranges.reduce((a, r) => a + r.length, 0);
}

/** Pairs of ranges (in the same segment) that share a byte: what `ledger reconcile` reports. */
export function overlapping(ranges: readonly PsrdRange[]): [PsrdRange, PsrdRange][] {
  const bySegment = new Map<string, PsrdRange[]>();
  for (const r of ranges) {
    const list = bySegment.get(r.segment) ?? [];
    list.push(r);
    bySegment.set(r.segment, list);
  }
  const found: [PsrdRange, PsrdRange][] = [];
  for (const list of bySegment.values()) {
    list.sort((a, b) => a.offset - b.offset);
    let reach = list[0];
    for (let i = 1; i < list.length; i++) {
      if (overlaps(reach, list[i])) found.push([reach, list[i]]);
      if (list[i].offset + list[i].length > reach.offset + reach.length) reach = list[i];
    }
  }
  return found;
}
