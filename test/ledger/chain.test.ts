// The in-place chain check (src-node/ledger/chain.ts) agrees with the entry hash of entry.ts on every
// line the station writes — also when an entry's data holds the very text the check looks for — and
// names what is wrong with a line that does not verify.
import { openSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLine, walkChain, START } from '../../src-node/ledger/chain';
import { walkOnWorker } from '../../src-node/ledger/verify-worker';
import { fileSource } from '../../src-node/ledger/files';
import { entryHash, GENESIS, serialize, type LedgerEntry } from '../../src-node/ledger/entry';
import { tempDir } from '../support/station';

function chain(datas: Record<string, unknown>[]): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  let prev = GENESIS;
  datas.forEach((data, seq) => {
    const time = new Date(Date.UTC(2026, 10, 29, 0, 0, seq)).toISOString();
    const hash = entryHash(prev, seq, time, 'test.step', data);
    out.push({ seq, time, type: 'test.step', data, prev, hash });
    prev = hash;
  });
  return out;
}

const tricky = [{ i: 0 }, { note: ',"hash":"' + 'a'.repeat(64) + '","prev":"' }, { nested: { hash: 'x', prev: 'y', seq: 9 } }, { text: 'ünïcödé ✓', n: -1.5e-7 }, {}];

describe('the in-place chain check', () => {
  it('verifies every line the station writes, tricky data included', () => {
    const es = chain(tricky);
    let prev = GENESIS;
    for (const e of es) {
      expect(checkLine(Buffer.from(serialize(e).trimEnd()), e.seq, prev)).toEqual({ ok: true, hash: e.hash });
      prev = e.hash;
    }
  });

  it('names an altered, reordered or foreign line', () => {
    const es = chain(tricky);
    const line = (e: LedgerEntry): Buffer => Buffer.from(serialize(e).trimEnd());
    expect(checkLine(Buffer.from(line(es[1]).toString().replace('hash', 'hasi')), 1, es[0].hash)).toMatchObject({ ok: false, problem: 'entry 1 was altered' });
    expect(checkLine(line(es[2]), 1, es[0].hash)).toMatchObject({ ok: false, problem: expect.stringContaining('sequence number 2') });
    expect(checkLine(line(es[1]), 1, GENESIS)).toMatchObject({ ok: false, problem: 'entry 1 does not follow the entry before it' });
    expect(checkLine(Buffer.from('{"not":"an entry"}'), 0, GENESIS)).toMatchObject({ ok: false, problem: 'entry 0 is not well formed' });
  });

  it('walks the same file on a worker thread, with progress, and points at the first line it cannot accept', async () => {
    const es = chain(Array.from({ length: 120_000 }, (_, i) => ({ i })));
    const path = join(tempDir('dske-chain-worker-'), 'l.jsonl');
    const text = es.map(serialize).join('');
    writeFileSync(path, text + '{"seq":120000,"ti');
    const seen: number[] = [];
    const w = await walkOnWorker([{ path, size: Buffer.byteLength(text) + 15 }], (n) => seen.push(n));
    expect(w).toMatchObject({ count: 120_000, last: es.at(-1)!.hash, prevOfLast: es.at(-2)!.hash, tornBytes: 15 });
    expect(w.bad).toBeUndefined();
    expect(seen).toEqual([50_000, 100_000]);
    writeFileSync(path, text.replace('"i":777}', '"i":778}'));
    expect((await walkOnWorker([{ path, size: Buffer.byteLength(text) }])).bad).toMatchObject({ seq: 777 });
  });

  it('walks a file in pieces and stops at the first bad line, reporting a torn tail', () => {
    const es = chain(Array.from({ length: 300 }, (_, i) => ({ i, pad: 'x'.repeat(i * 37) })));
    const path = join(tempDir('dske-chain-'), 'l.jsonl');
    writeFileSync(path, es.map(serialize).join('') + '{"seq":300,"ti');
    const fd = openSync(path, 'r');
    try {
      const seen: number[] = [];
      const w = walkChain(fileSource(fd), 0, 1 << 30, START, (e) => seen.push(e.seq));
      expect(w).toMatchObject({ ok: true, count: 300, last: es[299].hash, prevOfLast: es[298].hash, tornBytes: 14 });
      expect(seen).toEqual(es.map((e) => e.seq));
    } finally {
      closeSync(fd);
    }
  });
});
