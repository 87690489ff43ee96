// Someone with write access to the data directory (issue S5): every way of cutting, emptying,
// rewriting or forging the ledger, or taking the master key away, makes `ledger verify` exit 1 naming
// what is wrong, and makes the station refuse to start — with every segment file still there.
import { cpSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/cli/run';
import { openStation } from '../../src-main/station/station';
import { entryHash, serialize, type LedgerEntry } from '../../src-node/ledger/entry';
import { LEDGER_FILE } from '../../src-node/ledger/ledger';
import { enrolPeople, OP, passphraseFiles, PEOPLE, SMALL_POLICY, tempDir } from '../support/station';

let template: string;
let files: Record<string, string>;
beforeAll(async () => {
  template = join(tempDir('dske-tamper-'), 'station');
  files = passphraseFiles(tempDir('dske-tamper-pass-'));
  const station = openStation({ dataDir: template, host: 'test', mode: 'create', policy: SMALL_POLICY });
  await enrolPeople(station);
  await station.handlers.pool.generate({ bytes: 3 * SMALL_POLICY.segmentBytes, sources: ['os'] }, OP);
  await station.close();
});
afterAll(() => rmSync(join(template, '..'), { recursive: true, force: true }));

const read = (dir: string): LedgerEntry[] => readFileSync(join(dir, LEDGER_FILE), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as LedgerEntry);
const write = (dir: string, entries: readonly (LedgerEntry | string)[]): void =>
  writeFileSync(join(dir, LEDGER_FILE), entries.map((e) => (typeof e === 'string' ? e + '\n' : serialize(e))).join(''));

/** Recomputes every hash from entry `from` on, as an attacker who knows the chain's rule would. */
function rechain(entries: LedgerEntry[], from: number): LedgerEntry[] {
  const out = entries.slice(0, from);
  for (let i = from; i < entries.length; i++) {
    const e = entries[i];
    const prev = i === 0 ? '0'.repeat(64) : out[i - 1].hash;
    out.push({ ...e, seq: i, prev, hash: entryHash(prev, i, e.time, e.type, e.data) });
  }
  return out;
}

const attacks: Record<string, (dir: string) => void> = {
  'a bit flipped in a value': (dir) => {
    const es = read(dir);
    const i = es.findIndex((e) => e.type === 'pool.segment-added');
    write(dir, es.map((e, k) => (k === i ? { ...e, data: { ...e.data, bytes: (e.data.bytes as number) ^ 1 } } : e)));
  },
  'a bit flipped in a hash': (dir) => {
    const es = read(dir);
    const i = Math.floor(es.length / 2);
    write(dir, es.map((e, k) => (k === i ? { ...e, hash: (e.hash[0] === '0' ? '1' : '0') + e.hash.slice(1) } : e)));
  },
  'a middle entry dropped': (dir) => write(dir, read(dir).filter((_, k, all) => k !== Math.floor(all.length / 2))),
  'two entries swapped': (dir) => {
    const es = read(dir);
    const i = Math.floor(es.length / 2);
    [es[i], es[i + 1]] = [es[i + 1], es[i]];
    write(dir, es);
  },
  'the last entry dropped': (dir) => write(dir, read(dir).slice(0, -1)),
  'the last three dropped': (dir) => write(dir, read(dir).slice(0, -3)),
  'the file cut mid-line four entries from the end': (dir) => {
    const text = readFileSync(join(dir, LEDGER_FILE), 'utf8');
    const lines = text.trimEnd().split('\n');
    const keep = lines.slice(0, -4).join('\n').length + 1 + Math.floor(lines.at(-4)!.length / 2);
    truncateSync(join(dir, LEDGER_FILE), keep);
  },
  'the ledger emptied': (dir) => writeFileSync(join(dir, LEDGER_FILE), ''),
  'the ledger deleted': (dir) => rmSync(join(dir, LEDGER_FILE)),
  'the chain rewritten from an earlier entry with recomputed hashes': (dir) => {
    const es = read(dir);
    const i = es.findIndex((e) => e.type === 'pool.segment-added');
    es[i] = { ...es[i], data: { ...es[i].data, bytes: 1 } };
    write(dir, rechain(es, i));
  },
  'a forged pool.segment-destroyed appended with a correct hash': (dir) => {
    const es = read(dir);
    const seg = es.find((e) => e.type === 'pool.segment-added')!.data.segment;
    const last = es.at(-1)!;
    const forged = { seq: last.seq + 1, time: new Date().toISOString(), type: 'pool.segment-destroyed', data: { segment: seg, bytes: SMALL_POLICY.segmentBytes, reason: 'expired', method: 'crypto-erase' } };
    write(dir, [...es, { ...forged, prev: last.hash, hash: entryHash(last.hash, forged.seq, forged.time, forged.type, forged.data) }]);
  },
  'the master key deleted': (dir) => rmSync(join(dir, 'keys', 'master.key')),
  'the audit key deleted': (dir) => rmSync(join(dir, 'keys', 'audit.key')),
  'the audit key replaced': (dir) => writeFileSync(join(dir, 'keys', 'audit.key'), randomBytes(32), { mode: 0o600 }),
  'the authenticated head deleted': (dir) => rmSync(join(dir, 'ledger.head')),
  'the master key replaced': (dir) => writeFileSync(join(dir, 'keys', 'master.key'), randomBytes(32), { mode: 0o600 }),
};

describe('tampering with the data directory', () => {
  it.each(Object.entries(attacks))('%s: verify fails naming it, the station refuses to start, nothing is erased', async (_name, attack) => {
    const dir = join(tempDir('dske-tamper-run-'), 'station');
    cpSync(template, dir, { recursive: true });
    const segments = readdirSync(join(dir, 'pool')).sort();
    expect(segments.length).toBe(6);
    attack(dir);

    let out = '';
    const code = await runCli(['--data-dir', dir, '--json', '--operator', PEOPLE.auditor.name, '--passphrase-file', files[PEOPLE.auditor.name], 'ledger', 'verify'], { io: { out: (l) => (out += l), err: (l) => (out += l) } });
    expect(code).toBe(1);
    const r = JSON.parse(out) as { ok: boolean; error?: { code: string; message: string }; value?: { ok: boolean; problem: string } };
    const said = r.error ? `${r.error.code}: ${r.error.message}` : `verification: ${r.value!.problem}`;
    expect(said).toMatch(/ledger-corrupt|master-key|verification/);
    expect(said.length).toBeGreaterThan(40);

    expect(() => openStation({ dataDir: dir, host: 'test', mode: 'open' })).toThrow(/ledger|master key/i);
    expect(readdirSync(join(dir, 'pool')).sort()).toEqual(segments);
    rmSync(join(dir, '..'), { recursive: true, force: true });
  });

  it('names what is wrong in plain words', async () => {
    const cases: [string, RegExp][] = [
      ['the last three dropped', /3 entries are missing at the end/],
      ['the ledger emptied', /the ledger is empty, but the station recorded \d+ entries/],
      ['the ledger deleted', /ledger file is missing/],
      ['a forged pool.segment-destroyed appended with a correct hash', /added outside the station/],
      ['the chain rewritten from an earlier entry with recomputed hashes', /rewritten/],
      ['the master key replaced', /not the one this station's pool was written under/],
      ['the master key deleted', /master key .* is missing/],
      ['the audit key deleted', /audit key .* is missing/],
      ['the audit key replaced', /authenticated head .* damaged or was not written with this station's audit key/],
      ['the authenticated head deleted', /authenticated head \(ledger.head\) is missing/],
      ['a middle entry dropped', /sequence number|does not follow/],
    ];
    for (const [name, pattern] of cases) {
      const dir = join(tempDir('dske-tamper-words-'), 'station');
      cpSync(template, dir, { recursive: true });
      attacks[name](dir);
      expect(() => openStation({ dataDir: dir, host: 'test', mode: 'open' }), name).toThrow(pattern);
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  });

  it('refuses a segment file the ledger does not know, and keeps it', async () => {
    const dir = join(tempDir('dske-tamper-seg-'), 'station');
    cpSync(template, dir, { recursive: true });
    const [seg] = readdirSync(join(dir, 'pool')).filter((f) => f.endsWith('.seg'));
    const stranger = seg.replace(/^seg-[0-9a-f]{4}/, 'seg-ffff');
    cpSync(join(dir, 'pool', seg), join(dir, 'pool', stranger));
    expect(() => openStation({ dataDir: dir, host: 'test', mode: 'open' })).toThrow(/does not record/);
    expect(readdirSync(join(dir, 'pool'))).toContain(stranger);
  });

  it('refuses an operators.json that was deleted or edited (a verifier swapped for a known passphrase)', () => {
    const dir = join(tempDir('dske-tamper-ops-'), 'station');
    cpSync(template, dir, { recursive: true });
    const path = join(dir, 'operators.json');
    const original = readFileSync(path, 'utf8');
    const file = JSON.parse(original) as { credentials: Record<string, { verifier: unknown }> };
    const keys = Object.keys(file.credentials);
    file.credentials[keys[0]].verifier = file.credentials[keys[1]].verifier;
    writeFileSync(path, JSON.stringify(file));
    expect(() => openStation({ dataDir: dir, host: 'test', mode: 'open' })).toThrow(/changed outside the station/);
    rmSync(path);
    expect(() => openStation({ dataDir: dir, host: 'test', mode: 'read' })).toThrow(/operators.json\) is missing/);
    writeFileSync(path, original);
    return openStation({ dataDir: dir, host: 'test', mode: 'open' }).close();
  });

  it('refuses a pool and keys without a ledger and head, destroying nothing', () => {
    const dir = join(tempDir('dske-tamper-noledger-'), 'station');
    cpSync(template, dir, { recursive: true });
    rmSync(join(dir, LEDGER_FILE));
    rmSync(join(dir, 'ledger.head'));
    expect(() => openStation({ dataDir: dir, host: 'test', mode: 'create' })).toThrow(/no ledger/);
    expect(readdirSync(join(dir, 'pool')).length).toBe(6);
  });
});
