// Speeds and times left, as the operator reads them: from two observations of a job's progress.

/** Bytes (or samples) per second between two observations, or null before there are two. */
export function rateBetween(prev: { at: number; done: number } | undefined, now: { at: number; done: number }): number | null {
  if (!prev || now.at <= prev.at || now.done < prev.done) return null;
  return ((now.done - prev.done) * 1000) / (now.at - prev.at);
}

/** "2 min 5 s", "40 s": the time left at a rate, or an empty string when it cannot be known. */
export function timeLeft(remaining: number, perSecond: number | null): string {
  if (!perSecond || perSecond <= 0 || remaining <= 0) return '';
  const s = Math.ceil(remaining / perSecond);
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}
