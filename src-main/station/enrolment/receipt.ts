// Hand receipts (issue S7, part 3): one per delivery of PSRD to a client, printed at the desk and signed
// by the clerk and the employee. This module renders a receipt body as an A4 PDF, reads the body back
// out of a receipt file, and checks a file against a fresh rendering of its own body.
//
// What the station records: the canonical JSON of the body (receiptCanonical: keys sorted at every
// depth, no whitespace), under an HMAC in the ledger. The PDF carries the same canonical JSON, base64,
// in its Info dictionary (/DskeReceipt), so a file can be read without the ledger; the ledger's HMAC
// is what says the body is the station's.
//
// Rendering is deterministic: the same body gives the same bytes, so that a receipt file is checked by
// rendering its body again and comparing byte for byte (receiptMatchesFile); any edit to the visible
// text, the embedded body or the file's structure fails. To that end:
//   - the document is made with updateMetadata: false (pdf-lib would stamp the current time and its own
//     name) and the Info dictionary is written here: fixed Producer and Creator, CreationDate and
//     ModDate taken from body.time, no trailer /ID;
//   - the page content is written as our own operators into our own, uncompressed content streams
//     (so the bytes depend on neither the deflate implementation nor pdf-lib's drawing helpers), with
//     fixed font resource names /F1../F4 (pdf-lib's drawText would add a new, pseudo-randomly named
//     font resource on every call);
//   - only the standard 14 fonts are used (nothing is embedded or subset; no font file is needed), so
//     text is WinAnsi: a character outside it is printed as <U+XXXX>, and the exact text is in the body;
//   - no object streams, so the Info dictionary is plain text in the file.
// RENDERER (in /DskeReceiptRenderer) names this layout. Changing the layout, or a pdf-lib upgrade that
// changes its output, means receipts made before no longer match a fresh rendering byte for byte; such
// a change must keep the old renderer for old receipts (the body and its HMAC are unaffected).
//
// No PSRD is ever in a receipt: identities, ranges and sizes only.
import { createHash } from 'node:crypto';
import {
  PDFContentStream,
  PDFDocument,
  PDFName,
  PDFString,
  StandardFonts,
  beginText,
  endText,
  lineTo,
  moveTo,
  popGraphicsState,
  pushGraphicsState,
  setFillingGrayscaleColor,
  setFontAndSize,
  setLineWidth,
  setStrokingGrayscaleColor,
  setTextMatrix,
  showText,
  stroke,
  type PDFFont,
  type PDFOperator,
  type PDFPage,
} from 'pdf-lib';
import { operatorName } from '../../../src-shared/api/operators';
import { CLIENT_ID, HUB_ID, MAX_RANGES, PACKAGE_ID, SEGMENT_ID } from '../../../src-shared/psrd/package-format';
import { formatBytes } from '../../../src-shared/psrd/size';

export interface ReceiptBody {
  readonly format: 1;
  /** 'rcp-' and 16 lowercase hex digits. */
  readonly receipt: string;
  readonly hub: string;
  /** c-000123 */
  readonly client: string;
  /** The name as given at the desk. */
  readonly name: string;
  /** The enrolment application (app-<16 hex>), where the delivery came from one. */
  readonly application?: string;
  /** pkg-<32 hex> */
  readonly package: string;
  readonly medium: { readonly kind: 'usb' | 'hsm' | 'qr' | 'file'; readonly target: string; readonly serial?: string; readonly model?: string };
  readonly ranges: readonly { segment: string; offset: number; length: number }[];
  /** PSRD bytes delivered: the sum of the ranges' lengths. */
  readonly bytes: number;
  /** The client package's size on the medium (header, PSRD and tags). */
  readonly packageBytes: number;
  readonly operators: { readonly clerk: string; readonly approver?: string; readonly identityCheckedBy?: string };
  /** ISO 8601, UTC: 2025-03-04T10:11:12Z or 2025-03-04T10:11:12.345Z. */
  readonly time: string;
}

export type ReceiptErrorCode =
  /** The bytes are not a PDF, or a PDF without a receipt body in it. */
  | 'not-a-receipt'
  /** A receipt body is there but cannot be read, or one of its fields is wrong. */
  | 'malformed'
  /** renderReceipt / receiptCanonical were given a body that is not a valid receipt body. */
  | 'invalid-body';

/** The only error this module throws: a code and one plain sentence. */
export class ReceiptError extends Error {
  constructor(
    readonly code: ReceiptErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ReceiptError';
  }
}

/** Names the layout of renderReceipt; see the note at the top. */
export const RECEIPT_RENDERER = 'dske-station receipt 1';
export const RECEIPT_ID = /^rcp-[0-9a-f]{16}$/;
export const APPLICATION_ID = /^app-[0-9a-f]{16}$/;
/** A receipt file larger than this is not one of ours (10,000 ranges render to about 4 MiB). */
export const MAX_RECEIPT_FILE_BYTES = 32 * 1024 * 1024;

const MEDIUM_KINDS = ['usb', 'hsm', 'qr', 'file'] as const;
/** The desk's rule for a name (src-shared/api/clients.ts): 1 to 200 characters, no C0 control or DEL. */
const PERSON_NAME = /^[^\x00-\x1f\x7f]{1,200}$/;
/** Medium identities as recorded: a path, a token label, a serial, a model; no control characters. */
const MEDIUM_TARGET = /^[^\x00-\x1f\x7f]{1,4096}$/;
const MEDIUM_DETAIL = /^[^\x00-\x1f\x7f]{1,256}$/;
const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{3})?Z$/;

// ---- validation and canonical form ----

function checkKeys(o: Record<string, unknown>, required: readonly string[], optional: readonly string[], what: string, fail: (why: string) => never): void {
  for (const k of required) if (!Object.hasOwn(o, k)) fail(`${what} has no ${k}`);
  for (const k of Object.keys(o)) if (!required.includes(k) && !optional.includes(k)) fail(`${what} has an unknown field ${JSON.stringify(k.slice(0, 40))}`);
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * Checks every field of a receipt body and returns a fresh copy holding exactly the known fields.
 * Unknown fields are refused at every depth; optional fields are either absent or valid (never null
 * or empty; undefined counts as absent only for a body in memory, code 'invalid-body'). Throws
 * ReceiptError with the given code.
 */
export function checkReceiptBody(x: unknown, code: 'malformed' | 'invalid-body' = 'invalid-body'): ReceiptBody {
  const fail = (why: string): never => {
    throw new ReceiptError(code, `The receipt is ${code === 'malformed' ? 'malformed' : 'not valid'}: ${why}.`);
  };
  if (!isPlainObject(x)) return fail('its body is not an object');
  checkKeys(x, ['format', 'receipt', 'hub', 'client', 'name', 'package', 'medium', 'ranges', 'bytes', 'packageBytes', 'operators', 'time'], ['application'], 'its body', fail);
  if (x.format !== 1) fail('it is not format 1');
  const str = (v: unknown, re: RegExp, what: string): string => (typeof v === 'string' && re.test(v) ? v : fail(`${what} is missing or has the wrong form`));
  const receipt = str(x.receipt, RECEIPT_ID, 'the receipt ID');
  const hub = str(x.hub, HUB_ID, 'the hub ID');
  const client = str(x.client, CLIENT_ID, 'the client ID');
  const name = str(x.name, PERSON_NAME, 'the name');
  // In memory (renderReceipt, receiptCanonical) an optional field set to undefined counts as absent,
  // as JSON.stringify would have it; a record read from a file has no undefined to begin with.
  const has = (o: Record<string, unknown>, k: string): boolean => Object.hasOwn(o, k) && (code === 'malformed' || o[k] !== undefined);
  const application = has(x, 'application') ? str(x.application, APPLICATION_ID, 'the application ID') : undefined;
  const pkg = str(x.package, PACKAGE_ID, 'the package ID');

  const m = x.medium;
  if (!isPlainObject(m)) return fail('the medium is not an object');
  checkKeys(m, ['kind', 'target'], ['serial', 'model'], 'the medium', fail);
  if (typeof m.kind !== 'string' || !(MEDIUM_KINDS as readonly string[]).includes(m.kind)) fail('the medium kind is not one of usb, hsm, qr, file');
  const target = str(m.target, MEDIUM_TARGET, 'the medium target');
  const serial = has(m, 'serial') ? str(m.serial, MEDIUM_DETAIL, 'the medium serial') : undefined;
  const model = has(m, 'model') ? str(m.model, MEDIUM_DETAIL, 'the medium model') : undefined;

  if (!Array.isArray(x.ranges) || x.ranges.length === 0 || x.ranges.length > MAX_RANGES) return fail(`the ranges are not a list of 1 to ${MAX_RANGES}`);
  let sum = 0;
  const ranges: { segment: string; offset: number; length: number }[] = [];
  for (const r of x.ranges as unknown[]) {
    if (!isPlainObject(r)) return fail('a range is not an object');
    checkKeys(r, ['segment', 'offset', 'length'], [], 'a range', fail);
    const segment = str(r.segment, SEGMENT_ID, 'a range’s segment');
    if (typeof r.offset !== 'number' || !Number.isSafeInteger(r.offset) || r.offset < 0) return fail('a range’s offset is not a whole number of bytes');
    if (typeof r.length !== 'number' || !Number.isSafeInteger(r.length) || r.length < 1) return fail('a range’s length is not a positive whole number of bytes');
    if (!Number.isSafeInteger(r.offset + r.length)) return fail('a range ends beyond any segment');
    sum += r.length;
    if (!Number.isSafeInteger(sum)) return fail('the ranges add up to more bytes than can be counted');
    ranges.push({ segment, offset: r.offset, length: r.length });
  }
  if (x.bytes !== sum) fail('its size in bytes is not the sum of its ranges');
  if (typeof x.packageBytes !== 'number' || !Number.isSafeInteger(x.packageBytes) || x.packageBytes < sum) fail('the package size is not a whole number of bytes at least the PSRD it holds');

  const o = x.operators;
  if (!isPlainObject(o)) return fail('the operators are not an object');
  checkKeys(o, ['clerk'], ['approver', 'identityCheckedBy'], 'the operators', fail);
  const op = (v: unknown, what: string): string => (operatorName(v).ok ? (v as string) : fail(`${what} is not an operator name`));
  const clerk = op(o.clerk, 'the clerk');
  const approver = has(o, 'approver') ? op(o.approver, 'the approver') : undefined;
  const identityCheckedBy = has(o, 'identityCheckedBy') ? op(o.identityCheckedBy, 'who checked identity') : undefined;

  const time = typeof x.time === 'string' ? x.time : fail('the time is missing');
  const t = ISO_UTC.exec(time);
  const d = new Date(time);
  if (!t || Number.isNaN(d.getTime()) || d.toISOString() !== (t[7] ? time : time.replace(/Z$/, '.000Z'))) fail('the time is not an ISO 8601 UTC time');

  return {
    format: 1,
    receipt,
    hub,
    client,
    name,
    ...(application !== undefined ? { application } : {}),
    package: pkg,
    medium: { kind: m.kind as ReceiptBody['medium']['kind'], target, ...(serial !== undefined ? { serial } : {}), ...(model !== undefined ? { model } : {}) },
    ranges,
    bytes: sum,
    packageBytes: x.packageBytes as number,
    operators: { clerk, ...(approver !== undefined ? { approver } : {}), ...(identityCheckedBy !== undefined ? { identityCheckedBy } : {}) },
    time,
  };
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isPlainObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * The canonical JSON of a receipt body, which the station HMACs: keys sorted at every depth, no
 * whitespace, absent optional fields left out. Throws ReceiptError('invalid-body') for an invalid body.
 */
export function receiptCanonical(body: ReceiptBody): string {
  return canonicalJson(checkReceiptBody(body, 'invalid-body'));
}

// ---- rendering ----

const A4 = { width: 595.28, height: 841.89 };
const MARGIN = 56; // about 20 mm
const CONTENT_WIDTH = A4.width - 2 * MARGIN;
const TOP = A4.height - MARGIN;
/** Nothing is drawn below this but the footer. */
const BOTTOM = MARGIN + 24;
const LABEL_WIDTH = 128;
const VALUE_X = MARGIN + LABEL_WIDTH;
const VALUE_WIDTH = CONTENT_WIDTH - LABEL_WIDTH;
const ROW_SIZE = 8.5;
const ROW_HEIGHT = 11;
/** A section heading: space above, the title, a rule. */
const HEADING_HEIGHT = 27;
const SIGNATURE_GAP = 44;

type FontKey = 'F1' | 'F2' | 'F3' | 'F4';
interface Fonts {
  readonly F1: PDFFont; // Helvetica
  readonly F2: PDFFont; // Helvetica-Bold
  readonly F3: PDFFont; // Courier
  readonly F4: PDFFont; // Courier-Bold
}

const MEDIUM_LABEL: Readonly<Record<ReceiptBody['medium']['kind'], string>> = {
  usb: 'USB drive',
  hsm: 'HSM token (PKCS#11)',
  qr: 'Printed QR sheet',
  file: 'File',
};

const STATEMENT =
  'The employee named above confirms receiving the medium described above, sealed, from the desk clerk named above, at the time shown; the desk clerk confirms handing it over. This receipt names identities, ranges and sizes only: it holds no key material.';

const round = (n: number): number => Math.round(n * 100) / 100;

/** The time as printed: "2025-03-04 10:11:12 UTC". */
function shownTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** The time as a PDF date string (ISO 32000-1, 7.9.4), in UTC. */
function pdfDate(iso: string): string {
  return `D:${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

function sizeInWords(bytes: number): string {
  return `${formatBytes(bytes)} (${bytes} ${bytes === 1 ? 'byte' : 'bytes'})`;
}

/** One page's drawing, collected as operators and written into its own content stream at the end. */
interface PageOps {
  readonly page: PDFPage;
  readonly ops: PDFOperator[];
}

class Layout {
  readonly pages: PageOps[] = [];
  private current: PageOps | undefined;
  y = 0;
  /** Drawn at the top of every page after the first (the ranges table sets it to repeat its head). */
  continuation: (() => void) | undefined;
  private readonly charsets = new Map<FontKey, Set<number>>();

  constructor(
    private readonly doc: PDFDocument,
    readonly fonts: Fonts,
    private readonly receipt: string,
  ) {}

  /** The text with every character the font cannot encode (WinAnsi) shown as <U+XXXX>. */
  printable(text: string, font: FontKey): string {
    let set = this.charsets.get(font);
    if (!set) {
      set = new Set(this.fonts[font].getCharacterSet());
      this.charsets.set(font, set);
    }
    let out = '';
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      out += set.has(cp) && cp >= 0x20 ? ch : `<U+${cp.toString(16).toUpperCase().padStart(4, '0')}>`;
    }
    return out;
  }

  /** Whether the font can print every character of the text. */
  canPrint(text: string, font: FontKey): boolean {
    return this.printable(text, font) === text;
  }

  /** The width as drawn: the glyphs' widths summed (Tj applies no kerning, so none is counted). */
  width(text: string, font: FontKey, size: number): number {
    let units = 0;
    for (const ch of this.printable(text, font)) units += this.charWidth(ch, font);
    return (units * size) / 1000;
  }

  private readonly widths = new Map<string, number>();
  private charWidth(ch: string, font: FontKey): number {
    const key = font + ch;
    let w = this.widths.get(key);
    if (w === undefined) {
      w = this.fonts[font].widthOfTextAtSize(ch, 1000);
      this.widths.set(key, w);
    }
    return w;
  }

  newPage(): void {
    const page = this.doc.addPage([A4.width, A4.height]);
    for (const k of ['F1', 'F2', 'F3', 'F4'] as const) page.node.setFontDictionary(PDFName.of(k), this.fonts[k].ref);
    this.current = { page, ops: [] };
    this.pages.push(this.current);
    this.y = TOP;
    if (this.pages.length > 1) {
      this.text(MARGIN, this.y - 11, `DSKE hand receipt ${this.receipt} (continued)`, 'F2', 11);
      this.y -= 26;
      this.continuation?.();
    }
  }

  /** Starts a new page unless `height` points still fit on this one. */
  ensure(height: number): void {
    if (!this.current || this.y - height < BOTTOM) this.newPage();
  }

  /** Draws one line of text with its baseline at y. */
  text(x: number, y: number, text: string, font: FontKey, size: number, onPage?: PageOps): void {
    const target = onPage ?? this.current!;
    target.ops.push(
      beginText(),
      setFillingGrayscaleColor(0),
      setFontAndSize(font, size),
      setTextMatrix(1, 0, 0, 1, round(x), round(y)),
      showText(this.fonts[font].encodeText(this.printable(text, font))),
      endText(),
    );
  }

  line(x1: number, y1: number, x2: number, y2: number, widthPt = 0.6, gray = 0, onPage?: PageOps): void {
    (onPage ?? this.current!).ops.push(pushGraphicsState(), setStrokingGrayscaleColor(gray), setLineWidth(widthPt), moveTo(round(x1), round(y1)), lineTo(round(x2), round(y2)), stroke(), popGraphicsState());
  }

  /** The text as printed, cut with "..." where it is wider than `width`. */
  fit(text: string, font: FontKey, size: number, width: number): string {
    const shown = this.printable(text, font);
    if (this.width(shown, font, size) <= width) return shown;
    const chars = Array.from(shown);
    while (chars.length > 1 && this.width(`${chars.join('')}...`, font, size) > width) chars.pop();
    return `${chars.join('')}...`;
  }

  /** Splits text into lines no wider than `width`, breaking words that are wider on their own. */
  wrap(text: string, font: FontKey, size: number, width: number): string[] {
    const lines: string[] = [];
    let line = '';
    const fits = (s: string): boolean => this.width(s, font, size) <= width;
    for (const word of text.split(' ')) {
      const next = line ? `${line} ${word}` : word;
      if (fits(next)) {
        line = next;
        continue;
      }
      if (line) lines.push(line);
      line = '';
      if (fits(word)) {
        line = word;
        continue;
      }
      // A word wider than the line on its own: cut it where it reaches the edge (at least a character a line).
      let piece = '';
      let pieceWidth = 0;
      for (const ch of this.printable(word, font)) {
        const w = (this.charWidth(ch, font) * size) / 1000;
        if (piece && pieceWidth + w > width) {
          lines.push(piece);
          piece = '';
          pieceWidth = 0;
        }
        piece += ch;
        pieceWidth += w;
      }
      line = piece;
    }
    if (line || lines.length === 0) lines.push(line);
    return lines;
  }

  heading(title: string): void {
    this.ensure(HEADING_HEIGHT + 14);
    this.y -= 10;
    this.text(MARGIN, this.y - 11, title, 'F2', 11);
    this.y -= 13;
    this.line(MARGIN, this.y, MARGIN + CONTENT_WIDTH, this.y, 0.4, 0.6);
    this.y -= 4;
  }

  /** A label and its value, the value wrapped into the value column. */
  field(label: string, value: string, font: FontKey = 'F1', size = 10): void {
    const lines = this.wrap(value, font, size, VALUE_WIDTH);
    const lineHeight = size + 3;
    this.ensure(Math.min(lines.length, 2) * lineHeight + 2);
    this.text(MARGIN, this.y - size, label, 'F2', 9);
    for (const l of lines) {
      this.ensure(lineHeight);
      this.text(VALUE_X, this.y - size, l, font, size);
      this.y -= lineHeight;
    }
    this.y -= 2;
  }

  /** Wrapped text across the full width. */
  paragraph(text: string, font: FontKey, size: number): void {
    for (const l of this.wrap(text, font, size, CONTENT_WIDTH)) {
      this.ensure(size + 3);
      this.text(MARGIN, this.y - size, l, font, size);
      this.y -= size + 3;
    }
  }

  /** Writes each page's content stream (uncompressed) and the footers, "page i of n". */
  finish(body: ReceiptBody): void {
    const n = this.pages.length;
    this.pages.forEach((p, i) => {
      const footer = `Receipt ${body.receipt}  |  hub ${body.hub}  |  client ${body.client}  |  package ${body.package}  |  page ${i + 1} of ${n}`;
      this.line(MARGIN, MARGIN + 12, MARGIN + CONTENT_WIDTH, MARGIN + 12, 0.4, 0.6, p);
      this.text(MARGIN, MARGIN, footer, 'F1', 7, p);
      const stream = PDFContentStream.of(this.doc.context.obj({}), p.ops, false);
      p.page.node.set(PDFName.of('Contents'), this.doc.context.register(stream));
    });
  }
}

function rangeRow(index: string, segment: string, offset: string, length: string, words: string): string {
  return `${index.padStart(5)}  ${segment.padEnd(28)}  ${offset.padStart(16)}  ${length.padStart(16)}  ${words.padStart(10)}`;
}

/**
 * Renders a receipt body as an A4 PDF. Deterministic: the same body gives the same bytes (see the note
 * at the top). Throws ReceiptError('invalid-body') for an invalid body.
 */
export async function renderReceipt(input: ReceiptBody): Promise<Uint8Array> {
  const body = checkReceiptBody(input, 'invalid-body');
  const canonical = canonicalJson(body);

  const doc = await PDFDocument.create({ updateMetadata: false });
  const fonts: Fonts = {
    F1: await doc.embedFont(StandardFonts.Helvetica),
    F2: await doc.embedFont(StandardFonts.HelveticaBold),
    F3: await doc.embedFont(StandardFonts.Courier),
    F4: await doc.embedFont(StandardFonts.CourierBold),
  };
  const L = new Layout(doc, fonts, body.receipt);

  // Title.
  L.newPage();
  L.text(MARGIN, L.y - 18, 'DSKE hand receipt', 'F2', 18);
  L.y -= 26;
  L.text(MARGIN, L.y - 9, `Receipt ${body.receipt} for one delivery of pre-shared random data (PSRD) to a client, on one medium.`, 'F1', 9);
  L.y -= 14;

  L.heading('Delivery');
  L.field('Receipt', body.receipt, 'F3');
  L.field('Time', `${shownTime(body.time)} (times on this receipt are in UTC; ISO 8601: ${body.time})`);
  L.field('Hub', body.hub, 'F3');

  L.heading('Client');
  L.field('Client ID', body.client, 'F3');
  L.field('Name as given', body.name);
  if (!L.canPrint(body.name, 'F1')) L.field('', 'Characters this receipt cannot print are shown as <U+code point>; the name is recorded exactly.', 'F1', 8);
  if (body.application) L.field('Application', body.application, 'F3');

  L.heading('Package');
  L.field('Package ID', body.package, 'F3');
  L.field('PSRD delivered', `${sizeInWords(body.bytes)} in ${body.ranges.length} ${body.ranges.length === 1 ? 'range' : 'ranges'}`);
  L.field('Package size', `${sizeInWords(body.packageBytes)} on the medium (sealed PSRD and its header)`);

  L.heading('Medium');
  L.field('Kind', `${MEDIUM_LABEL[body.medium.kind]} (${body.medium.kind})`);
  L.field('Target', body.medium.target, 'F3', 9);
  L.field('Serial', body.medium.serial ?? 'not recorded', body.medium.serial ? 'F3' : 'F1', body.medium.serial ? 9 : 10);
  if (body.medium.model) L.field('Model', body.medium.model);

  L.heading('Operators');
  L.field('Desk clerk', body.operators.clerk);
  L.field('Approved by', body.operators.approver ?? 'no second operator recorded');
  L.field('Identity checked by', body.operators.identityCheckedBy ?? 'not recorded on this receipt');

  // Ranges: one row each, the head repeated on every page the table runs onto.
  L.heading(`Ranges of the pool (${body.ranges.length})`);
  const head = (): void => {
    L.text(MARGIN, L.y - ROW_SIZE, rangeRow('#', 'Segment', 'Offset', 'Length', 'Size'), 'F4', ROW_SIZE);
    L.y -= ROW_HEIGHT + 2;
  };
  L.ensure(2 * ROW_HEIGHT + 2);
  head();
  L.continuation = head;
  body.ranges.forEach((r, i) => {
    L.ensure(ROW_HEIGHT);
    L.text(MARGIN, L.y - ROW_SIZE, rangeRow(String(i + 1), r.segment, String(r.offset), String(r.length), formatBytes(r.length)), 'F3', ROW_SIZE);
    L.y -= ROW_HEIGHT;
  });
  L.continuation = undefined;
  L.ensure(18);
  L.y -= 4;
  L.text(MARGIN, L.y - 10, `Total: ${sizeInWords(body.bytes)} in ${body.ranges.length} ${body.ranges.length === 1 ? 'range' : 'ranges'}`, 'F2', 10);
  L.y -= 16;

  // Record fingerprint: lets a paper copy be matched with the station's record.
  const fingerprint = createHash('sha256').update(canonical, 'utf8').digest('hex').slice(0, 32).replace(/(.{8})(?!$)/g, '$1 ');
  L.ensure(16);
  L.text(MARGIN, L.y - 8, `Record fingerprint (SHA-256 of the recorded receipt, first 128 bits): ${fingerprint}`, 'F1', 8);
  L.y -= 14;

  // The statement and the two signatures, kept together on one page.
  const statement = L.wrap(STATEMENT, 'F1', 10, CONTENT_WIDTH);
  L.ensure(HEADING_HEIGHT + 4 + statement.length * 13 + SIGNATURE_GAP + 44);
  L.heading('Signatures');
  L.y -= 4;
  L.paragraph(STATEMENT, 'F1', 10);
  L.y -= SIGNATURE_GAP;
  const colWidth = (CONTENT_WIDTH - 40) / 2;
  const sig = (x: number, label: string, who: string): void => {
    L.line(x, L.y, x + colWidth, L.y, 0.8);
    L.text(x, L.y - 12, label, 'F2', 10);
    L.text(x, L.y - 24, L.fit(who, 'F1', 9, colWidth), 'F1', 9);
    L.text(x, L.y - 38, 'Signature', 'F1', 7.5);
  };
  sig(MARGIN, 'Desk clerk', body.operators.clerk);
  sig(MARGIN + colWidth + 40, 'Employee', body.name);
  L.y -= 44;

  L.finish(body);

  // The Info dictionary, written here in full (no pdf-lib defaults, no current time).
  const date = PDFString.of(pdfDate(body.time));
  const info = doc.context.obj({
    Title: PDFString.of(`DSKE hand receipt ${body.receipt}`),
    Subject: PDFString.of(`Client ${body.client}, package ${body.package}, hub ${body.hub}`),
    Creator: PDFString.of('dske-station'),
    Producer: PDFString.of(RECEIPT_RENDERER),
    CreationDate: date,
    ModDate: date,
    DskeReceiptRenderer: PDFString.of(RECEIPT_RENDERER),
    DskeReceipt: PDFString.of(Buffer.from(canonical, 'utf8').toString('base64')),
  });
  doc.context.trailerInfo.Info = doc.context.register(info);

  return doc.save({ useObjectStreams: false, addDefaultPage: false, updateFieldAppearances: false });
}

// ---- reading ----

const PDF_MAGIC = Buffer.from('%PDF-', 'latin1');
const BODY_KEY = Buffer.from('/DskeReceipt (', 'latin1');
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Reads the receipt body embedded in a receipt file (the /DskeReceipt entry of its Info dictionary)
 * and checks it strictly: every field, no unknown field, and the JSON in exactly its canonical form.
 * Says nothing about whether the page matches the body (receiptMatchesFile) or whether the station
 * made it (the ledger's HMAC). Throws only ReceiptError.
 */
export function parseReceipt(pdf: Uint8Array): ReceiptBody {
  const notOurs = (why: string): never => {
    throw new ReceiptError('not-a-receipt', `This file is not a DSKE hand receipt: ${why}.`);
  };
  const malformed = (why: string): never => {
    throw new ReceiptError('malformed', `The receipt in this file is malformed: ${why}.`);
  };
  if (!(pdf instanceof Uint8Array)) return notOurs('it is not a file’s bytes');
  if (pdf.length > MAX_RECEIPT_FILE_BYTES) return notOurs(`it is larger than ${formatBytes(MAX_RECEIPT_FILE_BYTES)}`);
  const bytes = Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength);
  if (bytes.length < PDF_MAGIC.length || !bytes.subarray(0, PDF_MAGIC.length).equals(PDF_MAGIC)) return notOurs('it is not a PDF');
  const at = bytes.indexOf(BODY_KEY);
  if (at < 0) return notOurs('it is a PDF without a receipt record in it');
  if (bytes.indexOf(BODY_KEY, at + 1) >= 0) return malformed('it holds more than one receipt record');
  const start = at + BODY_KEY.length;
  const end = bytes.indexOf(0x29 /* ) */, start);
  if (end < 0) return malformed('its record is cut off');
  const b64 = bytes.toString('latin1', start, end);
  if (b64.length % 4 !== 0 || !BASE64.test(b64)) return malformed('its record is not base64');
  let json: string;
  try {
    json = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(b64, 'base64'));
  } catch {
    return malformed('its record is not UTF-8 text');
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return malformed('its record is not JSON');
  }
  const body = checkReceiptBody(value, 'malformed');
  if (canonicalJson(body) !== json) return malformed('its record is not in canonical form');
  return body;
}

/**
 * Whether a receipt file is exactly what renderReceipt makes of the body it carries: parses it,
 * renders the body again and compares byte for byte. Any edit (the visible text, the embedded record,
 * the file's structure) fails with a plain reason. It does not show the station made the receipt;
 * that is the ledger's HMAC over receiptCanonical(body).
 */
export async function receiptMatchesFile(pdf: Uint8Array): Promise<{ ok: true; body: ReceiptBody } | { ok: false; reason: string }> {
  let body: ReceiptBody;
  try {
    body = parseReceipt(pdf);
  } catch (e) {
    if (e instanceof ReceiptError) return { ok: false, reason: e.message };
    throw e;
  }
  const fresh = await renderReceipt(body);
  const n = Math.min(fresh.length, pdf.length);
  let i = 0;
  while (i < n && fresh[i] === pdf[i]) i++;
  if (i === n && fresh.length === pdf.length) return { ok: true, body };
  const where =
    i < n ? `from byte ${i} of ${pdf.length}` : pdf.length > fresh.length ? `by ${pdf.length - fresh.length} bytes added at its end` : `by being ${fresh.length - pdf.length} bytes shorter`;
  return {
    ok: false,
    reason: `This file is not receipt ${body.receipt} as the station printed it: it differs from a fresh rendering of its own record ${where}. It was changed after it was made (its text, its record or its structure), or was not made by the station.`,
  };
}
