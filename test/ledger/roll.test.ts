// Rolled ledger files (issue S5): the active file is sealed at the roll size and a new one begun; the
// files read as one chain — across a restart, a snapshot, verification on the worker and a
// checkpoint — and a sealed file removed, cut or swapped stops the start.
import { readdirSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStation, type Station } from '../../src-main/station/station';
import { tempDir } from '../support/station';

let dir: string;
const sealed = (): string[] => readdirSync(dir).filter((f) => /^ledger-\d{6}\.jsonl$/.test(f)).sort();
const open = (mode: 'open' | 'read' = 'open'): Station => openStation({ dataDir: dir, host: 'test', mode });

beforeEach(async () => {
  dir = join(tempDir('dske-roll-'), 'station');
  const s = openStation({ dataDir: dir, host: 'test', mode: 'create' });
  await s.close();
  writeFileSync(join(dir, 'station.json'), JSON.stringify({ ledger: { rollBytes: 16 * 1024 } }));
  const t = open();
  for (let i = 0; i < 400; i++) t.ledger.append('test.step', { i, note: 'x'.repeat(100) });
  await t.close();
});
afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

describe('rolled ledger files', () => {
  it('seals the active file at the roll size and reads all of them as one chain', async () => {
    expect(sealed().length).toBeGreaterThanOrEqual(3);
    for (const f of sealed()) expect(statSync(join(dir, f)).size).toBeGreaterThanOrEqual(16 * 1024);
    const s = open('read');
    try {
      expect(s.ledger.length).toBe(401);
      expect(await s.ledger.verify()).toMatchObject({ ok: true, entries: 401 });
      expect(s.ledger.page(150, 3).map((e) => e.seq)).toEqual([150, 151, 152]);
      const cp = s.ledger.checkpoint();
      expect(s.ledger.verifyAgainst(cp)).toMatchObject({ ok: true, treeSize: 401 });
    } finally {
      await s.close();
    }
    rmSync(join(dir, 'ledger.snapshot')); // and without the snapshot: every file walked at open
    const again = open();
    expect(again.ledger.length).toBe(401);
    await again.close();
  });

  it('stops the start when a sealed file is removed, cut or swapped', () => {
    const [first, second] = sealed();
    const a = readFileSync(join(dir, first));
    const b = readFileSync(join(dir, second));
    rmSync(join(dir, second));
    expect(() => open()).toThrow(/ledger-000002.jsonl is missing/);
    writeFileSync(join(dir, second), b);
    truncateSync(join(dir, first), a.length - 10);
    expect(() => open()).toThrow(/ledger failed verification/);
    writeFileSync(join(dir, first), b);
    writeFileSync(join(dir, second), a);
    expect(() => open()).toThrow(/ledger failed verification/);
    writeFileSync(join(dir, first), a);
    writeFileSync(join(dir, second), b);
    renameSync(join(dir, 'ledger.jsonl'), join(dir, 'ledger.jsonl.moved'));
    expect(() => open()).toThrow(/missing at the end|ledger is empty/);
  });
});
