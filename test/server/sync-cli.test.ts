// The air-gapped path, through the two command lines only (issue S8, parts 2–4 and 6): the station
// registers and the hub operator types the code read aloud; the pool is shipped on a file, imported, and
// its acknowledgement carried back; range reports are exported, imported at the server, and acknowledged;
// both sides then agree. Each refusal exits 1 with its reason; a usage error exits 2.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, runCli } from '../../src-main/cli/run';
import { openStation } from '../../src-main/station/station';
import { runServerCli } from '../../src-server/cli';
import { enrolClient } from '../support/enrol';
import { enrolPeople, OP, passphraseFiles, PEOPLE, tempDir } from '../support/station';

let dir: string;
let serverDir: string;
let out: string;
let files: Record<string, string>;
let client: string;
beforeAll(async () => {
  dir = join(tempDir('dske-sync-cli-'), 'station');
  serverDir = join(tempDir('dske-sync-cli-server-'), 'server');
  out = tempDir('dske-sync-cli-out-');
  files = passphraseFiles(tempDir('dske-sync-cli-pass-'));
  mkdirSync(dir, { recursive: true });
  const station = openStation({ dataDir: dir, host: 'test', mode: 'create', policy: { segmentBytes: 1 << 20, chunkBytes: 64 * 1024 } });
  await enrolPeople(station);
  await station.handlers.pool.generate({ bytes: 3 << 20, sources: ['os'] }, OP);
  await station.close();
});
afterAll(() => {
  for (const d of [dir, serverDir, out]) rmSync(d, { recursive: true, force: true });
});

const as = (name: string): string[] => ['--data-dir', dir, '--operator', name, '--passphrase-file', files[name]];

async function station(who: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let o = '';
  let e = '';
  const code = await runCli([...as(who), ...argv], { io: { out: (l) => (o += l + '\n'), err: (l) => (e += l + '\n') } });
  return { code, out: o, err: e };
}

async function server(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let o = '';
  let e = '';
  const code = await runServerCli([...argv, '--data', serverDir], { out: (s) => (o += s), err: (s) => (e += s) }, {});
  return { code, out: o, err: e };
}

const op = PEOPLE.operator.name;
const approve = (): string[] => ['--approver', PEOPLE.second.name, '--approver-passphrase-file', files[PEOPLE.second.name]];

describe('sync from the two command lines, air-gapped', () => {
  it('registers, ships, acknowledges, reports and agrees, with every refusal said', async () => {
    const none = await server('status'); // no server yet: it says to init
    expect(none.code).toBe(EXIT_FAILED);
    expect(none.err).toMatch(/No Security Server in .* run `dske-server init --hub HUB` there first/);
    expect((await server('frobnicate')).code).toBe(EXIT_USAGE);
    expect((await server('init', '--hub', 'hub')).code).toBe(EXIT_OK);

    const reg = await station(op, '--json', 'sync', 'register', '--out', join(out, 'station.dskereg'), ...approve());
    expect(reg.code).toBe(EXIT_OK);
    const code = JSON.parse(reg.out).value.confirmationCode as string;
    expect((await server('register', join(out, 'station.dskereg'))).code).toBe(EXIT_USAGE);
    const wrong = await server('register', join(out, 'station.dskereg'), '--code', code === '00000000' ? '00000001' : '00000000');
    expect(wrong).toMatchObject({ code: EXIT_FAILED });
    expect(wrong.err).toMatch(/confirmation code does not match/);
    // A mistyped path is a refusal in plain words, never a crash.
    const typo = await server('register', join(out, 'statoin.dskereg'), '--code', code);
    expect(typo).toMatchObject({ code: EXIT_FAILED });
    expect(typo.err).toMatch(/The registration file .*statoin\.dskereg cannot be read \(it is missing\)/);
    expect((await server('register', join(out, 'station.dskereg'), '--code', code)).out).toMatch(/registered for hub hub; confirmation code \d{8} matches/);

    // Shipping needs a second operator; the shipment is useless until acknowledged.
    expect((await station(op, 'sync', 'ship', '--out', join(out, 'pool.dskeshp'))).code).toBe(EXIT_USAGE);
    const ship = await station(op, 'sync', 'ship', '--out', join(out, 'pool.dskeshp'), '--bytes', '2MiB', ...approve());
    expect(ship.code).toBe(EXIT_OK);
    expect(ship.out).toMatch(/Wrote shipment shp-[0-9a-f]{32}: 2 segment\(s\)/);
    expect((await server('import-shipment', join(out, 'pool.dskeshp'))).code).toBe(EXIT_USAGE); // where does the ack go?
    // Where the acknowledgement goes is checked before anything is imported.
    const taken = await server('import-shipment', join(out, 'pool.dskeshp'), '--ack-out', join(out, 'station.dskereg'));
    expect(taken).toMatchObject({ code: EXIT_FAILED });
    expect(taken.err).toMatch(/exists already; an acknowledgement is never written over a file/);
    expect((await server('import-shipment', join(out, 'pool.dskeshp'), '--ack-out', join(out, 'no-such-folder', 'a.dskeack'))).err).toMatch(/does not exist; nothing was imported/);
    expect((await server('status')).out).toMatch(/0 shipment\(s\) held/);
    const imported = await server('import-shipment', join(out, 'pool.dskeshp'), '--ack-out', join(out, 'pool.dskeack'));
    expect(imported).toMatchObject({ code: EXIT_OK });
    expect(imported.out).toMatch(/Imported shipment shp-[0-9a-f]{32}: 2 segment\(s\), 2\.00 MiB/);
    // A file that is not an acknowledgement changes nothing.
    writeFileSync(join(out, 'junk.dskeack'), 'not an acknowledgement');
    const junk = await station(op, 'sync', 'import', join(out, 'junk.dskeack'));
    expect(junk.code).toBe(EXIT_FAILED);
    expect(junk.err).toMatch(/not a valid acknowledgement/);
    expect((await station(op, 'sync', 'import', join(out, 'pool.dskeack'))).out).toMatch(/is acknowledged: its segments may now be allocated/);

    const s = openStation({ dataDir: dir, host: 'test' });
    try {
      client = (await enrolClient(s, OP, { keysDir: join(out, 'keys') })).client;
      await s.handlers.delivery.deliver({ client, bytes: 100_000, to: `file:${join(out, 'client.pkg')}` }, OP);
    } finally {
      await s.close();
    }
    expect((await station(op, 'sync', 'status')).out).toMatch(/2 range report\(s\), .* wait for the Security Server; in sync up to #0/);
    expect((await station(op, 'sync', 'export', '--out', join(out, 'reports.dskerpt'))).code).toBe(EXIT_OK);
    expect((await server('import-reports', join(out, 'reprots.dskerpt'), '--ack-out', join(out, 'r.dskeack'))).err).toMatch(/The report batch .*reprots\.dskerpt cannot be read \(it is missing\)/);
    const applied = await server('import-reports', join(out, 'reports.dskerpt'), '--ack-out', join(out, 'reports.dskeack'));
    expect(applied.out).toMatch(/Applied 2 report\(s\); station in sync up to #2/);
    // The same file again: a replay, refused as such, harmless.
    const again = await server('import-reports', join(out, 'reports.dskerpt'), '--ack-out', join(out, 'reports-again.dskeack'));
    expect(again).toMatchObject({ code: EXIT_OK });
    expect(again.out).toMatch(/Applied 0 report\(s\); station in sync up to #2\. Refused: reports 1 to 2 were applied already .*\(replay\)/);
    expect((await station(op, 'sync', 'import', join(out, 'reports.dskeack'))).out).toMatch(/in sync up to #2\./);
    expect((await station(op, 'sync', 'import', join(out, 'reports-again.dskeack'))).out).toMatch(/in sync up to #2 \(as recorded already\)/);
    expect((await station(op, 'sync', 'status')).out).toMatch(/Nothing waits for the Security Server: in sync up to #2/);

    const clients = await server('clients', '--json');
    expect(JSON.parse(clients.out)).toEqual([{ client, state: 'active', bytes: 100_000, initialKeyBytes: 64, reports: 2 }]);
    expect((await server('status')).out).toMatch(/in sync up to #2; 1 shipment\(s\) held/);
    expect((await server('verify')).out).toMatch(/The audit log verifies: \d+ entries/);
    expect((await server('vacuum')).out).toMatch(/Vacuumed the SQLite database/);
    expect(readFileSync(join(out, 'reports.dskeack')).subarray(0, 8).toString()).toBe('DSKEACK1');
  });
});
