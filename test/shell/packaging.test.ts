// Fuses (Electron checklist 19) in the packaging config, checked statically because packaging
// downloads Electron and cannot run on every machine; the test build differs only in what Playwright needs.
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
function load(testBuild: boolean): Record<string, unknown> & { electronFuses: Record<string, boolean> } {
  const path = require.resolve('../../electron-builder.config.cjs');
  delete require.cache[path];
  if (testBuild) process.env.DSKE_TEST_BUILD = '1';
  else delete process.env.DSKE_TEST_BUILD;
  return require(path);
}

afterEach(() => {
  delete process.env.DSKE_TEST_BUILD;
});

describe('packaging fuses', () => {
  it('turn off every way to run the binary as something else in a release', () => {
    expect(load(false).electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      loadBrowserProcessSpecificV8Snapshot: false,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('keep only the inspector switches that Playwright needs in the test build', () => {
    const release = load(false).electronFuses;
    const test = load(true).electronFuses;
    const differing = Object.keys(release).filter((k) => release[k] !== test[k]);
    expect(differing).toEqual(['enableNodeCliInspectArguments']);
    expect(test.enableNodeCliInspectArguments).toBe(true);
  });

  it('package the app in an asar without rebuilding native modules', () => {
    const c = load(false);
    expect(c.asar).toBe(true);
    expect(c.npmRebuild).toBe(false);
  });
});
