// The auditor's calls (src-shared/api/audit.ts: rows, series, exportEntries, saveCheckpoint) on a small
// ledger whose every figure is known: a real pool generated on day 1, deliveries on days 2 and 3, a range
// destroyed on day 3. Each answer is compared with the ledger read whole and filtered by hand; the exports
// are read back (the CSV parsed, the PDF through poppler's pdftotext); every refusal has its code and
// leaves nothing behind.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerFilter } from '../../src-shared/api/audit';
import { entryInWords } from '../../src-shared/ledger/entry-words';
import type { LedgerEntry } from '../../src-node/ledger/entry';
import { SNAPSHOT_FILE } from '../../src-node/ledger/snapshot';
import { exportEntries } from '../../src-main/station/audit/export';
import { keysOf } from '../../src-main/station/audit/ledger-index';
import { SeriesFold } from '../../src-main/station/audit/series';
import { enrolPeople, OP, openTestStation, PEOPLE, signedIn, SMALL_POLICY, tempDir, type TestStation } from '../support/station';
import { parseCsv } from '../support/csv';

const DAY = 86_400_000;
const start = Date.parse('2026-03-01T09:00:00Z');
const clock = { now: start };
let t: TestStation;
let out: string;
let seg: string[];
const seqs = (es: readonly { seq: number }[]): number[] => es.map((e) => e.seq);

function deliver(client: string, length: number, operator = 'Otto Operator'): void {
  clock.now += 60_000;
  t.station.ledger.append(
    'delivery.range-delivered',
    { client, package: `pkg-${clock.now}`, segment: seg[0], offset: 0, length, medium: 'usb', verified: 'read back', actor: { host: 'test', operator } },
    () => new Date(clock.now),
  );
}

beforeAll(async () => {
  t = openTestStation({ now: () => new Date(clock.now) });
  out = tempDir('dske-audit-out-');
  await enrolPeople(t.station);
  // Day 1: two segments of 256 KiB.
  const g = await t.station.handlers.pool.generate({ bytes: 2 * SMALL_POLICY.segmentBytes, sources: ['os'] }, OP);
  expect(g.bytes).toBe(2 * SMALL_POLICY.segmentBytes);
  seg = t.station.pool.state.unallocated().map((s) => s.id);
  // Day 2: three deliveries; day 3: one more, and 64 KiB of segment 0 destroyed.
  clock.now = start + DAY;
  deliver('c-000001', 4096);
  deliver('c-000002', 8192, 'Dee Desk');
  deliver('c-000001', 1000);
  clock.now = start + 2 * DAY;
  deliver('c-000003', 100_000);
  const destroyed = t.station.ledger.append('pool.range-destroyed', { segment: seg[0], offset: 0, length: 65536, reason: 'a test of the pool level', method: 'crypto-erase' }, () => new Date(clock.now));
  t.station.ledger.append('pool.destruction-done', { entries: [destroyed.seq] }, () => new Date(clock.now));
});

afterAll(async () => {
  await t.cleanup();
  rmSync(out, { recursive: true, force: true });
});

const EXPECTED_DAYS = [
  { day: '2026-03-01', poolBytes: 512 * 1024, deliveries: 0, bytesDelivered: 0 },
  { day: '2026-03-02', poolBytes: 512 * 1024, deliveries: 3, bytesDelivered: 4096 + 8192 + 1000 },
  { day: '2026-03-03', poolBytes: 512 * 1024 - 65536, deliveries: 1, bytesDelivered: 100_000 },
];

describe('audit.series', () => {
  it('gives the pool level at each day’s end, the deliveries per day and the bytes per client', async () => {
    const s = await t.station.handlers.audit.series({ top: 2 }, OP);
    expect(s.days).toEqual(EXPECTED_DAYS);
    expect(s.clients).toEqual([
      { client: 'c-000003', bytes: 100_000, deliveries: 1 },
      { client: 'c-000002', bytes: 8192, deliveries: 1 },
    ]);
    expect(s.others).toEqual({ clients: 1, bytes: 5096, deliveries: 2 });
    expect(s.entries).toBe(t.station.ledger.length);
    // The dashboard's figure and the last day's agree.
    expect(s.days.at(-1)!.poolBytes).toBe(t.station.pool.state.unallocated().reduce((a, x) => a + x.bytes - x.erased.reduce((b, r) => b + r.length, 0), 0));
  });

  it('is the same after a restart, from the snapshot and when rebuilt from the first entry', async () => {
    const before = await t.station.handlers.audit.series({}, OP);
    let s = await t.reopen();
    expect(await s.handlers.audit.series({}, OP)).toEqual(before);
    await t.station.close();
    rmSync(join(t.dataDir, SNAPSHOT_FILE));
    s = await t.reopen();
    expect(await s.handlers.audit.series({}, OP)).toEqual(before);
    seg = s.pool.state.unallocated().map((x) => x.id);
  });

  it('counts PSRD allocations once delivered, not initial keys, nor voided ones; a segment lost takes what was left', () => {
    const f = new SeriesFold();
    let seq = 0;
    const e = (type: string, data: Record<string, unknown>, time = '2026-05-01T10:00:00Z'): LedgerEntry => ({ seq: seq++, time, type, data, prev: '', hash: '' });
    const range = [{ segment: 'seg-a', offset: 0, length: 10 }];
    f.apply(e('pool.segment-added', { segment: 'seg-a', bytes: 1000 }));
    f.apply(e('pool.segment-added', { segment: 'seg-b', bytes: 500 }));
    f.apply(e('allocation.reserved', { allocation: 'alc-1', client: 'c-1', purpose: 'psrd', bytes: 300, ranges: range }));
    f.apply(e('allocation.reserved', { allocation: 'alc-2', client: 'c-2', purpose: 'initial-keys', bytes: 64, ranges: range }));
    f.apply(e('allocation.reserved', { allocation: 'alc-3', client: 'c-3', purpose: 'psrd', bytes: 200, ranges: range }));
    f.apply(e('pool.range-destroyed', { segment: 'seg-a', offset: 0, length: 300 }));
    f.apply(e('allocation.delivered', { allocation: 'alc-1', report: 1 }, '2026-05-02T10:00:00Z'));
    f.apply(e('allocation.delivered', { allocation: 'alc-2', report: 2 }, '2026-05-02T11:00:00Z'));
    f.apply(e('allocation.voided', { allocation: 'alc-3', report: 3, code: 'x', reason: 'y' }, '2026-05-02T12:00:00Z'));
    f.apply(e('pool.segment-lost', { segment: 'seg-a', bytes: 700, reason: 'gone' }, '2026-05-03T10:00:00Z'));
    f.apply(e('allocation.delivered', { allocation: 'alc-1', report: 1 }, '2026-05-03T11:00:00Z')); // settled already: nothing more
    const s = f.series(10);
    expect(s.days).toEqual([
      { day: '2026-05-01', poolBytes: 1200, deliveries: 0, bytesDelivered: 0 },
      { day: '2026-05-02', poolBytes: 1200, deliveries: 1, bytesDelivered: 300 },
      { day: '2026-05-03', poolBytes: 500, deliveries: 0, bytesDelivered: 0 },
    ]);
    expect(s.clients).toEqual([{ client: 'c-1', bytes: 300, deliveries: 1 }]);
    // Saved and loaded, the same; a state of another form is refused and changes nothing.
    const g = new SeriesFold();
    g.load(JSON.parse(JSON.stringify(f.save())));
    expect(g.series(10)).toEqual(s);
    expect(() => g.load({ version: 2 })).toThrow();
    expect(g.series(10)).toEqual(s);
  });
});

/** The entries a filter should give, by reading the whole ledger. */
function byHand(f: LedgerFilter): LedgerEntry[] {
  const want = [f.client && `client:${f.client}`, f.operator && `operator:${f.operator.toLowerCase()}`, f.type && `type:${f.type}`, f.segment && `segment:${f.segment}`].filter(Boolean) as string[];
  // An allocation's later entries name only the allocation: they belong to the client it was reserved for.
  const clientOf = new Map<string, string>();
  for (const e of t.station.ledger.entries()) if (e.type === 'allocation.reserved') clientOf.set(String(e.data.allocation), String(e.data.client));
  return t.station.ledger.entries().filter((e) => {
    const has = keysOf(e) as string[];
    const viaAllocation = typeof e.data.allocation === 'string' ? clientOf.get(e.data.allocation) : undefined;
    if (viaAllocation) has.push(`client:${viaAllocation}`);
    return want.every((k) => has.includes(k)) && (!f.since || e.time >= f.since) && (!f.until || e.time < f.until);
  });
}

describe('audit.rows', () => {
  const day2 = new Date(start + DAY).toISOString().slice(0, 10);
  const day3 = new Date(start + 2 * DAY).toISOString().slice(0, 10);
  const filters: LedgerFilter[] = [
    {},
    { client: 'c-000001' },
    { type: 'delivery.range-delivered' },
    { operator: 'OTTO operator' },
    { client: 'c-000001', operator: 'Otto Operator' },
    { type: 'delivery.range-delivered', operator: 'Dee Desk' },
    { type: 'delivery.range-delivered', since: `${day2}T09:01:30Z`, until: `${day3}` },
    { since: day3 },
    { until: '2026-03-01' },
    { client: 'c-999999' },
    { type: 'job.started', since: '2026-03-02', until: '2026-03-01' },
  ];

  for (const f of filters) {
    it(`gives exactly the matches of ${JSON.stringify(f)}, page by page`, async () => {
      const want = seqs(byHand(f));
      const all = await t.station.handlers.audit.rows({ ...f, from: 0, limit: 1000 }, OP);
      expect(all.total).toBe(want.length);
      expect(seqs(all.entries)).toEqual(want);
      expect(all.ledgerLength).toBe(t.station.ledger.length);
      const paged: number[] = [];
      for (let from = 0; from < want.length; from += 3) paged.push(...seqs((await t.station.handlers.audit.rows({ ...f, from, limit: 3 }, OP)).entries));
      expect(paged).toEqual(want);
      expect((await t.station.handlers.audit.rows({ ...f, from: want.length, limit: 10 }, OP)).entries).toEqual([]);
    });
  }

  it('answers the last page of the whole ledger without reading what comes before', async () => {
    const n = t.station.ledger.length;
    const last = await t.station.handlers.audit.rows({ from: n - 2, limit: 10 }, OP);
    expect(seqs(last.entries)).toEqual([n - 2, n - 1]);
    expect(last.entries[1].hash).toBe(t.station.ledger.head());
  });
});

describe('audit.exportEntries and audit.saveCheckpoint', () => {
  it('writes the filtered entries as CSV, each in plain words with its facts', async () => {
    const f = { client: 'c-000001' };
    const to = join(out, 'client-1.csv');
    const r = await t.station.handlers.audit.exportEntries({ ...f, format: 'csv', to }, OP);
    const want = byHand(f);
    expect(r).toEqual({ path: to, rows: want.length, format: 'csv' });
    const [header, ...rows] = parseCsv(readFileSync(to, 'utf8'));
    expect(header).toEqual(['seq', 'time', 'type', 'what', 'operator', 'approver', 'client', 'facts', 'hash']);
    expect(rows.map((x) => Number(x[0]))).toEqual(seqs(want));
    rows.forEach((x, i) => {
      expect(x[1]).toBe(want[i].time);
      expect(x[3]).toBe(entryInWords(want[i]));
      expect(x[3]).toContain('delivered to client c-000001');
      expect(x[6]).toBe('c-000001');
      expect(JSON.parse(x[7])).toEqual(want[i].data);
      expect(x[8]).toBe(want[i].hash);
    });
  });

  it('writes the filtered entries as a PDF that pdftotext reads', async () => {
    const f = { type: 'delivery.range-delivered', since: '2026-03-02' };
    const to = join(out, 'deliveries.pdf');
    const r = await t.station.handlers.audit.exportEntries({ ...f, format: 'pdf', to }, OP);
    const want = byHand(f);
    expect(want.length).toBe(4);
    expect(r.rows).toBe(4);
    const text = spawnSync('pdftotext', ['-layout', to, '-'], { encoding: 'utf8' });
    expect(text.status).toBe(0);
    const flat = text.stdout.replace(/\s+/g, ' ');
    expect(flat).toContain('Station ledger export: type delivery.range-delivered, from 2026-03-02');
    for (const e of want) {
      expect(flat).toContain(`#${e.seq}`);
      expect(flat).toContain(e.time);
    }
    for (const c of ['c-000001', 'c-000002', 'c-000003']) expect(flat).toContain(`delivered to client ${c}`);
    expect(flat).toContain('Page 1 of 1');
    // Another filter's entries are not in it.
    expect(flat).not.toContain('job.started');
  });

  it('refuses a PDF of more entries than it holds, writing nothing', async () => {
    const to = join(out, 'too-long.pdf');
    await expect(exportEntries(t.station.core, { format: 'pdf', to }, 3)).rejects.toMatchObject({ code: 'export-too-large' });
    expect(existsSync(to)).toBe(false);
  });

  it('refuses bad paths and filters with a typed error and writes nothing', async () => {
    const auditor = await signedIn(t.station, PEOPLE.auditor.name);
    const call = (args: Record<string, unknown>): ReturnType<typeof t.station.dispatch> => t.station.dispatch('audit.exportEntries', args, auditor);
    const taken = join(out, 'taken.csv');
    writeFileSync(taken, 'mine\n');
    const inData = join(t.dataDir, 'export.csv');
    const cases: [Record<string, unknown>, string, string | undefined][] = [
      [{ format: 'csv', to: 'relative.csv' }, 'bad-request', join(process.cwd(), 'relative.csv')],
      [{ format: 'csv', to: inData }, 'bad-request', inData],
      [{ format: 'pdf', to: join(t.dataDir, 'pool', 'x.pdf') }, 'bad-request', join(t.dataDir, 'pool', 'x.pdf')],
      [{ format: 'csv', to: taken }, 'bad-request', undefined],
      [{ format: 'csv', to: join(out, 'no-such-folder', 'x.csv') }, 'io', join(out, 'no-such-folder', 'x.csv')],
      [{ format: 'xls', to: join(out, 'x.xls') }, 'bad-request', join(out, 'x.xls')],
      [{ format: 'csv', type: 'Pool.Segment-Added', to: join(out, 'bad-type.csv') }, 'bad-request', join(out, 'bad-type.csv')],
      [{ format: 'csv', since: 'yesterday', to: join(out, 'bad-since.csv') }, 'bad-request', join(out, 'bad-since.csv')],
      [{ format: 'csv', segment: 'seg-1', to: join(out, 'bad-segment.csv') }, 'bad-request', join(out, 'bad-segment.csv')],
    ];
    for (const [args, code, path] of cases) {
      const r = await call(args);
      expect(r, JSON.stringify(args)).toMatchObject({ ok: false, error: { code } });
      if (!r.ok) expect(r.error.message.length).toBeGreaterThan(10);
      if (path) expect(existsSync(path), path).toBe(false);
    }
    expect(readFileSync(taken, 'utf8')).toBe('mine\n');
    expect(await t.station.dispatch('audit.rows', { from: -1 }, auditor)).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await t.station.dispatch('audit.rows', { from: 0, client: 'c 1' }, auditor)).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await t.station.dispatch('audit.series', { top: 0 }, auditor)).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    // The desk may not read the ledger, nor export it.
    const desk = await signedIn(t.station, PEOPLE.desk.name);
    expect(await t.station.dispatch('audit.exportEntries', { format: 'csv', to: join(out, 'desk.csv') }, desk)).toMatchObject({ ok: false, error: { code: 'not-permitted' } });
    expect(existsSync(join(out, 'desk.csv'))).toBe(false);
  });

  it('saves a checkpoint the ledger then verifies against, and never over a file', async () => {
    const auditor = await signedIn(t.station, PEOPLE.auditor.name);
    const to = join(out, 'checkpoint.json');
    const r = await t.station.dispatch('audit.saveCheckpoint', { to }, auditor);
    expect(r.ok).toBe(true);
    const saved = JSON.parse(readFileSync(to, 'utf8'));
    expect(saved.treeSize).toBe(t.station.ledger.length);
    expect(await t.station.dispatch('audit.verifyAgainst', { checkpoint: saved }, auditor)).toMatchObject({ ok: true, value: { ok: true } });
    const again = await t.station.dispatch('audit.saveCheckpoint', { to }, auditor);
    expect(again).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(JSON.parse(readFileSync(to, 'utf8'))).toEqual(saved);
    expect(await t.station.dispatch('audit.saveCheckpoint', { to: join(t.dataDir, 'cp.json') }, auditor)).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(existsSync(join(t.dataDir, 'cp.json'))).toBe(false);
  });
});
