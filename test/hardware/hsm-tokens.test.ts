// The desk's list of HSM tokens (issue S9): every token present in the clients' PKCS#11 module, by what
// the token says of itself — checked against OpenSC's pkcs11-tool, an independent reader — without a
// session or a PIN; a module that cannot be used is said in plain words, not thrown.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { noSoftHsmReason, softHsmTokens, SOFTHSM_MODULE } from '../support/media';
import { OP, openTestStation, tempDir } from '../support/station';

const root = tempDir('dske-tokens-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(noSoftHsmReason)('the tokens present', () => {
  it('lists each initialized token with its label and serial, as pkcs11-tool reads them (not the free slot)', async () => {
    softHsmTokens(root, ['client-ada', 'client-bob'], '123456');
    const ts = openTestStation();
    try {
      const list = await ts.station.handlers.delivery.tokens({}, OP);
      expect(list.problem).toBeUndefined();
      expect(list.module).toBe(SOFTHSM_MODULE);
      const labels = list.tokens.map((t) => t.label).sort();
      expect(labels).toEqual(['client-ada', 'client-bob']);
      const independent = execFileSync('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--list-token-slots'], { env: process.env, encoding: 'utf8' });
      for (const t of list.tokens) {
        expect(independent).toContain(t.label);
        expect(independent).toMatch(new RegExp(`serial num\\s*:\\s*${t.serial}`));
      }
    } finally {
      await ts.cleanup();
    }
  });

  it('says why when the module cannot be used, and lists nothing', async () => {
    const notAModule = join(root, 'not-a-module.so');
    writeFileSync(notAModule, 'not a shared object');
    const dir = tempDir('dske-tokens-station-');
    writeFileSync(join(dir, 'station.json'), JSON.stringify({ delivery: { pkcs11Module: notAModule } }));
    const ts = openTestStation({ dataDir: dir });
    try {
      const list = await ts.station.handlers.delivery.tokens({}, OP);
      expect(list.tokens).toEqual([]);
      expect(list.problem).toMatch(/could not be used .* check station\.json delivery\.pkcs11Module/);
    } finally {
      await ts.cleanup();
    }
  });
});
