// `npm start`: make sure the Electron binary is there, build, then open the desktop app with the
// user's arguments. A missing binary is fetched through electron's own installer (see
// lib/electron-binary.mjs for the settings it honours); only when that fails, or when
// ELECTRON_SKIP_BINARY_DOWNLOAD=1 forbids it (as `npm test` does), one sentence says why and names the
// browser host instead. The project is the one this script lives in, whatever the working directory.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { electronBinary, electronDownloadSkipped, electronVersion, fetchElectron, projectRoot } from './lib/electron-binary.mjs';

const instead = 'so the desktop app cannot start; run `npm run start:browser` to use the station in a browser instead.';
function fail(clause) {
  console.error(`${clause}, ${instead}`);
  process.exit(1);
}

let electron = electronBinary(projectRoot);
if (!electron) {
  const version = electronVersion(projectRoot);
  if (!version) fail('The electron package is not installed (run `npm install`)');
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) fail(`ELECTRON_OVERRIDE_DIST_PATH names ${process.env.ELECTRON_OVERRIDE_DIST_PATH}, which holds no electron binary`);
  if (electronDownloadSkipped()) fail(`The Electron ${version} binary is not installed and ELECTRON_SKIP_BINARY_DOWNLOAD=${process.env.ELECTRON_SKIP_BINARY_DOWNLOAD} says not to fetch it`);
  const tty = process.stdout.isTTY;
  const update = tty ? (line) => process.stdout.write(line === null ? '\r\x1b[K' : `\r\x1b[K${line}`) : undefined;
  const fetched = await fetchElectron({ root: projectRoot, update });
  if (!fetched.ok) fail(`Electron ${version} could not be fetched because ${fetched.reason}`);
  electron = fetched.binary;
}

// Build with the project's electron-vite (its bin run by this Node, so nothing is looked up online).
const require = createRequire(join(projectRoot, 'package.json'));
const viteDir = dirname(require.resolve('electron-vite/package.json'));
const viteBin = join(viteDir, JSON.parse(readFileSync(join(viteDir, 'package.json'), 'utf8')).bin['electron-vite']);
const build = spawnSync(process.execPath, [viteBin, 'build'], { cwd: projectRoot, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

// A larger pool of file threads (scripts/browser-host.mjs says why): set before the process starts.
const run = spawnSync(electron, ['.', ...process.argv.slice(2)], { cwd: projectRoot, stdio: 'inherit', env: { UV_THREADPOOL_SIZE: '16', ...process.env } });
if (run.error) fail(`Electron could not be started (${run.error.message})`);
process.exit(run.status ?? 1);
