// Packaging (electron-builder). It downloads Electron at build time, so it cannot run on every
// machine; test/shell/packaging.test.ts checks this config statically instead.
// Fuses (Electron checklist 19) are flipped in the packaged binary. DSKE_TEST_BUILD=1 makes the one
// build that end-to-end tests drive: it keeps only what Playwright's _electron.launch needs
// (the --inspect/--remote-debugging command-line switches) and nothing else.
// Installers: AppImage and deb on Linux, NSIS on Windows, dmg on macOS. The deb also installs the udev
// rules for the entropy devices and the polkit rule for removable drives (assets/README.md), and its
// after-install script applies them. The fpm targets (deb) also need package.json `homepage` and
// `author.email` (package metadata); electron-builder refuses to build the deb without them.
const { join } = require('node:path');

const testBuild = process.env.DSKE_TEST_BUILD === '1';
const asset = (p) => join(__dirname, 'assets', p);

module.exports = {
  appId: 'org.dske.station',
  productName: 'DSKE Station',
  directories: { output: testBuild ? 'dist-test' : 'dist', buildResources: 'assets' },
  // The Security Server and the DSKE client are not part of the station: their builds, their commands and the
  // server's database drivers stay out (better-sqlite3 is a V8-ABI module that could not load in Electron anyway).
  files: ['out/**', '!out/server/**', '!out/client/**', 'bin/**', '!bin/dske-server.js', '!bin/dske-client.js', 'package.json', '!node_modules/{better-sqlite3,pg,pg-*,fastify,@fastify,kysely}/**'],
  asar: true,
  npmRebuild: false,
  // In buildResources (assets/); rendered from assets/icon.svg. macOS and Windows icons are made from it.
  icon: 'icon.png',
  linux: { target: ['AppImage', 'deb'], category: 'Utility', executableName: 'dske-station' },
  deb: {
    afterInstall: 'assets/linux/after-install.sh',
    // Extra files for fpm, as SOURCE=DESTINATION in the package.
    fpm: [
      `${asset('udev/60-dske-station.rules')}=/lib/udev/rules.d/60-dske-station.rules`,
      `${asset('polkit/50-dske-station.rules')}=/usr/share/polkit-1/rules.d/50-dske-station.rules`,
    ],
  },
  win: { target: ['nsis'] },
  // One install for the machine (the station is the machine's), into a directory the installer may change.
  nsis: { oneClick: false, perMachine: true, allowToChangeInstallationDirectory: true },
  mac: { target: ['dmg'], category: 'public.app-category.utilities' },
  electronFuses: {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: testBuild,
    // Effective on macOS and Windows only; on Linux the asar is protected by the install location
    // (the deb installs root-owned under /opt), not by this fuse: a user-writable AppImage is not.
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    loadBrowserProcessSpecificV8Snapshot: false,
    grantFileProtocolExtraPrivileges: false,
  },
};
