// `dske-client` (issue S10, part 2): init, register-keys, import from a file, a QR sheet's page images
// and a SoftHSM2 token, status; refusals exit 1 with the reason on stderr and change nothing, usage
// errors exit 2; and the entry point run as its own process.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClientCli } from '../../src-client/cli';
import { noQrToolsReason, noSoftHsmReason, SOFTHSM_MODULE, softHsmTokens, tokenObjectLabels } from '../support/media';
import { tempDir } from '../support/station';
import { openTestHub, psrdOf, takeWholePackage, type TestHub } from './support/hub';
import { ClientStore } from '../../src-client/store/client-store';
import { readPackageHeader } from '../../src-shared/psrd/package-reader';

const PIN = 'Pin7f3kQ9zxW';
const work = tempDir('dske-client-cli-');
const hsmRoot = tempDir('dske-client-cli-hsm-');
let hub: TestHub;
let alice: { client: string; keysFile: string };
let bob: { client: string; keysFile: string };
let n = 0;

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runClientCli(argv, { out: (s) => (out += s), err: (s) => (err += s) }, {});
  return { code, out, err };
}

async function initialised(): Promise<string> {
  const dir = join(work, `c${n++}`);
  expect((await cli('--data', dir, 'init')).code).toBe(0);
  expect((await cli('--data', dir, 'register-keys', alice.keysFile)).code).toBe(0);
  return dir;
}

beforeAll(async () => {
  if (!noSoftHsmReason) softHsmTokens(hsmRoot, ['cli-token'], PIN);
  hub = await openTestHub('hub-a');
  alice = await hub.enrol('Alice');
  bob = await hub.enrol('Bob');
}, 120_000);

afterAll(async () => {
  await hub?.cleanup();
  rmSync(work, { recursive: true, force: true });
  rmSync(hsmRoot, { recursive: true, force: true });
});

describe('dske-client', () => {
  it('init, register-keys, import FILE, status; the same package again and a second registration exit 1 with the reason', async () => {
    const dir = join(work, 'main');
    const init = await cli('--data', dir, 'init');
    expect(init).toMatchObject({ code: 0, err: '' });
    expect(init.out).toContain('A DSKE client is ready');
    expect((await cli('--data', dir, 'init')).code).toBe(1);
    const reg = await cli('--data', dir, 'register-keys', alice.keysFile);
    expect(reg.code).toBe(0);
    expect(reg.out).toMatch(new RegExp(`Registered with hub hub-a as client ${alice.client}; check value [0-9a-f]{8}`));
    expect((await cli('--data', dir, 'register-keys', alice.keysFile)).out).toContain('nothing changed');
    const conflict = await cli('--data', dir, 'register-keys', bob.keysFile);
    expect(conflict.code).toBe(1);
    expect(conflict.err).toContain('a second, different registration');

    const { file, r } = await hub.deliverFile(alice.client, 60_000);
    const imp = await cli('--data', dir, 'import', file, '--keep');
    expect(imp).toMatchObject({ code: 0, err: '' });
    expect(imp.out).toContain(`Imported package ${r.package} from hub hub-a (client ${alice.client}): 60000 bytes of PSRD; 60000 bytes available`);
    expect(imp.out).toContain('is kept (--keep)');
    expect(existsSync(file)).toBe(true);
    const again = await cli('--data', dir, 'import', file);
    expect(again.code).toBe(1);
    expect(again.err).toContain('was imported already');
    expect(existsSync(file)).toBe(true); // a refused import destroys nothing
    const other = await hub.deliverFile(bob.client, 1000);
    expect((await cli('--data', dir, 'import', other.file)).err).toContain(`This package is for client ${bob.client}`);
    // Without --keep, the file is overwritten and deleted once imported: it was a third copy of the PSRD.
    const second = await hub.deliverFile(alice.client, 2000);
    const imp2 = await cli('--data', dir, 'import', second.file);
    expect(imp2.out).toContain(`${second.file} was overwritten and deleted.`);
    expect(existsSync(second.file)).toBe(false);

    const st = await cli('--data', dir, 'status', '--json');
    expect(st.code).toBe(0);
    expect(JSON.parse(st.out)).toEqual([expect.objectContaining({ hub: 'hub-a', client: alice.client, packages: [r.package, second.r.package], heldBytes: 62_000, usedBytes: 0, availableBytes: 62_000 })]);
    expect((await cli('--data', dir, 'status')).out).toMatch(/hub hub-a {2}client c-\d+ .* PSRD held 62000, used 0, available 62000 bytes/);
    // What the CLI imported is the package's PSRD.
    const store = ClientStore.open(dir);
    try {
      expect(takeWholePackage(store, 'hub-a', readPackageHeader(readFileSync(file)).header).equals(Buffer.from(psrdOf(readFileSync(file), alice.keysFile)))).toBe(true);
    } finally {
      store.close();
    }
  });

  it('usage errors exit 2 with the usage; refusals exit 1 with one sentence', async () => {
    const dir = await initialised();
    for (const argv of [[], ['frobnicate'], ['--data', dir, 'import'], ['--data', dir, 'import', 'a', 'b'], ['--data', dir, 'import', '--qr'], ['--data', dir, 'import', '--qr', 'a.png', '--hsm', 'x'],
      ['--data', dir, 'import', '--hsm', 'x'], ['--data', dir, 'register-keys'], ['--data', dir, 'status', 'extra'], ['--bogus']]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.out + r.err, argv.join(' ')).toContain('dske-client init');
    }
    expect((await cli('--help')).code).toBe(0);
    const missing = await cli('--data', dir, 'import', join(work, 'nope.pkg'));
    expect(missing).toMatchObject({ code: 1, out: '' });
    expect(missing.err).toMatch(/cannot be opened \(it is missing\)\.\n$/);
    expect((await cli('--data', join(work, 'none'), 'status')).err).toContain('There is no DSKE client in');
    expect((await cli('--data', dir, 'import', alice.keysFile)).err).toContain('is not a DSKE client package');
  });

  it.skipIf(noQrToolsReason !== undefined)('import --qr with the PNG pages of a printed sheet', async () => {
    const dir = await initialised();
    const pdf = join(hub.out, 'cli-sheet.pdf');
    const r = await hub.deliver(alice.client, 2000, `qr:${pdf}`);
    execFileSync('pdftoppm', ['-r', '150', '-png', pdf, join(work, 'cli-page')]);
    const page = join(work, 'cli-page-1.png');
    const imp = await cli('--data', dir, 'import', '--qr', page);
    expect(imp.code, imp.err).toBe(0);
    expect(imp.out).toContain(`Imported package ${r.package}`);
  });

  it.skipIf(noSoftHsmReason !== undefined)('import --hsm LABEL --pin-file F; a wrong PIN exits 1 without the PIN in the message', async () => {
    const dir = await initialised();
    const r = await hub.deliver(alice.client, 3000, 'hsm:cli-token', { pin: PIN });
    const pinFile = join(work, 'pin');
    writeFileSync(pinFile, 'Wrong4h8TbqL\n', { mode: 0o600 });
    const wrong = await cli('--data', dir, 'import', '--hsm', 'cli-token', '--pin-file', pinFile);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain('refused the PIN');
    expect(wrong.err).not.toContain('Wrong4h8TbqL');
    writeFileSync(pinFile, `${PIN}\n`);
    const imp = await cli('--data', dir, 'import', '--hsm', 'cli-token', '--pin-file', pinFile);
    expect(imp.code, imp.err).toBe(0);
    expect(imp.out).toContain(`Imported package ${r.package}`);
    // The token's copy is destroyed once the client holds the PSRD: only two copies ever exist.
    expect(imp.out).toContain('Its objects on the token "cli-token" were destroyed.');
    expect(tokenObjectLabels(SOFTHSM_MODULE, 'cli-token', PIN).filter((l) => l.includes(r.package))).toEqual([]);
  });

  it('runs as a process: exit 2 without a command, 0 for status, 1 on a refusal', () => {
    const run = (...argv: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'src-client', 'main.ts'), ...argv], { encoding: 'utf8', cwd: join(__dirname, '..', '..'), env: { ...process.env, DSKE_CLIENT_DATA: join(work, 'proc') } });
    expect(run().status).toBe(2);
    expect(run('init').status).toBe(0);
    const st = run('status');
    expect(st.status).toBe(0);
    expect(st.stdout).toContain('No hub registered');
    const bad = run('register-keys', join(work, 'nothing'));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('cannot be read');
  });
});
