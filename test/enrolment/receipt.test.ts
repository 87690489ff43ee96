// Hand receipts (src-main/station/enrolment/receipt.ts, issue S7 part 3): a receipt body rendered as an
// A4 PDF, read by poppler (pdftoppm rasterises it, pdftotext finds what the desk and the employee read),
// rendered byte for byte the same every time, parsed back strictly, and any edit of a copy — the visible
// text, the embedded record, bytes added — caught by a fresh rendering. The parser, fed random bytes and
// mutated receipts, throws ReceiptError and nothing else.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ReceiptError,
  checkReceiptBody,
  parseReceipt,
  receiptCanonical,
  receiptMatchesFile,
  renderReceipt,
  type ReceiptBody,
} from '../../src-main/station/enrolment/receipt';

const toolMissing = (tool: string): boolean => spawnSync(tool, ['-v'], { stdio: 'ignore' }).error !== undefined;
const noPopplerReason: string | undefined = ['pdftoppm', 'pdftotext'].filter(toolMissing).map((t) => `${t} is not installed`)[0];
const skipNote = noPopplerReason ? ` (skipped: ${noPopplerReason})` : '';

const work = mkdtempSync(join(tmpdir(), 'dske-receipt-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let fileNo = 0;

/** The text of a PDF as pdftotext -layout reads it (columns kept on one line). */
function pdfText(pdf: Uint8Array, extra: string[] = []): string {
  const file = join(work, `r${++fileNo}.pdf`);
  writeFileSync(file, pdf);
  return execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', ...extra, file, '-'], { encoding: 'utf8' });
}
/** Whitespace runs as one space, so that table columns read as "a b c". */
const squeeze = (s: string): string => s.replace(/\s+/g, ' ');

const seg = (n: number): string => `seg-${n.toString(16).padStart(24, '0')}`;

const BODY: ReceiptBody = {
  format: 1,
  receipt: 'rcp-0123456789abcdef',
  hub: 'hub.example',
  client: 'c-000123',
  name: 'Grace Müller-Hopper',
  application: 'app-00112233445566ff',
  package: `pkg-${'3f'.repeat(16)}`,
  medium: { kind: 'usb', target: '/dev/sdb', serial: 'SN-4C530001', model: 'SanDisk Ultra' },
  ranges: [
    { segment: seg(7), offset: 0, length: 786432 },
    { segment: seg(9), offset: 1048576, length: 262144 },
  ],
  bytes: 1048576,
  packageBytes: 1048576 + 16 * 1 + 412,
  operators: { clerk: 'alice desk', approver: 'bob ops', identityCheckedBy: 'carol' },
  time: '2025-03-04T10:11:12.345Z',
};

function withRanges(n: number): ReceiptBody {
  const ranges = Array.from({ length: n }, (_, i) => ({ segment: seg(1000 + i), offset: 4096 * 7 * i, length: 4096 + i }));
  const bytes = ranges.reduce((s, r) => s + r.length, 0);
  return { ...BODY, ranges, bytes, packageBytes: bytes + 4096 };
}

function expectReceiptError(f: () => unknown, code?: string): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ReceiptError);
    if (code) expect((e as ReceiptError).code).toBe(code);
    return;
  }
  throw new Error('no ReceiptError was thrown');
}

const latin1 = (pdf: Uint8Array): string => Buffer.from(pdf).toString('latin1');
/** A text string as our content streams hold it: the WinAnsi bytes in hex, as a Tj operand. */
const hexOperand = (s: string): string => `<${Buffer.from(s, 'latin1').toString('hex').toUpperCase()}>`;

describe('rendering a receipt', () => {
  it.skipIf(noPopplerReason !== undefined)(`gives a PDF that pdftoppm rasterises at 100 dpi and whose text names everything the desk checks${skipNote}`, async () => {
    const t0 = performance.now();
    const pdf = await renderReceipt(BODY);
    const ms = performance.now() - t0;
    console.log(`receipt with ${BODY.ranges.length} ranges: ${pdf.length} bytes, rendered in ${ms.toFixed(0)} ms`);
    expect(latin1(pdf.subarray(0, 5))).toBe('%PDF-');

    const file = join(work, 'page.pdf');
    writeFileSync(file, pdf);
    execFileSync('pdftoppm', ['-r', '100', '-png', file, join(work, 'page')]);
    const images = readdirSync(work).filter((f) => /^page-\d+\.png$/.test(f));
    expect(images).toEqual(['page-1.png']); // one page for a couple of ranges
    const png = readFileSync(join(work, images[0]));
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // A4 at 100 dpi: 826.8 × 1169.3 pixels, rounded either way (IHDR width and height).
    expect(Math.abs(png.readUInt32BE(16) - 826.8)).toBeLessThan(1);
    expect(Math.abs(png.readUInt32BE(20) - 1169.3)).toBeLessThan(1);
    // Not a blank page: a flat white A4 compresses to a few kilobytes.
    expect(png.length).toBeGreaterThan(20_000);

    const text = pdfText(pdf);
    const flat = squeeze(text);
    expect(flat).toContain('DSKE hand receipt');
    expect(flat).toContain(BODY.receipt);
    expect(flat).toContain(BODY.hub);
    expect(flat).toContain(BODY.client);
    expect(flat).toContain(BODY.name); // as given, ü included
    expect(flat).toContain(BODY.application!);
    expect(flat).toContain(BODY.package);
    expect(flat).toContain('USB drive');
    expect(flat).toContain(BODY.medium.target);
    expect(flat).toContain(BODY.medium.serial!);
    expect(flat).toContain(BODY.medium.model!);
    for (const r of BODY.ranges) expect(flat).toContain(`${r.segment} ${r.offset} ${r.length}`);
    expect(flat).toContain('1.00 MiB (1048576 bytes)');
    expect(flat).toContain('in 2 ranges');
    expect(flat).toContain(BODY.operators.clerk);
    expect(flat).toContain(BODY.operators.approver!);
    expect(flat).toContain(BODY.operators.identityCheckedBy!);
    expect(flat).toContain('2025-03-04 10:11:12 UTC');
    expect(flat).toMatch(/times on this receipt are in UTC/);
    expect(flat).toContain('Desk clerk');
    expect(flat).toContain('Employee');
    expect(flat).toMatch(/confirms receiving the medium described above, sealed/);
    expect(flat).toContain('page 1 of 1');
  });

  it.skipIf(noPopplerReason !== undefined)(`shows what is optional and absent in words, and a name its fonts cannot print as code points${skipNote}`, async () => {
    const { application: _application, ...rest } = BODY;
    const body: ReceiptBody = { ...rest, name: 'Łukasz 王 Zoë', medium: { kind: 'qr', target: '/run/user/1000/c-000123.pdf' }, operators: { clerk: 'alice desk' } };
    const flat = squeeze(pdfText(await renderReceipt(body)));
    expect(flat).toContain('<U+0141>ukasz <U+738B> Zoë');
    expect(flat).toContain('Printed QR sheet');
    expect(flat).toContain('Serial not recorded');
    expect(flat).toContain('no second operator recorded');
    expect(flat).not.toContain('Application');
    // The exact name is in the record all the same.
    expect(parseReceipt(await renderReceipt(body)).name).toBe('Łukasz 王 Zoë');
  });

  it('is deterministic: the same body gives the same bytes, whatever order its keys came in', async () => {
    const a = await renderReceipt(BODY);
    const b = await renderReceipt(BODY);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const shuffled = JSON.parse(JSON.stringify(BODY, Object.keys(BODY).reverse().concat(['kind', 'target', 'serial', 'model', 'segment', 'offset', 'length', 'clerk', 'approver', 'identityCheckedBy']))) as ReceiptBody;
    expect(Buffer.from(await renderReceipt(shuffled)).equals(Buffer.from(a))).toBe(true);
    // Dates from the body, fixed producer and creator, no pdf-lib stamp, no trailer /ID.
    const raw = latin1(a);
    expect(raw).toContain('/CreationDate (D:20250304101112Z)');
    expect(raw).toContain('/ModDate (D:20250304101112Z)');
    expect(raw).toContain('/Producer (dske-station receipt 1)');
    expect(raw).toContain('/Creator (dske-station)');
    expect(raw).not.toMatch(/pdf-lib/i);
    expect(raw).not.toMatch(/\/ID\s*\[/);
    // Another time, another file.
    const later = await renderReceipt({ ...BODY, time: '2025-03-04T10:11:13.345Z' });
    expect(Buffer.from(later).equals(Buffer.from(a))).toBe(false);
  });

  it.skipIf(noPopplerReason !== undefined)(`flows 300 ranges onto further pages, each range in the text, nothing drawn off the page${skipNote}`, async () => {
    const body = withRanges(300);
    const t0 = performance.now();
    const pdf = await renderReceipt(body);
    console.log(`receipt with 300 ranges: ${pdf.length} bytes, rendered in ${(performance.now() - t0).toFixed(0)} ms`);
    const pages = (latin1(pdf).match(/\/Type \/Page\b(?!s)/g) ?? []).length;
    expect(pages).toBeGreaterThan(3);
    const flat = squeeze(pdfText(pdf));
    for (const [i, r] of body.ranges.entries()) expect(flat).toContain(`${i + 1} ${r.segment} ${r.offset} ${r.length}`);
    expect(flat).toContain(`page ${pages} of ${pages}`);
    expect(flat).toContain('(continued)');
    // The signature block comes once, at the end, after the last range.
    expect(flat.indexOf('Employee')).toBeGreaterThan(flat.indexOf(body.ranges[299].segment));
    expect(flat.split('Desk clerk').length).toBe(3); // the operators' field and the signature line

    // Every word inside the page, with room to spare (pdftotext -bbox gives each word's box in points).
    const long: ReceiptBody = { ...body, name: `${'Wolfeschlegelsteinhausenbergerdorff'.repeat(5)} ${'Anna Maria '.repeat(8)}`.trim().slice(0, 200), medium: { kind: 'file', target: `/srv/out/${'deep/'.repeat(300)}c-000123.pkg`, serial: 'S'.repeat(256) } };
    for (const doc of [pdf, await renderReceipt(long)]) {
      const boxes = [...pdfText(doc, ['-bbox']).matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">/g)];
      expect(boxes.length).toBeGreaterThan(100);
      for (const m of boxes) {
        const [xMin, yMin, xMax, yMax] = m.slice(1, 5).map(Number);
        expect(xMin).toBeGreaterThanOrEqual(50);
        expect(yMin).toBeGreaterThanOrEqual(50);
        expect(xMax).toBeLessThanOrEqual(595.28 - 50);
        expect(yMax).toBeLessThanOrEqual(841.89 - 50);
      }
    }
  });

  it('refuses to render a body that is not a valid receipt body', async () => {
    const bad: unknown[] = [
      { ...BODY, extra: 1 },
      { ...BODY, client: 'c-12' },
      { ...BODY, receipt: 'rcp-0123' },
      { ...BODY, package: 'pkg-xyz' },
      { ...BODY, name: '' },
      { ...BODY, name: 'a\nb' },
      { ...BODY, bytes: BODY.bytes + 1 },
      { ...BODY, packageBytes: 1 },
      { ...BODY, ranges: [] },
      { ...BODY, ranges: [{ ...BODY.ranges[0], extra: true }, BODY.ranges[1]] },
      { ...BODY, ranges: [{ ...BODY.ranges[0], offset: -1 }, BODY.ranges[1]] },
      { ...BODY, medium: { ...BODY.medium, kind: 'floppy' } },
      { ...BODY, medium: { ...BODY.medium, serial: '' } },
      { ...BODY, operators: { clerk: 'alice', approver: null } },
      { ...BODY, operators: { clerk: ' alice' } },
      { ...BODY, time: '2025-03-04 10:11:12Z' },
      { ...BODY, time: '2025-02-30T10:11:12Z' },
      { ...BODY, time: '2025-03-04T10:11:12+01:00' },
      { ...BODY, format: 2 },
    ];
    // An optional field set to undefined, in memory, is simply absent (as JSON.stringify has it).
    const { approver: _approver, ...justClerk } = BODY.operators;
    expect(receiptCanonical({ ...BODY, operators: { ...BODY.operators, approver: undefined } })).toBe(receiptCanonical({ ...BODY, operators: justClerk }));
    for (const b of bad) {
      await expect(renderReceipt(b as ReceiptBody)).rejects.toBeInstanceOf(ReceiptError);
      expectReceiptError(() => receiptCanonical(b as ReceiptBody), 'invalid-body');
    }
  });
});

describe('the record in the receipt', () => {
  it('is the canonical JSON the station HMACs: keys sorted at every depth, read back strictly', async () => {
    const canonical = receiptCanonical(BODY);
    const sortedEverywhere = (v: unknown): boolean =>
      Array.isArray(v) ? v.every(sortedEverywhere) : typeof v === 'object' && v !== null ? Object.keys(v).join() === Object.keys(v).sort().join() && Object.values(v).every(sortedEverywhere) : true;
    expect(sortedEverywhere(JSON.parse(canonical))).toBe(true);
    expect(canonical).not.toMatch(/\s"|:\s/);
    expect(JSON.parse(canonical)).toEqual(BODY);

    const pdf = await renderReceipt(BODY);
    const m = /\/DskeReceipt \(([A-Za-z0-9+/=]+)\)/.exec(latin1(pdf));
    expect(Buffer.from(m![1], 'base64').toString('utf8')).toBe(canonical);
    expect(parseReceipt(pdf)).toEqual(BODY);
    const r = await receiptMatchesFile(pdf);
    expect(r).toEqual({ ok: true, body: BODY });
  });

  it('round-trips random valid bodies (render, parse, match)', async () => {
    const name = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }).filter((s) => /^[^\x00-\x1f\x7f]{1,200}$/.test(s));
    const op = fc.stringMatching(/^[a-z][a-z0-9 ._'-]{0,20}$/);
    const body = fc
      .record({
        receipt: fc.stringMatching(/^rcp-[0-9a-f]{16}$/),
        hub: fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/),
        client: fc.stringMatching(/^c-[0-9]{6,10}$/),
        name,
        application: fc.option(fc.stringMatching(/^app-[0-9a-f]{16}$/), { nil: undefined }),
        package: fc.stringMatching(/^pkg-[0-9a-f]{32}$/),
        kind: fc.constantFrom(...(['usb', 'hsm', 'qr', 'file'] as const)),
        target: fc.string({ minLength: 1, maxLength: 80 }).filter((s) => /^[^\x00-\x1f\x7f]+$/.test(s)),
        serial: fc.option(fc.stringMatching(/^[A-Z0-9-]{1,20}$/), { nil: undefined }),
        ranges: fc.array(fc.record({ segment: fc.stringMatching(/^seg-[0-9a-f]{24}$/), offset: fc.nat(), length: fc.integer({ min: 1, max: 2 ** 30 }) }), { minLength: 1, maxLength: 40 }),
        extra: fc.nat({ max: 10_000 }),
        clerk: op,
        approver: fc.option(op, { nil: undefined }),
        time: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString()),
      })
      .map((x): ReceiptBody => {
        const bytes = x.ranges.reduce((s, r) => s + r.length, 0);
        return {
          format: 1,
          receipt: x.receipt,
          hub: x.hub,
          client: x.client,
          name: x.name,
          ...(x.application ? { application: x.application } : {}),
          package: x.package,
          medium: { kind: x.kind, target: x.target, ...(x.serial ? { serial: x.serial } : {}) },
          ranges: x.ranges,
          bytes,
          packageBytes: bytes + x.extra,
          operators: { clerk: x.clerk, ...(x.approver ? { approver: x.approver } : {}) },
          time: x.time,
        };
      });
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const pdf = await renderReceipt(b);
        expect(parseReceipt(pdf)).toEqual(b);
        expect((await receiptMatchesFile(pdf)).ok).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});

describe('an altered copy', () => {
  it(`with one byte of the visible page changed (the client ID) fails, with a plain reason`, async () => {
    const pdf = await renderReceipt(BODY);
    const raw = latin1(pdf);
    const operand = hexOperand(BODY.client); // the Client ID field: "c-000123"
    const at = raw.indexOf(`${operand} Tj`);
    expect(at).toBeGreaterThan(0);
    const copy = Uint8Array.from(pdf);
    // The last digit, "3" (hex 33), becomes "4" (hex 34): one byte of the content stream.
    const digit = at + operand.length - 2;
    expect(String.fromCharCode(copy[digit])).toBe('3');
    copy[digit] = '4'.charCodeAt(0);
    if (!noPopplerReason) {
      const flat = squeeze(pdfText(copy));
      expect(flat).toContain('Client ID c-000124'); // what a reader of the copy now sees
    }
    // The record is untouched, so the copy still parses, as the original body...
    expect(parseReceipt(copy)).toEqual(BODY);
    // ...but it is not what that body renders to.
    const r = await receiptMatchesFile(copy);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toMatch(/^This file is not receipt rcp-0123456789abcdef as the station printed it: .*from byte \d+ .*changed after it was made/);
      expect(r.reason).toContain(`byte ${digit} `);
    }
  });

  it('with the name as given edited in the visible text fails', async () => {
    const pdf = await renderReceipt(BODY);
    const raw = latin1(pdf);
    expect(raw).toContain(`${hexOperand(BODY.name)} Tj`);
    const edited = Buffer.from(raw.replace(`${hexOperand(BODY.name)} Tj`, `${hexOperand('Grace Miller-Hopper')} Tj`), 'latin1');
    expect(edited.length).toBe(pdf.length);
    expect(edited.equals(Buffer.from(pdf))).toBe(false);
    const r = await receiptMatchesFile(edited);
    expect(r.ok).toBe(false);
  });

  it('with the embedded record edited fails, though the record itself still reads', async () => {
    const pdf = await renderReceipt(BODY);
    const raw = latin1(pdf);
    const m = /\/DskeReceipt \(([A-Za-z0-9+/=]+)\)/.exec(raw)!;
    const json = Buffer.from(m[1], 'base64').toString('utf8');
    const forged = json.replace('"client":"c-000123"', '"client":"c-000999"');
    expect(forged).not.toBe(json);
    const b64 = Buffer.from(forged, 'utf8').toString('base64');
    expect(b64.length).toBe(m[1].length);
    const copy = Buffer.from(raw.replace(m[1], b64), 'latin1');
    expect(parseReceipt(copy).client).toBe('c-000999');
    const r = await receiptMatchesFile(copy);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain('rcp-0123456789abcdef');

    // A record that no longer holds a valid body: the reason says so.
    const broken = Buffer.from(raw.replace(m[1], Buffer.from(json.replace('"format":1', '"format":7'), 'utf8').toString('base64')), 'latin1');
    const rb = await receiptMatchesFile(broken);
    expect(rb).toEqual({ ok: false, reason: expect.stringMatching(/malformed: it is not format 1/) });
    // A record with its keys out of canonical order is refused, though it holds the same fields.
    const reordered = JSON.stringify({ time: BODY.time, ...JSON.parse(json) });
    const nonCanonical = Buffer.from(raw.replace(m[1], Buffer.from(reordered, 'utf8').toString('base64')), 'latin1');
    expectReceiptError(() => parseReceipt(nonCanonical), 'malformed');
  });

  it('with bytes added at its end (an incremental update) or cut off fails', async () => {
    const pdf = await renderReceipt(BODY);
    const appended = Buffer.concat([Buffer.from(pdf), Buffer.from('\n% an incremental update would go here\n', 'latin1')]);
    const r = await receiptMatchesFile(appended);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/bytes added at its end/);
    const cut = pdf.subarray(0, pdf.length - 10);
    const rc = await receiptMatchesFile(cut);
    expect(rc.ok).toBe(false);
  });

  it('that is not a receipt at all is refused as such', async () => {
    expectReceiptError(() => parseReceipt(new Uint8Array(0)), 'not-a-receipt');
    expectReceiptError(() => parseReceipt(new TextEncoder().encode('hello')), 'not-a-receipt');
    expectReceiptError(() => parseReceipt(new TextEncoder().encode('%PDF-1.7\n%%EOF\n')), 'not-a-receipt');
    const two = Buffer.concat([Buffer.from(await renderReceipt(BODY)), Buffer.from(`/DskeReceipt (${Buffer.from('{}').toString('base64')})`, 'latin1')]);
    expectReceiptError(() => parseReceipt(two), 'malformed');
    const r = await receiptMatchesFile(new TextEncoder().encode('%PDF-1.4 something else'));
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/^This file is not a DSKE hand receipt/) });
  });
});

describe('parseReceipt under fuzzing', () => {
  const onlyReceiptErrors = (bytes: Uint8Array): void => {
    try {
      const body = parseReceipt(bytes);
      // Whatever it returns is a valid body.
      expect(checkReceiptBody(body)).toEqual(body);
    } catch (e) {
      if (!(e instanceof ReceiptError)) throw e;
      expect(['not-a-receipt', 'malformed']).toContain(e.code);
    }
  };

  it('throws only ReceiptError on random bytes, with and without a PDF header and a record key', () => {
    const prefix = fc.constantFrom('', '%PDF-1.7\n', '%PDF-1.7\n/DskeReceipt (', '%PDF-');
    fc.assert(
      fc.property(prefix, fc.uint8Array({ maxLength: 2048 }), (p, tail) => {
        onlyReceiptErrors(Uint8Array.from([...Buffer.from(p, 'latin1'), ...tail]));
      }),
      { numRuns: 2000 },
    );
  });

  it('throws only ReceiptError on records of random JSON and random base64', () => {
    const record = fc.oneof(
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null', 'utf8').toString('base64')),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('base64')),
      fc.string({ maxLength: 100 }),
    );
    fc.assert(
      fc.property(record, (b64) => {
        onlyReceiptErrors(Buffer.from(`%PDF-1.7\n1 0 obj << /DskeReceipt (${b64}) >> endobj\n`, 'latin1'));
      }),
      { numRuns: 1000 },
    );
  });

  it('throws only ReceiptError on receipts with bytes flipped, cut, inserted, or their record mutated', async () => {
    const pdf = Buffer.from(await renderReceipt(BODY));
    const raw = pdf.toString('latin1');
    const m = /\/DskeReceipt \(([A-Za-z0-9+/=]+)\)/.exec(raw)!;
    const recordStart = m.index + '/DskeReceipt ('.length;
    const json = Buffer.from(m[1], 'base64').toString('utf8');

    // Anywhere in the file, and concentrated on the record.
    const position = fc.oneof(fc.nat({ max: pdf.length - 1 }), fc.integer({ min: recordStart - 20, max: recordStart + m[1].length + 2 }));
    const edit = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), at: position, byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: position }),
      fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
      fc.record({ kind: fc.constant('delete' as const), at: position, n: fc.integer({ min: 1, max: 16 }) }),
    );
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        let b = Buffer.from(pdf);
        for (const e of edits) {
          const at = Math.min(e.at, b.length);
          if (e.kind === 'set' && at < b.length) b[at] = e.byte;
          else if (e.kind === 'cut') b = b.subarray(0, at);
          else if (e.kind === 'insert') b = Buffer.concat([b.subarray(0, at), e.bytes, b.subarray(at)]);
          else if (e.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + e.n)]);
        }
        onlyReceiptErrors(b);
      }),
      { numRuns: 1500 },
    );

    // The record's JSON edited as text (a character replaced, removed or added), re-encoded properly.
    fc.assert(
      fc.property(fc.nat({ max: json.length - 1 }), fc.constantFrom('set', 'remove', 'add'), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }), (at, how, s) => {
        const edited = how === 'set' ? json.slice(0, at) + s + json.slice(at + 1) : how === 'remove' ? json.slice(0, at) + json.slice(at + 1) : json.slice(0, at) + s + json.slice(at);
        onlyReceiptErrors(Buffer.from(raw.replace(m[1], Buffer.from(edited, 'utf8').toString('base64')), 'latin1'));
      }),
      { numRuns: 1500 },
    );
  });

  it('refuses unknown fields at every depth, and every required field missing', () => {
    const base = JSON.parse(receiptCanonical(BODY)) as Record<string, unknown>;
    const containers: ((o: Record<string, unknown>) => Record<string, unknown>)[] = [
      (o) => o,
      (o) => o.medium as Record<string, unknown>,
      (o) => o.operators as Record<string, unknown>,
      (o) => (o.ranges as Record<string, unknown>[])[1],
    ];
    fc.assert(
      fc.property(fc.nat({ max: containers.length - 1 }), fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue(), (which, key, value) => {
        const o = structuredClone(base);
        const c = containers[which](o);
        if (Object.hasOwn(c, key)) return;
        Object.defineProperty(c, key, { value, enumerable: true, writable: true, configurable: true }); // an own field even for "__proto__"
        expectReceiptError(() => checkReceiptBody(o, 'malformed'), 'malformed');
      }),
      { numRuns: 500 },
    );
    const required: [number, string][] = [
      ...['format', 'receipt', 'hub', 'client', 'name', 'package', 'medium', 'ranges', 'bytes', 'packageBytes', 'operators', 'time'].map((k): [number, string] => [0, k]),
      [1, 'kind'],
      [1, 'target'],
      [2, 'clerk'],
      [3, 'segment'],
      [3, 'offset'],
      [3, 'length'],
    ];
    for (const [which, key] of required) {
      const o = structuredClone(base);
      delete containers[which](o)[key];
      expectReceiptError(() => checkReceiptBody(o, 'malformed'), 'malformed');
    }
    // A JSON "__proto__" key is an own field like any other, and unknown.
    expectReceiptError(() => checkReceiptBody(JSON.parse(receiptCanonical(BODY).replace('{', '{"__proto__":{"x":1},')), 'malformed'), 'malformed');
  });
});
