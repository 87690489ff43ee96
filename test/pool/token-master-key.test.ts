// The master key in a real PKCS#11 token (SoftHSM2): generated in the token, sensitive and not
// extractable, used there to wrap every segment's data keys; no key file is written.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pkcs11AesKey } from '../../hardware/hsm/pkcs11-aes-key';
import { openStation } from '../../src-main/station/station';
import { OP, tempDir } from '../support/station';

const MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const haveSoftHsm = existsSync(MODULE);
const root = tempDir('dske-softhsm-');
const PIN = '246810';

beforeAll(() => {
  if (!haveSoftHsm) return;
  mkdirSync(join(root, 'tokens'));
  writeFileSync(join(root, 'softhsm2.conf'), `directories.tokendir = ${join(root, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = join(root, 'softhsm2.conf');
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'dske-test', '--pin', PIN, '--so-pin', '13579'], { env: process.env, stdio: 'ignore' });
});
afterAll(() => {
  delete process.env.DSKE_TOKEN_PIN;
  rmSync(root, { recursive: true, force: true });
});

function stationDir(): string {
  const dir = join(root, `station-${Math.random().toString(16).slice(2)}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'station.json'), JSON.stringify({ pool: { segmentBytes: 131072, chunkBytes: 65536 }, masterKey: { pkcs11: { module: MODULE, tokenLabel: 'dske-test' } } }));
  return dir;
}

describe.skipIf(!haveSoftHsm)('master key in a PKCS#11 token (SoftHSM2)', () => {
  it('wraps segment keys in the token and reads them back after a restart; no key file exists', async () => {
    process.env.DSKE_TOKEN_PIN = PIN;
    const dir = stationDir();
    let station = openStation({ dataDir: dir, host: 'test' });
    const { segmentIds } = await station.handlers.pool.generate({ bytes: 200_000 }, OP);
    const first = Buffer.concat([...station.pool.read(segmentIds[0], 0, 131072)]);
    await station.close();
    expect(existsSync(join(dir, 'keys', 'master.key'))).toBe(false);

    station = openStation({ dataDir: dir, host: 'test' });
    expect(Buffer.concat([...station.pool.read(segmentIds[0], 0, 131072)]).equals(first)).toBe(true);
    await station.close();
  });

  it('keeps the ledger’s audit key in the token too: no key file, and a cut ledger is still refused', async () => {
    process.env.DSKE_TOKEN_PIN = PIN;
    const dir = stationDir();
    const station = openStation({ dataDir: dir, host: 'test' });
    await station.handlers.pool.generate({ bytes: 200_000 }, OP);
    await station.close();
    expect(existsSync(join(dir, 'keys', 'audit.key'))).toBe(false);
    const ledger = join(dir, 'ledger.jsonl');
    const lines = readFileSync(ledger, 'utf8').trimEnd().split('\n');
    writeFileSync(ledger, lines.slice(0, -1).join('\n') + '\n');
    expect(() => openStation({ dataDir: dir, host: 'test' })).toThrow(/1 entry is missing at the end/);
    writeFileSync(ledger, lines.join('\n') + '\n');
    await openStation({ dataDir: dir, host: 'test' }).close();
  });

  it('keeps the key sensitive and not extractable', () => {
    const key = Pkcs11AesKey.open({ module: MODULE, tokenLabel: 'dske-test', keyLabel: 'dske-station-master', pin: PIN });
    try {
      expect(key.created).toBe(false);
      expect(key.attributes()).toEqual({ sensitive: true, extractable: false });
    } finally {
      key.close();
    }
  });

  it('refuses to start with a wrong PIN, in plain words, and changes nothing', () => {
    process.env.DSKE_TOKEN_PIN = '000000';
    const dir = stationDir();
    expect(() => openStation({ dataDir: dir, host: 'test' })).toThrow(/Logging in to token "dske-test" failed \(CKR_PIN_INCORRECT\)/);
    expect(existsSync(join(dir, 'station.lock'))).toBe(false);
  });

  it('refuses to start without a PIN', () => {
    delete process.env.DSKE_TOKEN_PIN;
    expect(() => openStation({ dataDir: stationDir(), host: 'test' })).toThrow(/set DSKE_TOKEN_PIN/);
  });
});
