// The ledger verifies end to end; any flipped, dropped, reordered or truncated entry is detected
// (docs/references.md, invariants), and a torn final line from a crash is cut off and recorded.
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ledger, LEDGER_FILE, verifyText } from '../../src-node/ledger/ledger';
import { FileAuditKey } from '../../src-node/ledger/audit-key';
import { LedgerHead } from '../../src-node/ledger/head';
import { StationFailure } from '../../src-shared/api/result';
import { tempDir } from '../support/station';

let dir: string;
let path: string;
let key: FileAuditKey;
const open = (): Ledger => Ledger.open(dir, () => new Date(), { auditKey: key });
beforeEach(() => {
  dir = tempDir('dske-ledger-');
  path = join(dir, LEDGER_FILE);
  key = FileAuditKey.create(join(dir, 'keys', 'audit.key'));
  const l = Ledger.open(dir, () => new Date(), { auditKey: key, create: true });
  for (let i = 0; i < 5; i++) l.append('test.step', { i, note: `step ${i}` });
  l.close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lines = (): string[] => readFileSync(path, 'utf8').trimEnd().split('\n');
const write = (ls: string[]): void => writeFileSync(path, ls.join('\n') + '\n');

describe('the ledger', () => {
  it('verifies a chain it wrote', () => {
    const v = verifyText(readFileSync(path, 'utf8'));
    expect(v).toMatchObject({ ok: true, entries: 5 });
  });

  it('detects a flipped character in any entry', () => {
    const ls = lines();
    ls[2] = ls[2].replace('step 2', 'step 7');
    write(ls);
    expect(verifyText(readFileSync(path, 'utf8'))).toMatchObject({ ok: false, entries: 2, problem: 'entry 2 was altered' });
    expect(() => open()).toThrow(StationFailure);
  });

  it('detects a dropped entry', () => {
    const ls = lines();
    ls.splice(1, 1);
    write(ls);
    expect(verifyText(readFileSync(path, 'utf8'))).toMatchObject({ ok: false, entries: 1 });
  });

  it('detects reordered entries', () => {
    const ls = lines();
    [ls[3], ls[4]] = [ls[4], ls[3]];
    write(ls);
    expect(verifyText(readFileSync(path, 'utf8'))).toMatchObject({ ok: false, entries: 3 });
  });

  it('detects truncation against the authenticated head', async () => {
    const l = open();
    write(lines().slice(0, 3));
    expect(await l.verify()).toMatchObject({ ok: false, problem: expect.stringContaining('missing at the end') });
    l.close();
  });

  it('detects a rewritten entry whose hash was recomputed, by the next entry', () => {
    const ls = lines();
    const e = JSON.parse(ls[1]);
    e.data.note = 'forged';
    ls[1] = JSON.stringify(e);
    write(ls);
    expect(verifyText(readFileSync(path, 'utf8')).ok).toBe(false);
  });

  it('cuts off a torn final line left by a crash during its own append, and records that it did', async () => {
    // What a crash leaves mid-append: the head says the entry is pending, and part of its line is written.
    const before = open();
    const last = before.entries().at(-1)!;
    before.close();
    const head = LedgerHead.open(dir, key);
    head.write({ count: 6, hash: 'f'.repeat(64), prev: last.hash, state: 'pending' });
    head.close();
    appendFileSync(path, '{"seq":5,"time":"2026');
    const l = open();
    expect(l.entries().length).toBe(6);
    expect(l.entries()[5]).toMatchObject({ type: 'ledger.torn-tail-removed', data: { bytes: 21 } });
    expect((await l.verify()).ok).toBe(true);
    l.close();
  });

  it('refuses a torn final line that no pending append explains', () => {
    appendFileSync(path, '{"seq":5,"time":"2026');
    expect(() => open()).toThrow(/partial entry/);
  });

  it('refuses a ledger cut short at a line boundary, which the chain alone cannot tell', () => {
    write(lines().slice(0, 3));
    expect(verifyText(readFileSync(path, 'utf8')).ok).toBe(true);
    expect(() => open()).toThrow(/2 entries are missing at the end/);
  });

  it('refuses raw bytes in entry data (PSRD never enters the ledger)', () => {
    const l = open();
    expect(() => l.append('test.bad', { psrd: new Uint8Array(4) })).toThrow(TypeError);
    expect(l.entries().length).toBe(5);
    l.close();
  });

  it('hashes what it stores, so values that serialize differently still verify after reopening', async () => {
    const l = open();
    l.append('test.shapes', { list: [1, undefined, 3], at: new Date('2026-01-01T00:00:00Z') as unknown as string });
    l.close();
    const again = open();
    expect((await again.verify()).ok).toBe(true);
    expect(again.entries().at(-1)!.data).toEqual({ list: [1, null, 3], at: '2026-01-01T00:00:00.000Z' });
    again.close();
  });

  it('tells listeners about each append after it is durable', () => {
    const l = open();
    const seen: number[] = [];
    l.onAppend((e) => seen.push(e.seq));
    l.append('test.step', {});
    expect(seen).toEqual([5]);
    expect(lines()).toHaveLength(6);
    l.close();
  });
});
