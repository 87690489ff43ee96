// The auditor's exports: the entries matching a filter, each in plain words with its facts, as CSV (any
// number of rows, written as they are read) or as PDF (at most MAX_PDF_ROWS, for reading and printing),
// and a checkpoint saved to a file. Each goes to a new file at an absolute path the auditor names,
// outside the station's data directory (a file there could be mistaken for one of the station's own);
// every refusal — a bad path, an existing file, too many rows — comes before anything is written, and a
// write that fails midway removes its partial file. Ids, sizes and facts only: the ledger holds no PSRD.
import { closeSync, constants, fsyncSync, openSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { PDFDocument, StandardFonts, rgb, type PDFFont, type PDFPage } from 'pdf-lib';
import { MAX_PDF_ROWS, type LedgerFilter } from '../../../src-shared/api/audit';
import { StationFailure } from '../../../src-shared/api/result';
import { entryInWords, grouped } from '../../../src-shared/ledger/entry-words';
import type { Checkpoint } from '../../../src-shared/ledger/checkpoint';
import { fsyncDir, writeAllSync } from '../../../src-node/atomic-file';
import { ioReason } from '../../../src-node/io-reason';
import { writeNewFile } from '../../../src-node/new-file';
import type { LedgerEntry } from '../../../src-node/ledger/entry';
import { csvField } from '../delivery/export-csv';
import type { Core } from '../core';
import { checkOutPath } from '../paths';
import { matches, readMatches, type Matches } from './rows';

const COLUMNS = ['seq', 'time', 'type', 'what', 'operator', 'approver', 'client', 'facts', 'hash'] as const;

function actorOfEntry(e: LedgerEntry): { operator?: string; approver?: string } {
  const d = e.data as Record<string, unknown>;
  const a = (d.actor ?? {}) as { operator?: unknown; approver?: unknown };
  const s = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
  return { operator: s(a.operator) ?? s(d.operator), approver: s(a.approver) ?? s(d.approver) };
}

export function csvRow(e: LedgerEntry): string {
  const d = e.data as Record<string, unknown>;
  const who = actorOfEntry(e);
  const client = typeof d.client === 'string' ? d.client : typeof d.clientId === 'string' ? d.clientId : undefined;
  return [e.seq, e.time, e.type, entryInWords(e), who.operator, who.approver, client, JSON.stringify(e.data), e.hash].map(csvField).join(',');
}

/** Calls `each` with every match, oldest first, a page at a time. */
function forEachMatch(core: Core, m: Matches, each: (e: LedgerEntry) => void): void {
  for (let from = 0; from < m.hi - m.lo; from += 1000) for (const e of readMatches(core, m, from, 1000)) each(e);
}

function writeCsv(core: Core, m: Matches, path: string): number {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new StationFailure('bad-request', `${path} already exists; the station never writes over a file. Choose another name.`);
    throw new StationFailure('io', `${path} cannot be created (${ioReason(e)}).`);
  }
  let rows = 0;
  try {
    let buffer: string[] = [COLUMNS.join(',')];
    const flush = (): void => {
      writeAllSync(fd, Buffer.from(buffer.join('\r\n') + '\r\n', 'utf8'));
      buffer = [];
    };
    forEachMatch(core, m, (e) => {
      buffer.push(csvRow(e));
      rows++;
      if (buffer.length >= 5000) flush();
    });
    if (buffer.length) flush();
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(path);
    } catch {
      // Already gone.
    }
    if (e instanceof StationFailure) throw e;
    throw new StationFailure((e as NodeJS.ErrnoException).code === 'ENOSPC' ? 'disk-full' : 'io', `The CSV could not be written (${ioReason(e)}); the partial file was removed.`);
  }
  closeSync(fd);
  fsyncDir(dirname(path));
  return rows;
}

/** What the standard PDF fonts (WinAnsi) can show; anything else becomes "?". */
function pdfText(s: string): string {
  return s.replace(/[^\x20-\x7e\xa0-\xff\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026]/g, '?');
}

/** Lines of at most `width` points: at spaces where it can, inside a long word (a hash) where it must. */
function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  const fits = (s: string): boolean => font.widthOfTextAtSize(s, size) <= width;
  for (const word of text.split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (fits(next)) {
      line = next;
      continue;
    }
    if (line) lines.push(line);
    line = word;
    while (!fits(line)) {
      let cut = line.length - 1;
      while (cut > 1 && !fits(line.slice(0, cut))) cut--;
      lines.push(line.slice(0, cut));
      line = line.slice(cut);
    }
  }
  if (line) lines.push(line);
  return lines;
}

export function describeFilter(f: LedgerFilter): string {
  const parts = [
    f.client && `client ${f.client}`,
    f.operator && `operator ${f.operator}`,
    f.type && `type ${f.type}`,
    f.segment && `segment ${f.segment}`,
    f.since && `from ${f.since}`,
    f.until && `before ${f.until}`,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'every entry';
}

async function pdfBytes(core: Core, m: Matches, f: LedgerFilter): Promise<{ body: Uint8Array; rows: number }> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const now = core.now();
  doc.setTitle('Station ledger export');
  doc.setSubject(describeFilter(f));
  doc.setProducer('dske-station');
  doc.setCreationDate(now);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const mono = await doc.embedFont(StandardFonts.Courier);
  const [W, H] = [841.89, 595.28]; // A4 landscape
  const margin = 36;
  const size = 8;
  const lead = 10.5;
  const textWidth = W - 2 * margin - 150;
  let page: PDFPage | undefined;
  let y = 0;
  const pages: PDFPage[] = [];
  const newPage = (): void => {
    page = doc.addPage([W, H]);
    pages.push(page);
    y = H - margin;
    page.drawText(pdfText(`Station ledger export: ${describeFilter(f)}`), { x: margin, y, size: 11, font: bold });
    y -= 14;
    page.drawText(pdfText(`Made ${now.toISOString()} (UTC) from a ledger of ${grouped(core.ledger.length)} entries, head ${core.ledger.head()}`), { x: margin, y, size: 7, font, color: rgb(0.3, 0.3, 0.3) });
    y -= 16;
  };
  newPage();
  let rows = 0;
  forEachMatch(core, m, (e) => {
    const lines = wrap(pdfText(entryInWords(e)), font, size, textWidth);
    const need = lead * Math.max(2, lines.length) + 3;
    if (y - need < margin + 12) newPage();
    const p = page!;
    p.drawText(`#${e.seq}`, { x: margin, y, size, font: bold });
    p.drawText(pdfText(e.time), { x: margin + 46, y, size: 7, font: mono });
    p.drawText(pdfText(e.type), { x: margin, y: y - lead, size: 7, font: mono, color: rgb(0.3, 0.3, 0.3) });
    lines.forEach((l, i) => p.drawText(l, { x: margin + 150, y: y - i * lead, size, font }));
    y -= need;
    rows++;
  });
  if (rows === 0) page!.drawText('No entry matches this filter.', { x: margin, y, size, font });
  pages.forEach((p, i) => p.drawText(`Page ${i + 1} of ${pages.length} · ${grouped(rows)} entries`, { x: margin, y: margin - 12, size: 7, font, color: rgb(0.3, 0.3, 0.3) }));
  return { body: await doc.save({ useObjectStreams: true }), rows };
}

export async function exportEntries(core: Core, f: LedgerFilter & { format: 'csv' | 'pdf'; to: string }, maxPdfRows = MAX_PDF_ROWS): Promise<{ path: string; rows: number; format: 'csv' | 'pdf' }> {
  const path = checkOutPath(core.config.dataDir, f.to, 'export');
  const m = matches(core, f);
  if (f.format === 'csv') return { path, rows: writeCsv(core, m, path), format: 'csv' };
  const count = m.hi - m.lo;
  if (count > maxPdfRows) {
    throw new StationFailure('export-too-large', `${grouped(count)} entries match; a PDF holds at most ${grouped(maxPdfRows)}. Narrow the filter, or export CSV.`);
  }
  const { body, rows } = await pdfBytes(core, m, f);
  writeNewFile(path, body, 0o600);
  return { path, rows, format: 'pdf' };
}

export function saveCheckpoint(core: Core, to: string): { path: string; checkpoint: Checkpoint } {
  const path = checkOutPath(core.config.dataDir, to, 'checkpoint');
  const checkpoint = core.ledger.checkpoint(core.now);
  writeNewFile(path, Buffer.from(JSON.stringify(checkpoint, null, 2) + '\n', 'utf8'), 0o644);
  return { path, checkpoint };
}
