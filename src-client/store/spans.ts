// Sets of byte spans of a PSRD table (issue S10): half-open [start, end), kept sorted, disjoint and
// merged (no two touch), so that a set is one canonical list whatever order its spans were added in.
export type Interval = readonly [start: number, end: number];

/** The set with [start, end) added (a new array; the input is not changed). */
export function addSpan(set: readonly Interval[], start: number, end: number): Interval[] {
  if (end <= start) return [...set];
  const out: Interval[] = [];
  let s = start;
  let e = end;
  let placed = false;
  for (const [a, b] of set) {
    if (b < s) out.push([a, b]);
    else if (a > e) {
      if (!placed) {
        out.push([s, e]);
        placed = true;
      }
      out.push([a, b]);
    } else {
      s = Math.min(s, a);
      e = Math.max(e, b);
    }
  }
  if (!placed) out.push([s, e]);
  return out;
}

/** The lowest span of the set that shares a byte with [start, end), or undefined. */
export function firstOverlap(set: readonly Interval[], start: number, end: number): Interval | undefined {
  return set.find(([a, b]) => a < end && b > start);
}

/** Whether every byte of [start, end) is in the set. */
export function covers(set: readonly Interval[], start: number, end: number): boolean {
  return set.some(([a, b]) => a <= start && b >= end);
}

/** How many bytes of [start, end) are in the set. */
export function measureWithin(set: readonly Interval[], start: number, end: number): number {
  let n = 0;
  for (const [a, b] of set) n += Math.max(0, Math.min(b, end) - Math.max(a, start));
  return n;
}

/** Whether a list is a canonical set: each span non-empty, sorted, and apart from the next. */
export function isCanonical(set: readonly Interval[]): boolean {
  return set.every(([a, b], i) => a < b && (i === 0 || set[i - 1]![1] < a));
}
