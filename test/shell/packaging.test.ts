// Fuses (Electron checklist 19) in the packaging config, checked statically because packaging
// downloads Electron and cannot run on every machine; the test build differs only in what Playwright needs.
// Also the installers (issue S12): targets, the files the deb adds, its after-install script, the icon.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { BrowserWindowConstructorOptions } from 'electron';
import { afterEach, describe, expect, it } from 'vitest';
import { createStationWindow } from '../../src-main/shell/window';

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

describe('what the station package holds', () => {
  it('leaves the Security Server and the client out: their builds, their commands, the database drivers (better-sqlite3 cannot load in Electron)', () => {
    const files = load(false).files as string[];
    expect(files).toEqual(expect.arrayContaining(['out/**', '!out/server/**', '!out/client/**', '!bin/dske-server.js', '!bin/dske-client.js']));
    const excluded = files.find((f) => f.startsWith('!node_modules/'))!;
    for (const dep of ['better-sqlite3', 'pg', 'fastify', 'kysely']) expect(excluded).toContain(dep);
  });
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

type Installers = {
  icon: string;
  directories: { buildResources: string };
  linux: { target: string[] };
  win: { target: string[] };
  mac: { target: string[] };
  deb: { afterInstall: string; fpm: string[] };
};

describe('installers', () => {
  const root = dirname(require.resolve('../../package.json'));
  const c = load(false) as unknown as Installers;

  it('are AppImage and deb on Linux, NSIS on Windows, dmg on macOS', () => {
    expect(c.linux.target).toEqual(['AppImage', 'deb']);
    expect(c.win.target).toEqual(['nsis']);
    expect(c.mac.target).toEqual(['dmg']);
  });

  it('put the udev and polkit rules where udev and polkitd read them, from files that exist', () => {
    const mapping = Object.fromEntries(c.deb.fpm.map((arg) => arg.split('=')).map(([from, to]) => [to, from]));
    expect(mapping['/lib/udev/rules.d/60-dske-station.rules']).toBe(join(root, 'assets/udev/60-dske-station.rules'));
    expect(mapping['/usr/share/polkit-1/rules.d/50-dske-station.rules']).toBe(join(root, 'assets/polkit/50-dske-station.rules'));
    for (const from of Object.values(mapping)) expect(existsSync(from), from).toBe(true);
  });

  it("run an after-install script that keeps electron-builder's own steps and applies the udev rules", () => {
    const script = readFileSync(join(root, c.deb.afterInstall), 'utf8');
    expect(statSync(join(root, c.deb.afterInstall)).mode & 0o111).not.toBe(0);
    // Setting afterInstall replaces electron-builder's template: every line of it must still be there.
    const template = readFileSync(join(dirname(require.resolve('app-builder-lib/package.json')), 'templates/linux/after-install.tpl'), 'utf8');
    for (const line of template.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#!'))) expect(script, line).toContain(line);
    // electron-builder expands ${name} macros and refuses unknown ones.
    for (const [, macro] of script.matchAll(/\$\{([a-zA-Z]+)\}/g)) expect(['executable', 'sanitizedProductName', 'productFilename']).toContain(macro);
    expect(script).toMatch(/udevadm control --reload-rules && udevadm trigger/);
  });

  it('make electron-builder lay out the deb with them (computed for real; fpm itself is not run)', async () => {
    // A prepackaged app dir stands in for the Electron build (which would download Electron), and
    // effectiveOptionComputed stops electron-builder right before it runs fpm, handing over fpm's arguments.
    const tmp = mkdtempSync(join(tmpdir(), 'dske-deb-'));
    try {
      const app = join(tmp, 'linux-unpacked');
      mkdirSync(join(app, 'resources'), { recursive: true });
      writeFileSync(join(app, 'dske-station'), '#!/bin/sh\n');
      chmodSync(join(app, 'dske-station'), 0o755);
      writeFileSync(join(app, 'chrome-sandbox'), '');
      let fpm: string[] = [];
      let afterInstall = '';
      const { build } = require('electron-builder') as typeof import('electron-builder');
      await build({
        projectDir: root,
        prepackaged: app,
        linux: ['deb'],
        publish: 'never',
        // The deb's package metadata wants a homepage and a maintainer address, which package.json does not have yet.
        config: { ...(c as object), directories: { ...c.directories, output: join(tmp, 'out') }, extraMetadata: { homepage: 'https://example.invalid', author: { name: 'Test', email: 'test@example.invalid' } } },
        effectiveOptionComputed: async (options: unknown) => {
          fpm = (options as [string[]])[0];
          afterInstall = readFileSync(fpm[fpm.indexOf('--after-install') + 1], 'utf8');
          return true;
        },
      });
      expect(fpm).toContain(`${join(root, 'assets/udev/60-dske-station.rules')}=/lib/udev/rules.d/60-dske-station.rules`);
      expect(fpm).toContain(`${join(root, 'assets/polkit/50-dske-station.rules')}=/usr/share/polkit-1/rules.d/50-dske-station.rules`);
      expect(fpm).toContain(`${join(root, 'assets/icon.png')}=/usr/share/icons/hicolor/512x512/apps/dske-station.png`);
      expect(afterInstall).toContain("update-alternatives --install '/usr/bin/dske-station' 'dske-station' '/opt/DSKE Station/dske-station'");
      expect(afterInstall).toContain('udevadm control --reload-rules && udevadm trigger');
      expect(afterInstall).not.toMatch(/\$\{/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);

  it('use the station icon, a 512x512 PNG in buildResources', () => {
    const png = readFileSync(join(root, c.directories.buildResources, c.icon));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([512, 512]);
    expect(existsSync(join(root, 'assets/icon.svg'))).toBe(true);
  });

  it('give the window that icon, from out/main where the build puts it (the packaged app holds only out/)', () => {
    let options: BrowserWindowConstructorOptions | undefined;
    class RecordingWindow {
      constructor(o: BrowserWindowConstructorOptions) {
        options = o;
      }
    }
    createStationWindow(RecordingWindow, join('/app', 'out', 'preload', 'index.cjs'), false);
    expect(options?.icon).toBe(join('/app', 'out', 'main', 'icon.png'));
    const viteConfig = readFileSync(join(root, 'electron.vite.config.ts'), 'utf8');
    expect(viteConfig).toContain("fileName: 'icon.png', source: readFileSync(resolve('assets/icon.png'))");
  });
});
