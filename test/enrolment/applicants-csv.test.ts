// The applicants CSV for bulk enrolment (docs/applicants-csv.md): good files read into typed rows; every
// kind of problem reported with its line, row and column, all of them together; random and mutated
// files give rows or problems, never an exception.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  APPLICANT_COLUMNS, APPLICANTS_CSV_LIMITS, describeProblem, parseApplicantsCsv, type ApplicantsCsvResult, type RowProblem,
} from '../../src-shared/enrolment/applicants-csv';

const HEADER = 'name,document,document_number,checked_by,outcome,reason,medium,bytes,target,external_id';
const row = (i: number): string => `Applicant ${i},passport,P${String(i).padStart(6, '0')},Olga Operator,accepted,,file,64KiB,/srv/enrol/a${i}.psrd,HR-${i}`;
const file = (...lines: string[]): string => `${lines.join('\n')}\n`;

function problemsOf(r: ApplicantsCsvResult): RowProblem[] {
  if (r.ok) throw new Error(`expected problems, got ${r.rows.length} rows`);
  return r.problems;
}
/** The one problem of a file that has exactly one. */
function only(text: string): RowProblem {
  const p = problemsOf(parseApplicantsCsv(text));
  expect(p, p.map(describeProblem).join('\n')).toHaveLength(1);
  return p[0];
}
/** A file of one data row whose fields are row(1)'s with some replaced. */
function withRow(fields: Partial<Record<string, string>>): string {
  const names = HEADER.split(',');
  const values = row(1).split(',');
  return file(HEADER, names.map((n, i) => fields[n] ?? values[i]).join(','));
}

describe('good files', () => {
  it('reads typed rows, with their lines and data rows', () => {
    const r = parseApplicantsCsv(file(HEADER, row(1), row(2)));
    expect(r).toEqual({
      ok: true,
      rows: [
        { row: 1, line: 2, name: 'Applicant 1', document: 'passport', documentNumber: 'P000001', checkedBy: 'Olga Operator', outcome: 'accepted', medium: 'file', bytes: 65536, target: '/srv/enrol/a1.psrd', externalId: 'HR-1' },
        { row: 2, line: 3, name: 'Applicant 2', document: 'passport', documentNumber: 'P000002', checkedBy: 'Olga Operator', outcome: 'accepted', medium: 'file', bytes: 65536, target: '/srv/enrol/a2.psrd', externalId: 'HR-2' },
      ],
    });
  });

  it('reads quoted commas, escaped quotes and line breaks, and counts lines through them', () => {
    const text = file(
      HEADER,
      '"Smith, Ann ""Annie""",id-card,ID-4471,"Olga, desk 2",refused,"Document expired;',
      'renewal pending",usb,1MiB,,',
      'Bob Jones,driving-licence,DL1234,Olga,accepted,,qr,4096,/srv/sheets/bob.pdf,',
    );
    const r = parseApplicantsCsv(text);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.rows[0]).toEqual({ row: 1, line: 2, name: 'Smith, Ann "Annie"', document: 'id-card', documentNumber: 'ID-4471', checkedBy: 'Olga, desk 2', outcome: 'refused', reason: 'Document expired; renewal pending', medium: 'usb', bytes: 2 ** 20 });
    expect(r.rows[1]).toMatchObject({ row: 2, line: 4, name: 'Bob Jones', medium: 'qr', bytes: 4096, target: '/srv/sheets/bob.pdf' });
    expect(r.rows[1]).not.toHaveProperty('externalId');
  });

  it('reads CRLF, a byte-order mark, no final line break, and skips blank lines', () => {
    const text = `\ufeff${HEADER}\r\n${row(1)}\r\n\r\n,,,,,,,,,\r\n${row(2)}`;
    const r = parseApplicantsCsv(text);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.rows.map((x) => [x.row, x.line, x.name, x.externalId])).toEqual([[1, 2, 'Applicant 1', 'HR-1'], [2, 5, 'Applicant 2', 'HR-2']]);
  });

  it('reads columns in any order, optional ones left out, names and choices in any case, spaces trimmed', () => {
    const text = file(' Bytes ,MEDIUM,Outcome,Checked_By,document_number,Document,NAME,target', '  2GiB , File , ACCEPTED ,Olga,X-1234,Residence-Permit,  Émile Zola  ,C:\\enrol\\emile.psrd');
    const r = parseApplicantsCsv(text);
    expect(r).toEqual({ ok: true, rows: [{ row: 1, line: 2, name: 'Émile Zola', document: 'residence-permit', documentNumber: 'X-1234', checkedBy: 'Olga', outcome: 'accepted', medium: 'file', bytes: 2 * 2 ** 30, target: 'C:\\enrol\\emile.psrd' }] });
  });

  it('accepts the limits exactly', () => {
    const r = parseApplicantsCsv(withRow({ name: 'n'.repeat(200), document_number: 'A'.repeat(40), checked_by: 'c'.repeat(64), bytes: '64GiB', external_id: 'e'.repeat(64) }));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.rows[0].bytes).toBe(64 * 2 ** 30);
    expect(parseApplicantsCsv(withRow({ bytes: '1' })).ok).toBe(true);
  });

  it('documents every column with one line, as docs/applicants-csv.md does, and reads its example', () => {
    expect(APPLICANT_COLUMNS.map((c) => c.name)).toEqual(['name', 'document', 'document_number', 'checked_by', 'outcome', 'reason', 'medium', 'bytes', 'target', 'external_id']);
    const doc = readFileSync(new URL('../../docs/applicants-csv.md', import.meta.url), 'utf8');
    for (const c of APPLICANT_COLUMNS) {
      expect(c.description).toMatch(/^[^\n]{10,200}$/);
      expect(doc).toContain(`| \`${c.name}\` | ${c.required ? 'yes' : 'no'} | ${c.description} |`);
    }
    const example = /```csv\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    const r = parseApplicantsCsv(example);
    expect(r.ok && r.rows.map((x) => [x.name, x.outcome, x.medium])).toEqual([
      ['Ann Lee', 'accepted', 'file'], ['Smith, John "Jack"', 'accepted', 'qr'], ['Bob Jones', 'refused', 'usb'], ['Eva Novak', 'accepted', 'hsm'],
    ]);
  });
});

describe('problems, each with its line, row and column', () => {
  it.each([
    ['name', '', 'name', /empty/],
    ['name', 'n'.repeat(201), 'name', /201 characters.*at most 200/],
    ['name', 'Ann\tLee', 'name', /control character/],
    ['name', 'Ann\u202eeeL', 'name', /control character/],
    ['document', 'library-card', 'document', /"library-card".*passport, id-card, driving-licence or residence-permit/],
    ['document_number', '', 'document_number', /empty/],
    ['document_number', 'AB1', 'document_number', /3 characters.*4 to 40/],
    ['document_number', 'A'.repeat(41), 'document_number', /41 characters/],
    ['document_number', 'AB 12345', 'document_number', /letters, digits and hyphens/],
    ['checked_by', '', 'checked_by', /empty/],
    ['checked_by', 'c'.repeat(65), 'checked_by', /at most 64/],
    ['outcome', 'maybe', 'outcome', /accepted or refused/],
    ['reason', 'looked fine', 'reason', /only for a refused applicant/],
    ['medium', 'tape', 'medium', /file, usb, hsm or qr/],
    ['bytes', '', 'bytes', /empty/],
    ['bytes', 'lots', 'bytes', /"lots" is not one the station reads/],
    ['bytes', '0', 'bytes', /at least 1 byte/],
    ['bytes', '1.3KiB', 'bytes', /not a whole number of bytes/],
    ['bytes', '65GiB', 'bytes', /64 GiB/],
    ['bytes', '99999999999999999999999', 'bytes', /64 GiB/],
    ['target', '', 'target', /absolute path/],
    ['target', 'enrol/a.psrd', 'target', /not an absolute path/],
    ['target', '/srv/../etc/a.psrd', 'target', /"\.\."/],
    ['external_id', 'e'.repeat(65), 'external_id', /at most 64/],
    ['external_id', 'HR\u00071', 'external_id', /control character/],
  ])('%s = %j', (column, value, reported, message) => {
    const p = only(withRow({ [column]: value }));
    expect(p).toMatchObject({ line: 2, row: 1, column: reported });
    expect(p.message).toMatch(message);
    expect(p.message).toMatch(/^[A-Z][^\n]*\.$/);
  });

  it('never echoes the document number back', () => {
    expect(only(withRow({ document_number: 'SECRET 99' })).message).not.toContain('SECRET');
  });

  it('a refusal needs a reason, in a reason column', () => {
    expect(only(withRow({ outcome: 'refused' }))).toMatchObject({ line: 2, row: 1, column: 'reason', message: expect.stringMatching(/refused but the reason is empty/) });
    const noReasonColumn = file('name,document,document_number,checked_by,outcome,medium,bytes', 'Ann,passport,P1234,Olga,refused,usb,4096');
    expect(only(noReasonColumn)).toMatchObject({ line: 2, row: 1, column: 'reason', message: expect.stringMatching(/no "reason" column/) });
  });

  it('the file medium needs a target; qr needs a PDF; hsm takes none', () => {
    const noTargetColumn = file('name,document,document_number,checked_by,outcome,medium,bytes', 'Ann,passport,P1234,Olga,accepted,file,4096');
    expect(only(noTargetColumn)).toMatchObject({ line: 2, row: 1, column: 'target', message: expect.stringMatching(/no "target" column/) });
    expect(only(withRow({ medium: 'qr', target: '/srv/a.png' }))).toMatchObject({ column: 'target', message: expect.stringMatching(/\.pdf/) });
    expect(only(withRow({ medium: 'hsm' }))).toMatchObject({ column: 'target', message: expect.stringMatching(/leave the target empty/) });
    expect(parseApplicantsCsv(withRow({ medium: 'usb', target: '' })).ok).toBe(true);
  });

  it('duplicate targets and external IDs name the row that had them first', () => {
    const text = file(HEADER, row(1), row(2).replace('/srv/enrol/a2.psrd', '/srv//enrol/a1.psrd/'), row(3).replace('HR-3', 'HR-1'));
    const p = problemsOf(parseApplicantsCsv(text));
    expect(p).toEqual([
      { line: 3, row: 2, column: 'target', message: 'This target is already used by row 1 (line 2); every row needs its own.' },
      { line: 4, row: 3, column: 'external_id', message: 'This external_id is already used by row 1 (line 2); each applicant needs their own.' },
    ]);
    const windows = file('name,document,document_number,checked_by,outcome,medium,bytes,target', 'A,passport,P1234,O,accepted,file,1,C:\\Enrol\\x.psrd', 'B,passport,P1235,O,accepted,file,1,c:/enrol/X.psrd');
    expect(only(windows)).toMatchObject({ line: 3, row: 2, column: 'target' });
  });

  it('the same document on two rows (same type and number, in any case) is a problem of the second, naming the first', () => {
    const text = file(
      HEADER,
      row(1),
      row(2).replace('P000002', 'p000001'),
      row(3).replace('passport', 'id-card').replace('P000003', 'P000001'),
      row(4).replace('P000004', 'P000001').replace('accepted,', 'refused,expired'),
    );
    const p = problemsOf(parseApplicantsCsv(text));
    expect(p).toEqual([
      { line: 3, row: 2, column: 'document_number', message: expect.stringMatching(/^This is the same document as row 1 \(line 2\)/) },
      { line: 5, row: 4, column: 'document_number', message: expect.stringMatching(/the same document as row 1 \(line 2\)/) },
    ]);
    for (const x of p) expect(x.message.toUpperCase()).not.toContain('P000001');
  });

  it('the header: unknown, duplicate, unnamed and missing columns', () => {
    const p = problemsOf(parseApplicantsCsv(file('name,document number,document,colour,,document,checked_by,outcome,medium', 'Ann,P1234,passport,red,,passport,Olga,accepted,usb')));
    expect(p.map((x) => [x.line, x.row, x.column, x.message])).toEqual([
      [1, 0, 'document number', 'The column "document number" is not one the file may have. Did you mean "document_number"?'],
      [1, 0, 'colour', expect.stringMatching(/^The column "colour" is not one the file may have\. The columns are name, document, document_number/)],
      [1, 0, undefined, expect.stringMatching(/^The 5th column of the header has no name/)],
      [1, 0, 'document', 'The column "document" appears twice in the header (the 3rd and the 6th column); keep one.'],
      [1, 0, 'document_number', 'The header has no "document_number" column, which every file needs.'],
      [1, 0, 'bytes', 'The header has no "bytes" column, which every file needs.'],
    ]);
  });

  it('an empty file, a file of blank lines, a header alone', () => {
    for (const text of ['', '\ufeff', '\n\r\n', ',,,\n']) expect(only(text)).toMatchObject({ line: 1, row: 0, message: expect.stringMatching(/The file is empty/) });
    expect(only(file(HEADER))).toMatchObject({ line: 1, row: 0, message: expect.stringMatching(/no applicants/) });
  });

  it('rows with the wrong number of fields', () => {
    const p = problemsOf(parseApplicantsCsv(file(HEADER, `${row(1)},extra`, row(2).split(',').slice(0, 9).join(','))));
    expect(p.map((x) => [x.line, x.row, x.column, x.message])).toEqual([
      [2, 1, undefined, expect.stringMatching(/^This row has 11 fields but the header has 10 columns/)],
      [3, 2, undefined, expect.stringMatching(/^This row has 9 fields but the header has 10 columns/)],
    ]);
  });

  it('a field over 4096 characters', () => {
    const long = `/srv/${'x'.repeat(APPLICANTS_CSV_LIMITS.maxFieldLength)}`;
    expect(only(withRow({ target: long }))).toMatchObject({ line: 2, row: 1, column: 'target', message: expect.stringMatching(/at most 4096/) });
  });

  it('quoting faults: a stray quote, text after a closing quote, a quote never closed', () => {
    const p = problemsOf(parseApplicantsCsv(file(HEADER, row(1).replace('Applicant 1', 'Ann "the" Lee'), row(2).replace('Applicant 2', '"Bob" Jones'), row(3), `"Carol,${row(4)}`, row(5))));
    expect(p.map((x) => [x.line, x.row, x.column])).toEqual([[2, 1, 'name'], [3, 2, 'name'], [5, 4, 'name']]);
    expect(p[0].message).toMatch(/write the quote twice/);
    expect(p[1].message).toMatch(/followed by more text/);
    expect(p[2].message).toMatch(/never closed/);
  });

  it('more than 100,000 rows', () => {
    const many = Array.from({ length: APPLICANTS_CSV_LIMITS.maxRows + 2 }, (_, i) => row(i + 1));
    expect(only(file(HEADER, ...many))).toMatchObject({ line: APPLICANTS_CSV_LIMITS.maxRows + 2, row: APPLICANTS_CSV_LIMITS.maxRows + 1, message: expect.stringMatching(/100,002 applicants; one file may hold at most 100,000/) });
  });

  it('reports every problem of the file together, in the order of the file', () => {
    const text = file(
      HEADER,
      row(1),
      'Ann,passport,AB1,,maybe,,tape,0,rel,',
      row(3).replace('a3.psrd', 'a1.psrd'),
      `"Multi`,
      `line",passport,P9999,Olga,accepted,,file,64KiB,/srv/m.psrd,HR-1`,
    );
    const p = problemsOf(parseApplicantsCsv(text));
    expect(p.map((x) => `${x.line}/${x.row}/${x.column}`)).toEqual([
      '3/2/document_number', '3/2/checked_by', '3/2/outcome', '3/2/medium', '3/2/bytes', '3/2/target',
      '4/3/target',
      '5/4/name', '6/4/external_id',
    ]);
  });

  it('lists at most 1000 problems and counts them all', () => {
    const bad = Array.from({ length: 700 }, (_, i) => row(i + 1).replace('passport', 'card').replace('64KiB', 'lots'));
    const r = parseApplicantsCsv(file(HEADER, ...bad));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.count).toBe(1400);
    expect(r.problems).toHaveLength(APPLICANTS_CSV_LIMITS.maxProblemsListed);
    expect(r.problems[999]).toMatchObject({ line: 501, row: 500, column: 'bytes' });
  });

  it('describes a problem as one line', () => {
    expect(describeProblem({ line: 5, row: 4, column: 'bytes', message: 'The size is 0.' })).toBe('line 5, row 4, column bytes: The size is 0.');
    expect(describeProblem({ line: 1, row: 0, message: 'The file is empty.' })).toBe('line 1: The file is empty.');
  });
});

describe('size and robustness', () => {
  it('a 1,000-row file parses', () => {
    const text = file(HEADER, ...Array.from({ length: 1000 }, (_, i) => row(i + 1)));
    const t0 = performance.now();
    const r = parseApplicantsCsv(text);
    const ms = performance.now() - t0;
    console.log(`applicants-csv: 1,000 rows (${(text.length / 1024).toFixed(0)} KiB) parsed in ${ms.toFixed(1)} ms`);
    expect(r.ok && r.rows.length).toBe(1000);
  });

  const settled = (r: ApplicantsCsvResult): void => {
    if (r.ok) {
      expect(r.rows.length).toBeGreaterThan(0);
      return;
    }
    expect(r.count).toBeGreaterThanOrEqual(r.problems.length);
    expect(r.problems.length).toBeGreaterThan(0);
    for (const p of r.problems) {
      expect(Number.isInteger(p.line) && p.line >= 1).toBe(true);
      expect(Number.isInteger(p.row) && p.row >= 0).toBe(true);
      expect(typeof p.message).toBe('string');
    }
  };

  it('random text gives rows or problems, never an exception', () => {
    const alphabet = fc.constantFrom(',', '"', '\n', '\r', '\ufeff', ' ', 'a', '1', '/', 'passport', 'file', 'accepted', 'refused', '\t', 'é', '\u0000');
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), fc.array(alphabet, { maxLength: 200 }).map((a) => a.join(''))), (text) => {
      settled(parseApplicantsCsv(text));
    }), { numRuns: 2000 });
  });

  it('mutated good files give rows or problems, never an exception', () => {
    const good = file(HEADER, row(1), '"Smith, Ann",id-card,ID-4471,Olga,refused,"Expired,\nsee note",usb,1MiB,,', row(3));
    const mutation = fc.record({
      at: fc.nat({ max: good.length }),
      cut: fc.nat({ max: 8 }),
      insert: fc.oneof(fc.constantFrom(',', '"', '""', '\n', '\r\n', '\r', '\ufeff', ' ', '0', '/..', 'x'.repeat(5000)), fc.string({ maxLength: 6 })),
    });
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 5 }), (ms) => {
      let text = good;
      for (const m of ms) {
        const at = Math.min(m.at, text.length);
        text = text.slice(0, at) + m.insert + text.slice(at + m.cut);
      }
      settled(parseApplicantsCsv(text));
    }), { numRuns: 2000 });
  });
});
