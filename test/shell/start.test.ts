// `npm start` when the Electron binary is missing (issue S12): it fetches the binary through electron's
// own installer (@electron/get), then builds and starts it with the app and the user's arguments; when
// the fetch fails it says why in one sentence and names `npm run start:browser`.
//
// Nothing here leaves the machine: a node:http server on 127.0.0.1 plays Electron's release host
// (ELECTRON_MIRROR), serving a zip named like the real asset whose "electron" is a shell script that
// records how it was started, plus SHASUMS256.txt for it. start.mjs runs in a throwaway copy of a
// project: its own copy of scripts/start.mjs and scripts/lib, a copy of the electron package (without
// dist), symlinks to the rest of the real node_modules, and a one-file app with its own
// electron.vite.config.mjs, so the build step is the real `electron-vite build`, only of a tiny app.
// The real node_modules/electron is never written.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(__dirname, '../..');
const realElectron = join(repo, 'node_modules/electron');
const version: string = JSON.parse(readFileSync(join(realElectron, 'package.json'), 'utf8')).version;
const asset = `electron-v${version}-${process.platform}-${process.arch}.zip`;

// --- a minimal zip writer (store method), with unix mode bits so the stand-in stays executable ---
function crc32(buf: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of buf) {
    let c = (crc ^ byte) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function zip(entries: { name: string; data: Buffer; mode: number }[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  const dosDate = (0 << 9) | (1 << 5) | 1; // 1980-01-01
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0
    local.writeUInt16LE(0, 6); // flags
    local.writeUInt16LE(0, 8); // method: stored
    local.writeUInt16LE(0, 10); // time
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE((3 << 8) | 20, 4); // made by: unix, 2.0
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(0, 8);
    dir.writeUInt16LE(0, 10);
    dir.writeUInt16LE(0, 12);
    dir.writeUInt16LE(dosDate, 14);
    dir.writeUInt32LE(crc, 16);
    dir.writeUInt32LE(e.data.length, 20);
    dir.writeUInt32LE(e.data.length, 24);
    dir.writeUInt16LE(name.length, 28);
    // extra length, comment length, disk number, internal attributes: 0
    dir.writeUInt32LE((e.mode << 16) >>> 0, 38); // external attributes: unix mode in the high half
    dir.writeUInt32LE(offset, 42);
    parts.push(local, name, e.data);
    central.push(dir, name);
    offset += local.length + name.length + e.data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cd, end]);
}

// The stand-in "electron": records its working directory, then one argument per line.
const standIn = Buffer.from('#!/bin/sh\npwd > "$DSKE_STANDIN_RECORD"\nfor a in "$@"; do printf \'%s\\n\' "$a" >> "$DSKE_STANDIN_RECORD"; done\nexit 0\n');
const zipFile = zip([
  { name: 'electron', data: standIn, mode: 0o100755 },
  { name: 'version', data: Buffer.from(version), mode: 0o100644 },
]);
const sha = createHash('sha256').update(zipFile).digest('hex');

// --- the release host on 127.0.0.1 ---
let mode: 'serve' | 'refuse' | 'bad-checksum' = 'serve';
const requests: string[] = [];
let server: Server;
let mirror: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (mode === 'serve' || mode === 'bad-checksum') {
      if (req.url === `/v${version}/${asset}`) {
        res.writeHead(200, { 'content-type': 'application/zip', 'content-length': zipFile.length });
        res.end(zipFile);
        return;
      }
      if (req.url === `/v${version}/SHASUMS256.txt`) {
        const hash = mode === 'serve' ? sha : '0'.repeat(64);
        res.end(`${hash} *${asset}\n`);
        return;
      }
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not here');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await new Promise((ok) => server.close(ok));
});

// --- a throwaway project around a copy of start.mjs ---
const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function project(): { root: string; cache: string; record: string } {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'dske-start-')));
  made.push(base);
  const root = join(base, 'project');
  mkdirSync(join(root, 'node_modules'), { recursive: true });
  for (const name of readdirSync(join(repo, 'node_modules'))) {
    if (name !== 'electron') symlinkSync(join(repo, 'node_modules', name), join(root, 'node_modules', name));
  }
  cpSync(realElectron, join(root, 'node_modules/electron'), {
    recursive: true,
    filter: (src) => src !== join(realElectron, 'dist') && src !== join(realElectron, 'path.txt'),
  });
  mkdirSync(join(root, 'scripts/lib'), { recursive: true });
  cpSync(join(repo, 'scripts/start.mjs'), join(root, 'scripts/start.mjs'));
  cpSync(join(repo, 'scripts/lib/electron-binary.mjs'), join(root, 'scripts/lib/electron-binary.mjs'));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'start-fixture', private: true, type: 'module', main: 'out/main/index.js' }));
  mkdirSync(join(root, 'src'));
  writeFileSync(join(root, 'src/main.js'), "console.log('fixture app');\n");
  writeFileSync(join(root, 'electron.vite.config.mjs'), "import { defineConfig } from 'electron-vite';\nexport default defineConfig({ main: { build: { outDir: 'out/main', rollupOptions: { input: { index: 'src/main.js' } } } } });\n");
  return { root, cache: join(base, 'cache'), record: join(base, 'record.txt') };
}

function env(p: { cache: string; record: string }, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // Only our mirror: no proxies, no npm/electron download settings of the machine, no skip flag
    // (scripts/test.sh sets ELECTRON_SKIP_BINARY_DOWNLOAD=1 so that nothing else downloads).
    if (/proxy|^npm_(package_)?config_electron|^electron_|^ELECTRON_/i.test(k)) continue;
    e[k] = v;
  }
  return { ...e, ELECTRON_MIRROR: mirror, electron_use_remote_checksums: '1', electron_config_cache: p.cache, DSKE_STANDIN_RECORD: p.record, ...extra };
}

function start(root: string, args: string[], e: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done, failed) => {
    // From an unrelated working directory: start.mjs finds its project from its own location.
    const child = spawn(process.execPath, [join(root, 'scripts/start.mjs'), ...args], { cwd: tmpdir(), env: e });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', failed);
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

function realElectronState(): string {
  return ['dist', 'path.txt'].map((f) => `${f}:${existsSync(join(realElectron, f))}`).join(',');
}

describe.skipIf(process.platform === 'win32')('npm start without an Electron binary', () => {
  it('fetches it from the release host, unpacks it, builds and starts it with the app and the arguments', async () => {
    const before = realElectronState();
    mode = 'serve';
    requests.length = 0;
    const p = project();
    const r = await start(p.root, ['--station-arg', 'two words'], env(p));
    expect(r.stderr).not.toMatch(/start:browser/);
    expect(r.status).toBe(0);
    expect(requests).toContain(`/v${version}/${asset}`);
    expect(requests).toContain(`/v${version}/SHASUMS256.txt`);
    expect(r.stdout).toContain(`Fetching Electron ${version} from 127.0.0.1:`);
    expect(r.stdout).toContain(`Fetched Electron ${version}`);

    const bin = join(p.root, 'node_modules/electron/dist/electron');
    expect(statSync(bin).mode & 0o111).not.toBe(0);
    expect(readFileSync(join(p.root, 'node_modules/electron/path.txt'), 'utf8')).toBe('electron');
    expect(existsSync(join(p.root, 'out/main/index.js'))).toBe(true); // the build ran
    expect(readFileSync(p.record, 'utf8').split('\n').slice(0, -1)).toEqual([p.root, '.', '--station-arg', 'two words']);
    expect(readdirSync(p.cache).length).toBeGreaterThan(0); // the zip went through the cache dir asked for

    // Installed now: the next start fetches nothing.
    requests.length = 0;
    const again = await start(p.root, [], env(p));
    expect(again.status).toBe(0);
    expect(requests).toEqual([]);
    expect(again.stdout).not.toContain('Fetching Electron');
    expect(realElectronState()).toBe(before);
  });

  async function failsWith(e: NodeJS.ProcessEnv, p: ReturnType<typeof project>): Promise<string> {
    const r = await start(p.root, [], e);
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    // One sentence (no full stop inside it) that names the browser host.
    expect(lines[0]).toMatch(/\.$/);
    expect(lines[0]).not.toMatch(/[.!?]\s+\S/);
    expect(lines[0]).toContain('`npm run start:browser`');
    expect(existsSync(join(p.root, 'node_modules/electron/dist/electron'))).toBe(false);
    expect(existsSync(join(p.root, 'out'))).toBe(false); // no build, no start
    expect(existsSync(p.record)).toBe(false);
    return lines[0];
  }

  it('says in one sentence that the host answered 404 when the mirror does not have the asset', async () => {
    mode = 'refuse';
    requests.length = 0;
    const p = project();
    const line = await failsWith(env(p), p);
    expect(requests).toContain(`/v${version}/${asset}`);
    expect(line).toContain(`Electron ${version} could not be fetched because 127.0.0.1:`);
    expect(line).toContain(`answered 404 (Not Found) for ${asset}`);
  });

  it('says in one sentence that the host could not be reached when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((ok) => closed.close(ok));
    const p = project();
    const line = await failsWith(env(p, { ELECTRON_MIRROR: `http://127.0.0.1:${port}/` }), p);
    expect(line).toContain(`127.0.0.1:${port} could not be reached`);
  });

  it('says in one sentence that the checksum did not match, and keeps nothing', async () => {
    mode = 'bad-checksum';
    requests.length = 0;
    const p = project();
    const line = await failsWith(env(p), p);
    expect(requests).toContain(`/v${version}/SHASUMS256.txt`);
    expect(line).toContain(`the SHA-256 checksum of ${asset} did not match`);
  });

  it('fetches nothing when ELECTRON_SKIP_BINARY_DOWNLOAD=1 (as npm test sets)', async () => {
    mode = 'serve';
    requests.length = 0;
    const p = project();
    const line = await failsWith(env(p, { ELECTRON_SKIP_BINARY_DOWNLOAD: '1' }), p);
    expect(requests).toEqual([]);
    expect(line).toContain('ELECTRON_SKIP_BINARY_DOWNLOAD=1 says not to fetch it');
  });
});
