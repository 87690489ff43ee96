// Bulk enrolment for hub operators (issue S7, part 5; docs/applicants-csv.md): a CSV file of applicants,
// one row each, validated whole before anything happens. This module only reads and checks the file; it
// never touches the station. Every problem in the file is reported, each with its line in the file, its
// data row and its column, in one plain sentence; the caller acts on the rows only when there is none.
//
// The CSV is RFC 4180: fields separated by commas, records by CRLF or LF, a field optionally in double
// quotes ("" inside is one quote; a quoted field may hold commas and line breaks), a UTF-8 byte-order
// mark at the start ignored, a header row first. Lines that are empty (or hold nothing but commas) are
// skipped and are not rows. Line breaks in a reason (a spreadsheet cell typed over several lines) become
// spaces. Spaces around a value are dropped; document, outcome and medium are read
// without regard to case. Column names are read without regard to case or surrounding spaces.
import { parseSize } from '../psrd/size';
import { DOCUMENTS, DOCUMENT_NUMBER, type DocumentType } from './identity-documents';

/** The columns of the file, each with the one line the README gives it (docs/applicants-csv.md). */
export const APPLICANT_COLUMNS = [
  { name: 'name', required: true, description: 'The applicant’s full name, as on the document (1–200 characters).' },
  { name: 'document', required: true, description: 'The identity document checked: passport, id-card, driving-licence or residence-permit.' },
  { name: 'document_number', required: true, description: 'The document’s number (4–40 letters, digits and hyphens); the station keeps only its last digits and an HMAC.' },
  { name: 'checked_by', required: true, description: 'The operator who checked this applicant’s identity in person (1–64 characters).' },
  { name: 'outcome', required: true, description: 'The identity check’s outcome: accepted or refused.' },
  { name: 'reason', required: false, description: 'Why the applicant was refused (1–500 characters); required when refused, empty when accepted.' },
  { name: 'medium', required: true, description: 'What the PSRD is written to: file, usb, hsm or qr.' },
  { name: 'bytes', required: true, description: 'How much PSRD to allocate, such as 4096, 64KiB or 1MiB (at least 1 byte, at most 64 GiB).' },
  { name: 'target', required: false, description: 'An absolute path, different on every row: the file to write (required for file), the PDF for qr, the drive for usb; empty for hsm.' },
  { name: 'external_id', required: false, description: 'An optional reference such as an HR number (1–64 printable characters), different on every row.' },
] as const;

export type ApplicantColumn = (typeof APPLICANT_COLUMNS)[number]['name'];

export const APPLICANT_MEDIA = ['file', 'usb', 'hsm', 'qr'] as const;
export type ApplicantMedium = (typeof APPLICANT_MEDIA)[number];
export const APPLICANT_OUTCOMES = ['accepted', 'refused'] as const;

/** The limits the file is checked against. */
export const APPLICANTS_CSV_LIMITS = {
  maxRows: 100_000,
  maxFieldLength: 4096,
  maxProblemsListed: 1000,
  maxBytes: 64 * 2 ** 30,
} as const;

export interface Applicant {
  /** 1-based data row (the header is row 0; blank lines are not rows). */
  readonly row: number;
  /** 1-based line of the file where the row starts. */
  readonly line: number;
  readonly name: string;
  readonly document: DocumentType;
  /** Kept only until its HMAC is taken; never stored or logged whole. */
  readonly documentNumber: string;
  readonly checkedBy: string;
  readonly outcome: 'accepted' | 'refused';
  /** Present exactly when the outcome is refused. */
  readonly reason?: string;
  readonly medium: ApplicantMedium;
  readonly bytes: number;
  /** Present when the row gives one; always for file. */
  readonly target?: string;
  readonly externalId?: string;
}

export interface RowProblem {
  /** 1-based line of the file. */
  readonly line: number;
  /** 1-based data row; 0 for the header or the file as a whole. */
  readonly row: number;
  readonly column?: string;
  /** One plain sentence a hub operator understands. */
  readonly message: string;
}

export type ApplicantsCsvResult =
  | { readonly ok: true; readonly rows: Applicant[] }
  /** problems lists the first 1000 (in the order of the file); count is how many there are in all. */
  | { readonly ok: false; readonly problems: RowProblem[]; readonly count: number };

/** "line 12, row 11, column bytes: …" — one problem as a line of text for the CLI or a log. */
export function describeProblem(p: RowProblem): string {
  const where = [`line ${p.line}`, ...(p.row > 0 ? [`row ${p.row}`] : []), ...(p.column !== undefined ? [`column ${p.column}`] : [])];
  return `${where.join(', ')}: ${p.message}`;
}

// ---------------------------------------------------------------------------------------------------
// Reading: RFC 4180 records, each field with the line it starts on and what was wrong with its quoting.

interface RawField {
  readonly value: string;
  readonly line: number;
}
interface RawRecord {
  readonly line: number;
  readonly fields: RawField[];
  /** Quoting faults, by field index: the record's values cannot be trusted where there is one. */
  readonly faults: { readonly field: number; readonly line: number; readonly message: string }[];
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

function* readRecords(text: string): Generator<RawRecord> {
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  /** At i: the end of the text, a comma, or a line break (CRLF or LF). */
  const atEnd = (at: number): boolean => at >= n || text.charCodeAt(at) === COMMA || text.charCodeAt(at) === LF || (text.charCodeAt(at) === CR && text.charCodeAt(at + 1) === LF);
  while (i < n) {
    const record: RawRecord = { line, fields: [], faults: [] };
    for (;;) {
      const fieldLine = line;
      let value: string;
      if (text.charCodeAt(i) === QUOTE) {
        i++;
        const parts: string[] = [];
        let start = i;
        let closed = false;
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c === QUOTE) {
            if (text.charCodeAt(i + 1) === QUOTE) {
              parts.push(text.slice(start, i + 1));
              i += 2;
              start = i;
              continue;
            }
            parts.push(text.slice(start, i));
            i++;
            closed = true;
            break;
          }
          if (c === LF) line++;
          i++;
        }
        if (!closed) {
          parts.push(text.slice(start, i));
          record.faults.push({ field: record.fields.length, line: fieldLine, message: 'A field here opens with a double quote that is never closed, so the rest of the file was read as part of it.' });
        } else if (!atEnd(i)) {
          record.faults.push({ field: record.fields.length, line, message: 'A quoted field is followed by more text before the next comma; put the whole field inside the double quotes.' });
          while (!atEnd(i)) i++;
        }
        value = parts.join('');
      } else {
        const start = i;
        let stray = false;
        while (!atEnd(i)) {
          if (text.charCodeAt(i) === QUOTE) stray = true;
          i++;
        }
        if (stray) {
          record.faults.push({ field: record.fields.length, line: fieldLine, message: 'A double quote appears inside a field that does not start with one; put the whole field in double quotes and write the quote twice ("").' });
        }
        value = text.slice(start, i);
      }
      record.fields.push({ value, line: fieldLine });
      if (i >= n) break;
      if (text.charCodeAt(i) === COMMA) {
        i++;
        continue;
      }
      i += text.charCodeAt(i) === CR ? 2 : 1;
      line++;
      break;
    }
    yield record;
  }
}

// ---------------------------------------------------------------------------------------------------
// Checking.

/** Control characters (C0, DEL, C1) and the bidirectional overrides that can make a name read as another. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const DOCUMENT_LIST = 'passport, id-card, driving-licence or residence-permit';
const MEDIA_LIST = 'file, usb, hsm or qr';

const COLUMN_NAMES: readonly string[] = APPLICANT_COLUMNS.map((c) => c.name);
const columnList = (): string => COLUMN_NAMES.join(', ');

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
  return `${n}${s}`;
}

/** Shortens a value for quoting it back in a message. */
function shown(value: string): string {
  const flat = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
  return flat.length > 40 ? `"${flat.slice(0, 37)}…"` : `"${flat}"`;
}

/** A size as parseSize reads it (src-shared/psrd/size.ts), split into its number and its unit. */
const SIZE = /^(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?$/;

/** A path that starts at the root: /…, C:\… or C:/…, or \\server\share\…. */
const ABSOLUTE = /^(?:\/|[A-Za-z]:[\\/]|\\\\[^\\/]+[\\/])/;

/** A form of a path for comparing two rows' targets: Windows paths without regard to case or slash direction. */
function pathKey(path: string): string {
  const windows = !path.startsWith('/');
  let p = windows ? path.replace(/\\/g, '/').toLowerCase() : path;
  p = p.replace(/(?<!^)\/{2,}/g, '/');
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p;
}

function checkPath(target: string): string | null {
  if (UNPRINTABLE.test(target)) return 'The target holds a control character; write a plain absolute path.';
  if (!ABSOLUTE.test(target)) return `The target ${shown(target)} is not an absolute path; write the whole path from the root, such as /media/enrol/ann.psrd.`;
  const segments = target.split(/[\\/]+/);
  if (segments.some((s) => s === '.' || s === '..')) return `The target ${shown(target)} has a "." or ".." part; write the path without them.`;
  return null;
}

export function parseApplicantsCsv(text: string): ApplicantsCsvResult {
  const problems: RowProblem[] = [];
  let count = 0;
  const problem = (p: RowProblem): void => {
    count++;
    if (problems.length < APPLICANTS_CSV_LIMITS.maxProblemsListed) problems.push(p);
  };
  const rows: Applicant[] = [];
  const fail = (): ApplicantsCsvResult => ({ ok: false, problems, count });

  // One pass over the records, shared by the loops below: leaving a loop early must not end it (a
  // for…of over the generator itself would close it), so the iterable hands out next() only.
  const reader = readRecords(typeof text === 'string' ? text : '');
  const records: Iterable<RawRecord> = { [Symbol.iterator]: () => ({ next: () => reader.next() }) };
  const blank = (r: RawRecord): boolean => r.faults.length === 0 && r.fields.every((f) => f.value.trim() === '');

  // The header: the first line that is not blank.
  let header: RawRecord | undefined;
  for (const r of records) {
    if (!blank(r)) {
      header = r;
      break;
    }
  }
  if (header === undefined) {
    problem({ line: 1, row: 0, message: 'The file is empty: it needs a header row naming the columns, then one row per applicant.' });
    return fail();
  }

  // Which column of the file each documented column is, and what is wrong with the header.
  const index = new Map<string, number>();
  const headerLine = header.line;
  for (const f of header.faults) problem({ line: f.line, row: 0, message: f.message });
  header.fields.forEach((f, at) => {
    if (f.value.length > APPLICANTS_CSV_LIMITS.maxFieldLength) {
      problem({ line: f.line, row: 0, message: `The ${ordinal(at + 1)} column’s name is longer than ${APPLICANTS_CSV_LIMITS.maxFieldLength} characters; the columns are ${columnList()}.` });
      return;
    }
    const name = f.value.trim().toLowerCase();
    if (name === '') {
      problem({ line: f.line, row: 0, message: `The ${ordinal(at + 1)} column of the header has no name; the columns are ${columnList()}.` });
    } else if (!COLUMN_NAMES.includes(name)) {
      const near = name.replace(/[\s-]+/g, '_');
      const hint = COLUMN_NAMES.includes(near) ? ` Did you mean "${near}"?` : ` The columns are ${columnList()}.`;
      problem({ line: f.line, row: 0, column: f.value.trim(), message: `The column ${shown(f.value.trim())} is not one the file may have.${hint}` });
    } else if (index.has(name)) {
      problem({ line: f.line, row: 0, column: name, message: `The column "${name}" appears twice in the header (the ${ordinal(index.get(name)! + 1)} and the ${ordinal(at + 1)} column); keep one.` });
    } else {
      index.set(name, at);
    }
  });
  for (const c of APPLICANT_COLUMNS) {
    if (c.required && !index.has(c.name)) problem({ line: headerLine, row: 0, column: c.name, message: `The header has no "${c.name}" column, which every file needs.` });
  }
  const width = header.fields.length;

  const seenTargets = new Map<string, { row: number; line: number }>();
  const seenExternal = new Map<string, { row: number; line: number }>();
  /** Document type and number (upper-cased, as the station takes its HMAC): one person is enrolled once. */
  const seenDocuments = new Map<string, { row: number; line: number }>();
  let row = 0;

  for (const record of records) {
    if (blank(record)) continue;
    row++;
    if (row > APPLICANTS_CSV_LIMITS.maxRows) {
      // Count the rest (cheaply) so the message can say how many there are.
      let total = row;
      for (const r of records) if (!blank(r)) total++;
      problem({ line: record.line, row, message: `The file has ${total.toLocaleString('en')} applicants; one file may hold at most ${APPLICANTS_CSV_LIMITS.maxRows.toLocaleString('en')}, so split it.` });
      break;
    }
    const at = (p: Omit<RowProblem, 'row'>): void => problem({ ...p, row });
    const columnOf = (field: number): string | undefined => {
      const name = header.fields[field]?.value.trim().toLowerCase();
      return name !== undefined && index.get(name) === field ? name : undefined;
    };

    if (record.faults.length > 0) {
      for (const f of record.faults) at({ line: f.line, ...(columnOf(f.field) ? { column: columnOf(f.field) } : {}), message: f.message });
      continue;
    }
    if (record.fields.length !== width) {
      at({
        line: record.line,
        message: `This row has ${record.fields.length} field${record.fields.length === 1 ? '' : 's'} but the header has ${width} column${width === 1 ? '' : 's'}; look for a missing or extra comma, or a comma in a value that needs double quotes around it.`,
      });
      continue;
    }

    let good = true;
    const bad = (column: ApplicantColumn, message: string): void => {
      good = false;
      const field = index.get(column);
      at({ line: field === undefined ? record.line : record.fields[field].line, column, message });
    };
    /** The value of a column (trimmed), '' when empty or when the file has no such column; null when too long. */
    const value = (column: ApplicantColumn): string | null => {
      const field = index.get(column);
      if (field === undefined) return '';
      const raw = record.fields[field].value;
      if (raw.length > APPLICANTS_CSV_LIMITS.maxFieldLength) {
        bad(column, `The ${column} is ${raw.length} characters long; a field may hold at most ${APPLICANTS_CSV_LIMITS.maxFieldLength}.`);
        return null;
      }
      return raw.trim();
    };
    /** Required columns that the header lacks were reported once, on the header; not again on every row. */
    const missing = (column: ApplicantColumn, what: string): void => {
      if (index.has(column)) bad(column, what);
      else good = false;
    };
    const plainText = (column: ApplicantColumn, label: string, max: number): string | undefined => {
      const v = value(column);
      if (v === null) return undefined;
      if (v === '') missing(column, `The ${label} is empty; every applicant needs one.`);
      else if (v.length > max) bad(column, `The ${label} is ${v.length} characters long; it may be at most ${max}.`);
      else if (UNPRINTABLE.test(v)) bad(column, `The ${label} holds a control character (such as a tab or a line break); remove it.`);
      else return v;
      return undefined;
    };
    const choice = <T extends string>(column: ApplicantColumn, label: string, options: readonly T[], list: string): T | undefined => {
      const v = value(column);
      if (v === null) return undefined;
      const lower = v.toLowerCase();
      if (v === '') missing(column, `The ${label} is empty; write ${list}.`);
      else if ((options as readonly string[]).includes(lower)) return lower as T;
      else bad(column, `The ${label} ${shown(v)} is not one the station knows; write ${list}.`);
      return undefined;
    };

    const name = plainText('name', 'name', 200);
    const document = choice('document', 'document', DOCUMENTS, DOCUMENT_LIST);

    let documentNumber: string | undefined;
    const number = value('document_number');
    if (number === '') missing('document_number', 'The document number is empty; every applicant needs the number of the document that was checked.');
    else if (number !== null && !DOCUMENT_NUMBER.test(number)) {
      // The number itself is not echoed back: it is personal data, and this message may be logged.
      bad('document_number', number.length < 4 || number.length > 40
        ? `The document number is ${number.length} characters long; it must be 4 to 40 letters, digits and hyphens.`
        : 'The document number holds something other than letters, digits and hyphens (such as a space); write it without them.');
    } else if (number !== null) documentNumber = number;

    const checkedBy = plainText('checked_by', 'name in checked_by (the operator who checked the identity in person)', 64);
    const outcome = choice('outcome', 'outcome', APPLICANT_OUTCOMES, 'accepted or refused');

    let reason: string | undefined;
    // A reason typed over several lines of a spreadsheet cell is kept as one line.
    const given = value('reason');
    const r = given === null ? null : given.replace(/\r?\n/g, ' ');
    if (r !== null && outcome === 'refused') {
      if (r === '') bad('reason', index.has('reason') ? 'The applicant was refused but the reason is empty; say why.' : 'The applicant was refused but the file has no "reason" column; add one and say why.');
      else if (r.length > 500) bad('reason', `The reason is ${r.length} characters long; it may be at most 500.`);
      else if (UNPRINTABLE.test(r)) bad('reason', 'The reason holds a control character (such as a tab or a line break); write it on one line.');
      else reason = r;
    } else if (r !== null && r !== '' && outcome === 'accepted') {
      bad('reason', 'A reason is given only for a refused applicant; leave it empty when the outcome is accepted.');
    }

    const medium = choice('medium', 'medium', APPLICANT_MEDIA, MEDIA_LIST);

    let bytes: number | undefined;
    const size = value('bytes');
    if (size === '') missing('bytes', 'The size in bytes is empty; write how much PSRD to allocate, such as 4096, 64KiB or 1MiB.');
    else if (size !== null) {
      const m = SIZE.exec(size);
      const unit = m ? parseSize(`1${m[2] ?? ''}`) : null;
      const amount = m && unit !== null ? Number(m[1]) * unit : NaN;
      if (Number.isNaN(amount)) bad('bytes', `The size ${shown(size)} is not one the station reads; write a whole number of bytes or a size such as 4096, 64KiB or 1MiB.`);
      else if (amount === 0) bad('bytes', 'The size is 0; every applicant needs at least 1 byte of PSRD.');
      else if (amount > APPLICANTS_CSV_LIMITS.maxBytes) bad('bytes', `The size ${shown(size)} is more than the most one applicant may receive, 64 GiB.`);
      else {
        const parsed = parseSize(size);
        if (parsed === null) bad('bytes', `The size ${shown(size)} is not a whole number of bytes (it comes to ${amount}); write a size that is.`);
        else bytes = parsed;
      }
    }

    let target: string | undefined;
    const t = value('target');
    if (t === '') {
      if (medium === 'file') bad('target', index.has('target') ? 'The target is empty; for the file medium, write the absolute path of the file to write.' : 'The medium is file but the file has no "target" column; add one with the absolute path of each file to write.');
    } else if (t !== null) {
      const wrong = checkPath(t);
      if (medium === 'hsm') bad('target', 'An HSM token is chosen at the station when the run reaches this applicant; leave the target empty for the hsm medium.');
      else if (wrong !== null) bad('target', wrong);
      else if (medium === 'qr' && !t.toLowerCase().endsWith('.pdf')) bad('target', 'A QR sheet is written as a PDF; for the qr medium, name a file ending in .pdf.');
      else {
        const key = pathKey(t);
        const first = seenTargets.get(key);
        if (first !== undefined) bad('target', `This target is already used by row ${first.row} (line ${first.line}); every row needs its own.`);
        else {
          seenTargets.set(key, { row, line: record.line });
          target = t;
        }
      }
    }

    let externalId: string | undefined;
    const e = value('external_id');
    if (e !== null && e !== '') {
      if (e.length > 64) bad('external_id', `The external_id is ${e.length} characters long; it may be at most 64.`);
      else if (UNPRINTABLE.test(e)) bad('external_id', 'The external_id holds a control character; use printable characters only.');
      else {
        const first = seenExternal.get(e);
        if (first !== undefined) bad('external_id', `This external_id is already used by row ${first.row} (line ${first.line}); each applicant needs their own.`);
        else {
          seenExternal.set(e, { row, line: record.line });
          externalId = e;
        }
      }
    }

    if (document !== undefined && documentNumber !== undefined) {
      const key = `${document}|${documentNumber.toUpperCase()}`;
      const first = seenDocuments.get(key);
      // The number is not repeated in the message: it is personal data.
      if (first !== undefined) bad('document_number', `This is the same document as row ${first.row} (line ${first.line}), the same type and number: one person is enrolled once; keep one of the two rows.`);
      else seenDocuments.set(key, { row, line: record.line });
    }

    if (good && name !== undefined && document !== undefined && documentNumber !== undefined && checkedBy !== undefined && outcome !== undefined && medium !== undefined && bytes !== undefined) {
      rows.push({
        row, line: record.line, name, document, documentNumber, checkedBy, outcome,
        ...(reason !== undefined ? { reason } : {}),
        medium, bytes,
        ...(target !== undefined ? { target } : {}),
        ...(externalId !== undefined ? { externalId } : {}),
      });
    }
  }

  if (row === 0 && count === 0) problem({ line: headerLine, row: 0, message: 'The file has a header row but no applicants after it.' });
  if (count > 0) {
    problems.sort((a, b) => a.line - b.line || a.row - b.row);
    return fail();
  }
  return { ok: true, rows };
}
