// Packaging (electron-builder). It downloads Electron at build time, so it cannot run on every
// machine; test/shell/packaging.test.ts checks this config statically instead.
// Fuses (Electron checklist 19) are flipped in the packaged binary. DSKE_TEST_BUILD=1 makes the one
// build that end-to-end tests drive: it keeps only what Playwright's _electron.launch needs
// (the --inspect/--remote-debugging command-line switches) and nothing else.
const testBuild = process.env.DSKE_TEST_BUILD === '1';

module.exports = {
  appId: 'org.dske.station',
  productName: 'DSKE Station',
  directories: { output: testBuild ? 'dist-test' : 'dist', buildResources: 'assets' },
  files: ['out/**', 'bin/**', 'package.json'],
  asar: true,
  npmRebuild: false,
  linux: { target: ['AppImage', 'deb'], category: 'Utility', executableName: 'dske-station' },
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
