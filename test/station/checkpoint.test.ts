// Checkpoints (issue S5): an auditor keeps `ledger checkpoint --out FILE`; later `ledger verify
// --against FILE` passes while the ledger only grew, and fails after a rewrite below the checkpoint —
// even one made by someone who also holds the audit key and re-signed the head, which the head check
// alone cannot catch.
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src-main/cli/run';
import { openStation } from '../../src-main/station/station';
import { FileAuditKey } from '../../src-node/ledger/audit-key';
import { entryHash, serialize, type LedgerEntry } from '../../src-node/ledger/entry';
import { LedgerHead } from '../../src-node/ledger/head';
import { LEDGER_FILE } from '../../src-node/ledger/ledger';
import { enrolPeople, passphraseFiles, PEOPLE, SMALL_POLICY, tempDir } from '../support/station';

let root: string;
let dir: string;
let files: Record<string, string>;
beforeAll(async () => {
  root = tempDir('dske-checkpoint-');
  dir = join(root, 'station');
  files = passphraseFiles(root);
  const station = openStation({ dataDir: dir, host: 'test', mode: 'create', policy: SMALL_POLICY });
  await enrolPeople(station);
  await station.close();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function cli(data: string, ...argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runCli(['--data-dir', data, '--operator', PEOPLE.operator.name, '--passphrase-file', files[PEOPLE.operator.name], ...argv], { io: { out: (l) => (out += l + '\n'), err: (l) => (out += l + '\n') } });
  return { code, out };
}

describe('ledger checkpoints', () => {
  it('verifies a grown ledger against an older checkpoint and refuses one rewritten below it', async () => {
    const cp = join(root, 'checkpoint.json');
    expect((await cli(dir, 'ledger', 'checkpoint', '--out', cp)).code).toBe(0);
    const saved = JSON.parse(readFileSync(cp, 'utf8'));
    expect(saved).toMatchObject({ format: 'dske-ledger-checkpoint', version: 1, treeSize: expect.any(Number), rootHash: expect.stringMatching(/^[0-9a-f]{64}$/) });

    expect((await cli(dir, 'pool', 'generate', '--bytes', '512KiB', '--source', 'os')).code).toBe(0);
    const grown = await cli(dir, 'ledger', 'verify', '--against', cp);
    expect(grown.code).toBe(0);
    expect(grown.out).toContain(`extends the checkpoint of ${saved.treeSize} entries`);

    // An attacker with the audit key rewrites an entry below the checkpoint, rechains and re-signs the head.
    const copy = join(tempDir('dske-checkpoint-rw-'), 'station');
    cpSync(dir, copy, { recursive: true });
    const es = readFileSync(join(copy, LEDGER_FILE), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as LedgerEntry);
    const at = 2;
    es[at] = { ...es[at], data: { ...es[at].data, forged: true } };
    for (let i = at; i < es.length; i++) {
      const prev = i === 0 ? '0'.repeat(64) : es[i - 1].hash;
      es[i] = { ...es[i], prev, hash: entryHash(prev, i, es[i].time, es[i].type, es[i].data) };
    }
    writeFileSync(join(copy, LEDGER_FILE), es.map(serialize).join(''));
    const head = LedgerHead.open(copy, FileAuditKey.open(join(copy, 'keys', 'audit.key')));
    head.write({ count: es.length, hash: es.at(-1)!.hash, prev: es.at(-2)!.hash, state: 'committed' });
    head.close();

    expect((await cli(copy, 'ledger', 'verify')).code).toBe(0); // consistent in itself: only the checkpoint can tell
    const rewritten = await cli(copy, 'ledger', 'verify', '--against', cp);
    expect(rewritten.code).toBe(1);
    expect(rewritten.out).toContain('rewritten below the checkpoint');
  }, 60_000);

  it('catches a rollback (an older head copied back with the ledger cut to match) that the head alone cannot', async () => {
    const old = join(tempDir('dske-checkpoint-old-'), 'station');
    cpSync(dir, old, { recursive: true });
    expect((await cli(dir, 'pool', 'generate', '--bytes', '256KiB', '--source', 'os')).code).toBe(0);
    const cp = join(root, 'checkpoint-rollback.json');
    expect((await cli(dir, 'ledger', 'checkpoint', '--out', cp)).code).toBe(0);
    // The attacker puts back the ledger, head and snapshot as they were before the generation.
    const rolled = join(tempDir('dske-checkpoint-rolled-'), 'station');
    cpSync(dir, rolled, { recursive: true });
    for (const f of ['ledger.jsonl', 'ledger.head', 'ledger.snapshot']) cpSync(join(old, f), join(rolled, f));
    expect((await cli(rolled, 'ledger', 'verify')).code).toBe(0); // the known limit: consistent in itself
    const r = await cli(rolled, 'ledger', 'verify', '--against', cp);
    expect(r.code).toBe(1);
    expect(r.out).toContain('entries were removed since');
  }, 60_000);

  it('refuses a checkpoint that was altered, or is not a checkpoint', async () => {
    const cp = join(root, 'checkpoint-2.json');
    expect((await cli(dir, 'ledger', 'checkpoint', '--out', cp)).code).toBe(0);
    const c = JSON.parse(readFileSync(cp, 'utf8'));
    writeFileSync(cp, JSON.stringify({ ...c, treeSize: c.treeSize - 1 }));
    const altered = await cli(dir, 'ledger', 'verify', '--against', cp);
    expect(altered.code).toBe(1);
    expect(altered.out).toContain("not made by this station's audit key");
    writeFileSync(cp, '{"format":"something else"}');
    const r = await cli(dir, '--json', 'ledger', 'verify', '--against', cp);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error.code).toBe('bad-request');
  }, 60_000);
});
