// `npm run server`: builds the Security Server and runs it on loopback with a fresh data directory (or
// the one DSKE_SERVER_DATA names, made if new), for a hub to try, or for a station to sync against.
// DSKE_SERVER_HUB sets the hub ID of a new server (default "hub"); DSKE_SERVER_PORT the port (8450).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (args) => spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
if (run([join(root, 'scripts/build-node-tools.mjs')]).status !== 0) process.exit(1);
const main = join(root, 'out/server/main.js');
const data = process.env.DSKE_SERVER_DATA ?? mkdtempSync(join(tmpdir(), 'dske-server-'));
if (!existsSync(join(data, 'server.json'))) {
  const init = run([main, 'init', '--data', data, '--hub', process.env.DSKE_SERVER_HUB ?? 'hub']);
  if (init.status !== 0) process.exit(init.status ?? 1);
}
console.log(`Data directory: ${data}`);
process.exit(run([main, 'serve', '--data', data]).status ?? 1);
