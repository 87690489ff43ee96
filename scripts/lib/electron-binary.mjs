// The Electron binary for `npm start` and the Playwright spec: where it is (without triggering
// electron's own download-on-require), and fetching it when it is missing through electron's own
// installer (node_modules/electron/install.js, i.e. @electron/get), so that everything that installer
// honours still applies: ELECTRON_MIRROR / ELECTRON_CUSTOM_DIR (and their npm_config_electron_*
// forms), electron_use_remote_checksums, electron_config_cache, force_no_cache, and proxies.
import { spawn } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The project this script belongs to: scripts/lib/../.. (so a copy of the project uses its own files). */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The electron package folder as the project resolves it, or null when electron is not installed. */
export function electronPackageDir(root = projectRoot) {
  try {
    return dirname(createRequire(join(root, 'package.json')).resolve('electron/package.json'));
  } catch {
    return null;
  }
}

/** The electron package's version (the binary it wants), or null. */
export function electronVersion(root = projectRoot) {
  const dir = electronPackageDir(root);
  if (!dir) return null;
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
}

/**
 * Path of the installed Electron binary, or null when it is not installed. "Installed" means what
 * electron's install.js means: path.txt names the binary, it exists, and dist/version is the package's.
 */
export function electronBinary(root = projectRoot) {
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const p = join(process.env.ELECTRON_OVERRIDE_DIST_PATH, 'electron');
    return existsSync(p) ? p : null;
  }
  const dir = electronPackageDir(root);
  if (!dir) return null;
  try {
    const wanted = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
    const have = readFileSync(join(dir, 'dist', 'version'), 'utf8').trim().replace(/^v/, '');
    if (have !== wanted) return null;
    const bin = join(dir, 'dist', readFileSync(join(dir, 'path.txt'), 'utf8').trim());
    return existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

/** ELECTRON_SKIP_BINARY_DOWNLOAD set to anything but ''/0/false: never fetch (what `npm test` sets). */
export function electronDownloadSkipped(env = process.env) {
  const v = (env.ELECTRON_SKIP_BINARY_DOWNLOAD ?? '').trim().toLowerCase();
  return v !== '' && v !== '0' && v !== 'false';
}

// @electron/get reads each mirror setting from these places, first one set wins (artifact-utils.js).
function mirrorSetting(name, env) {
  const snake = name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  return env[`npm_config_electron_${name.toLowerCase()}`] || env[`NPM_CONFIG_ELECTRON_${snake.toUpperCase()}`] ||
    env[`npm_config_electron_${snake}`] || env[`npm_package_config_electron_${name}`] ||
    env[`npm_package_config_electron_${snake}`] || env[`ELECTRON_${snake.toUpperCase()}`] || undefined;
}

/** The host the installer will fetch from (for the progress line), e.g. github.com or a mirror's host. */
export function electronReleaseHost(version, env = process.env) {
  const base = (version.includes('nightly') ? mirrorSetting('nightlyMirror', env) : mirrorSetting('mirror', env)) ||
    (version.includes('nightly') ? 'https://github.com/electron/nightlies/releases/download/' : 'https://github.com/electron/electron/releases/download/');
  try {
    return new URL(base).host;
  } catch {
    return base;
  }
}

function sizeOfDownloads(dir) {
  let total = 0;
  let entries = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    try {
      if (e.isDirectory()) total += sizeOfDownloads(p);
      else if (e.name.endsWith('.zip')) total += statSync(p).size;
    } catch {
      // the installer moved or removed it meanwhile
    }
  }
  return total;
}

const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;

/** Why the installer failed, as a clause for one sentence, from what it printed (err.stack). */
export async function explainInstallerFailure(output, host, env = process.env) {
  let m;
  if ((m = /HTTPError: Response code (\d+) \(([^)]*)\) for (\S+)/.exec(output))) {
    return `${host} answered ${m[1]}${m[2] ? ` (${m[2]})` : ''} for ${basename(m[3])}`;
  }
  if ((m = /Generated checksum for "([^"]+)" did not match/.exec(output))) {
    const source = env.electron_use_remote_checksums || env.npm_config_electron_use_remote_checksums ? "the release's SHASUMS256.txt" : 'the checksums shipped in the electron package (set electron_use_remote_checksums=1 for a mirror with its own builds)';
    return `the SHA-256 checksum of ${m[1]} did not match ${source}`;
  }
  if ((m = /No checksum found in checksum file for "([^"]+)"/.exec(output))) {
    return `the checksum list has no entry for ${m[1]}`;
  }
  if (/fetch failed/.test(output)) {
    const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    try {
      await lookup(name);
    } catch {
      return `the name ${name} could not be resolved (no network or no DNS)`;
    }
    return `${host} could not be reached (connection refused, timed out, or blocked by a firewall or proxy)`;
  }
  if (/ERR_REQUIRE_ESM|ERR_REQUIRE_ASYNC_MODULE/.test(output)) {
    return `electron's installer needs a newer Node.js than ${process.version} (it asks for 22.12 or newer)`;
  }
  if (/ENOSPC/.test(output)) return 'the disk is full';
  if ((m = /(EACCES|EPERM)[^\n]*?'([^']+)'/.exec(output))) return `it was not allowed to write ${m[2]}`;
  const first = output.split('\n').map((l) => l.trim()).find((l) => l !== '');
  return first ? `its installer failed (${first.replace(/\.$/, '')})` : 'its installer failed without saying why';
}

/**
 * Fetch the binary with electron's own installer, reporting progress through `log` (one line per call;
 * `update` rewrites the current line on a terminal). Resolves to { ok: true, binary } or
 * { ok: false, reason } where reason is a clause ("the checksum of … did not match …").
 */
export async function fetchElectron({ root = projectRoot, env = process.env, log = console.log, update } = {}) {
  const dir = electronPackageDir(root);
  if (!dir) return { ok: false, reason: 'the electron package is not installed (run `npm install`)' };
  const version = electronVersion(root);
  const host = electronReleaseHost(version, env);
  log(`Fetching Electron ${version} from ${host} …`);

  // The installer's own temporary download goes into a folder of ours, so its size shows progress.
  const scratch = mkdtempSync(join(tmpdir(), 'dske-electron-fetch-'));
  const childEnv = { ...env, TMPDIR: scratch, TMP: scratch, TEMP: scratch };
  // @electron/get uses fetch(), which ignores proxy variables unless ELECTRON_GET_USE_PROXY is set.
  const proxy = env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy || env.npm_config_https_proxy || env.npm_config_proxy;
  if (proxy && !env.ELECTRON_GET_USE_PROXY) {
    childEnv.ELECTRON_GET_USE_PROXY = '1';
    if (!env.HTTPS_PROXY && !env.https_proxy && env.npm_config_https_proxy) childEnv.HTTPS_PROXY = env.npm_config_https_proxy;
    if (!env.HTTP_PROXY && !env.http_proxy && env.npm_config_proxy) childEnv.HTTP_PROXY = env.npm_config_proxy;
  }

  let output = '';
  let seen = 0;
  let lastLine = 0;
  const timer = setInterval(() => {
    const now = sizeOfDownloads(scratch);
    if (now <= seen) return;
    seen = now;
    if (update) update(`  … ${mb(now)} received`);
    else if (Date.now() - lastLine >= 5000) {
      lastLine = Date.now();
      log(`  … ${mb(now)} received`);
    }
  }, 250);
  const result = await new Promise((done) => {
    const child = spawn(process.execPath, [join(dir, 'install.js')], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (err) => done({ code: 1, signal: null, err }));
    child.on('close', (code, signal) => done({ code, signal }));
  });
  clearInterval(timer);
  rmSync(scratch, { recursive: true, force: true });
  if (update && seen > 0) update(null);

  if (result.err) return { ok: false, reason: `its installer could not be started (${result.err.message})` };
  if (result.signal) return { ok: false, reason: `the fetch was interrupted (${result.signal})` };
  if (result.code !== 0) return { ok: false, reason: await explainInstallerFailure(output, host, env) };
  const binary = electronBinary(root);
  if (!binary) return { ok: false, reason: `its installer finished but left no binary in ${join(dir, 'dist')}` };
  log(`Fetched Electron ${version}${seen > 0 ? ` (${mb(seen)})` : ''}: ${binary}`);
  return { ok: true, binary };
}
