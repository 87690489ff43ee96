// Times as the window shows them (issue S9, conventions): local, and always with their zone, so that a
// record read in another office, or a screenshot sent to an auditor, says when it was.
export function shownTime(iso: string): string {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return `${new Date(iso).toLocaleString()} (${zone})`;
}
