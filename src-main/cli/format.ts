// Human-readable output of the CLI. --json prints the API's result objects instead, unchanged.
import { formatBytes } from '../../src-shared/psrd/size';
import type { GenerateResult, LedgerEntryView, LedgerVerification, PoolStatus, SourceReport, SourceTestReport, DestroyResult, RefreshResult } from '../../src-shared/api/types';

export function poolStatus(s: PoolStatus): string {
  const lines = [
    `Unallocated pool: ${formatBytes(s.unallocatedBytes)} (${s.unallocatedBytes} bytes) in ${s.segmentCount} segment(s)`,
    `Computationally secure only (from DRBG sources): ${formatBytes(s.computationalBytes)}`,
    `Low-water mark: ${formatBytes(s.lowWaterBytes)}${s.belowLowWater ? '  — BELOW the low-water mark: generate more PSRD' : ''}`,
  ];
  if (s.expiredSegments > 0) lines.push(`${s.expiredSegments} segment(s) are past their refresh age: run \`dske-station pool destroy-expired\`.`);
  return lines.join('\n');
}

export function generated(r: GenerateResult): string {
  return `Added ${formatBytes(r.bytes)} (${r.bytes} bytes) to the pool in ${r.segmentIds.length} segment(s); protection: ${r.label}.`;
}

export function destroyed(r: DestroyResult): string {
  return r.destroyedSegments === 0 ? 'No segment is past its refresh age.' : `Destroyed ${r.destroyedSegments} expired segment(s), ${formatBytes(r.destroyedBytes)}, by crypto-erase (keys destroyed) and best-effort overwrite.`;
}

export function refreshed(r: RefreshResult): string {
  return r.destroyedSegments === 0 ? destroyed(r) : `${destroyed(r)}\nGenerated ${formatBytes(r.generatedBytes)} to replace them.`;
}

export function ledgerEntries(list: readonly LedgerEntryView[]): string {
  return list.map((e) => `${String(e.seq).padStart(6)}  ${e.time}  ${e.type.padEnd(32)} ${JSON.stringify(e.data)}`).join('\n');
}

export function verification(v: LedgerVerification): string {
  return v.ok ? `Ledger verified: ${v.entries} entries, head ${v.head}.` : `LEDGER FAILED VERIFICATION after ${v.entries} good entries: ${v.problem}.`;
}

export function sources(r: SourceReport): string {
  const rows = r.sources.map((s) => `${s.state.toUpperCase().padEnd(7)} ${s.configured ? 'configured' : '          '} ${s.spec.padEnd(36)} ${s.label}${s.serial ? ` (serial ${s.serial})` : ''}${s.reason ? ` — ${s.reason}` : ''}`);
  return [...rows, ...r.warnings.map((w) => `note: ${w}`)].join('\n');
}

export function sourceTest(r: SourceTestReport): string {
  return r.passed
    ? `PASSED  ${r.label}: ${r.samplesTested} samples through the start-up, repetition-count and adaptive-proportion tests.`
    : `FAILED  ${r.label} after ${r.samplesTested} samples: ${r.reason}`;
}
