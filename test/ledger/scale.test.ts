// The ledger at scale (issue S5 item 7), on a real station: folds restored from the snapshot equal the
// folds rebuilt from the first entry; the snapshot is ignored (and the folds rebuilt) when it does not
// match; a change before it still stops the start; the index answers queries by client, operator,
// type, segment and time span exactly as a full scan would.
import { rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStation, type Station } from '../../src-main/station/station';
import { SNAPSHOT_FILE } from '../../src-node/ledger/snapshot';
import { LEDGER_FILE } from '../../src-node/ledger/ledger';
import { OP, SMALL_POLICY, tempDir } from '../support/station';

let dir: string;
const CLIENTS = ['c-1', 'c-2', 'c-3'];
beforeAll(async () => {
  dir = join(tempDir('dske-scale-'), 'station');
  const s = openStation({ dataDir: dir, host: 'test', mode: 'create', policy: SMALL_POLICY });
  await s.handlers.pool.generate({ bytes: 3 * SMALL_POLICY.segmentBytes, sources: ['os'] }, OP);
  const base = Date.parse('2030-01-01T00:00:00Z');
  for (let i = 0; i < 600; i++) {
    s.ledger.append('test.delivery', { client: CLIENTS[i % 3], bytes: i, actor: { host: 'test', operator: i % 2 ? 'Otto Operator' : 'Dee Desk' } }, () => new Date(base + i * 60_000));
  }
  await s.close();
});
afterAll(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

const open = (): Station => openStation({ dataDir: dir, host: 'test', mode: 'read' });
async function q(station: Station, args: Record<string, unknown>): Promise<number[]> {
  const r = await station.handlers.audit.query(args as never, OP);
  return r.entries.map((e) => e.seq);
}

describe('the ledger at scale', () => {
  it('keeps entries in time order when the clock is set back', async () => {
    const s = openStation({ dataDir: dir, host: 'test' });
    try {
      const before = s.ledger.page(s.ledger.length - 1, 1)[0].time;
      const e = s.ledger.append('test.clock', {}, () => new Date('2001-01-01T00:00:00Z'));
      expect(e.time).toBe(before);
    } finally {
      await s.close();
    }
  });

  it('restores the same state from its snapshot as from the first entry', async () => {
    const withSnapshot = open();
    const fromSnapshot = { pool: withSnapshot.pool.status(), ops: withSnapshot.accounts.list(), seqs: await q(withSnapshot, { client: 'c-2', limit: 1000 }) };
    await withSnapshot.close();
    const saved = readFileSync(join(dir, SNAPSHOT_FILE));
    rmSync(join(dir, SNAPSHOT_FILE));
    const rebuilt = open();
    expect({ pool: rebuilt.pool.status(), ops: rebuilt.accounts.list(), seqs: await q(rebuilt, { client: 'c-2', limit: 1000 }) }).toEqual(fromSnapshot);
    await rebuilt.close();
    writeFileSync(join(dir, SNAPSHOT_FILE), saved);
  });

  it('answers queries from the index as a full scan would', async () => {
    const s = open();
    try {
      const all = s.ledger.entries();
      const expected = (pred: (e: (typeof all)[number]) => boolean): number[] => all.filter(pred).map((e) => e.seq);
      expect(await q(s, { client: 'c-3', limit: 1000 })).toEqual(expected((e) => e.data.client === 'c-3'));
      expect(await q(s, { operator: 'dee desk', client: 'c-1', limit: 1000 })).toEqual(expected((e) => e.data.client === 'c-1' && (e.data.actor as { operator?: string })?.operator === 'Dee Desk'));
      expect(await q(s, { type: 'pool.segment-added' })).toEqual(expected((e) => e.type === 'pool.segment-added'));
      const seg = all.find((e) => e.type === 'pool.segment-added')!.data.segment as string;
      expect(await q(s, { segment: seg })).toEqual(expected((e) => e.data.segment === seg));
      const span = { since: '2030-01-01T02:00:00Z', until: '2030-01-01T03:00:00Z' };
      expect(await q(s, { ...span, limit: 1000 })).toEqual(expected((e) => e.time >= span.since && e.time < span.until));
      expect(await q(s, { ...span, client: 'c-1', limit: 1000 })).toEqual(expected((e) => e.time >= span.since && e.time < span.until && e.data.client === 'c-1'));
      const first = await s.handlers.audit.query({ client: 'c-1', limit: 10 }, OP);
      expect(first.more).toBe(true);
      const next = await q(s, { client: 'c-1', limit: 10, afterSeq: first.entries.at(-1)!.seq });
      expect(next).toEqual(expected((e) => e.data.client === 'c-1').slice(10, 20));
      expect((await s.handlers.audit.ledger({ afterSeq: 99, limit: 5 }, OP)).map((e) => e.seq)).toEqual([100, 101, 102, 103, 104]);
      expect((await s.handlers.audit.ledger({ limit: 3 }, OP)).map((e) => e.seq)).toEqual(all.slice(-3).map((e) => e.seq));
    } finally {
      await s.close();
    }
  });

  it('ignores a snapshot that does not match, and still refuses a change before it', async () => {
    const snapshot = readFileSync(join(dir, SNAPSHOT_FILE));
    const copy = Buffer.from(snapshot);
    copy[70] ^= 1; // inside the MACed body
    writeFileSync(join(dir, SNAPSHOT_FILE), copy);
    const s = open(); // rebuilt from the first entry
    expect(s.pool.status().segmentCount).toBe(3);
    await s.close();
    writeFileSync(join(dir, SNAPSHOT_FILE), snapshot);

    const ledger = readFileSync(join(dir, LEDGER_FILE), 'utf8');
    writeFileSync(join(dir, LEDGER_FILE), ledger.replace('"bytes":7,', '"bytes":8,'));
    expect(() => open()).toThrow(/entry \d+ was altered/);
    writeFileSync(join(dir, LEDGER_FILE), ledger);
  });
});
