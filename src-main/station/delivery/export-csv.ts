// `ledger export --csv` (issue S6, part 6): one row per range of every allocation — who got which bytes,
// on what, in which state, under which range report — for auditors' spreadsheets. Ids, sizes and media
// only; never PSRD, never a name. Fields are quoted as RFC 4180 says, and a field that a spreadsheet
// would run as a formula is prefixed with an apostrophe (OWASP, CSV injection).
import { closeSync, constants, fsyncSync, openSync, writeSync } from 'node:fs';
import { StationFailure } from '../../../src-shared/api/result';
import { ioReason } from '../../../src-node/io-reason';
import type { Allocations } from './allocations';

const COLUMNS = ['reserved_at', 'settled_at', 'allocation', 'client', 'purpose', 'package', 'state', 'segment', 'offset', 'length', 'medium', 'medium_target', 'medium_serial', 'report', 'code'] as const;

export function csvField(v: string | number | undefined): string {
  let s = v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function allocationRows(allocations: Allocations): string[] {
  const rows = [COLUMNS.join(',')];
  for (const a of allocations.byId.values()) {
    for (const r of a.ranges) {
      rows.push([a.time, a.settledAt, a.id, a.client, a.purpose, a.package, a.phase, r.segment, r.offset, r.length, a.medium?.kind, a.medium?.target, a.medium?.serial, a.report, a.code].map(csvField).join(','));
    }
  }
  return rows;
}

/** Writes the rows to `path`, a new file (checked by paths.ts checkOutPath: full, outside the data directory). */
export function exportCsv(allocations: Allocations, path: string): { path: string; rows: number } {
  const rows = allocationRows(allocations);
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new StationFailure('bad-request', `${path} already exists; choose another name.`);
    throw new StationFailure('io', `${path} cannot be created (${ioReason(e)}).`);
  }
  try {
    writeSync(fd, rows.join('\r\n') + '\r\n');
    fsyncSync(fd);
  } catch (e) {
    throw new StationFailure('io', `The CSV could not be written (${ioReason(e)}).`);
  } finally {
    closeSync(fd);
  }
  return { path, rows: rows.length - 1 };
}
