// Small helpers the charts share: days as numbers, and the plot area inside the viewBox.
// About the size it is shown at (a third of the screen), so that its words are read at their own size.
export const W = 360;
export const H = 170;
export const PAD = { left: 58, right: 8, top: 10, bottom: 22 } as const;
export const plotW = W - PAD.left - PAD.right;
export const plotH = H - PAD.top - PAD.bottom;

/** Days since the epoch of a YYYY-MM-DD (UTC) day. */
export function dayNumber(day: string): number {
  return Math.round(Date.parse(`${day}T00:00:00Z`) / 86_400_000);
}

/** x of a day between the first and the last (one day: the middle). */
export function xOfDay(day: number, first: number, last: number): number {
  return PAD.left + (last === first ? plotW / 2 : ((day - first) / (last - first)) * plotW);
}

export function yOf(v: number, max: number): number {
  return PAD.top + plotH - (max > 0 ? (v / max) * plotH : 0);
}
