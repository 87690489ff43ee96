// `npm start`: build, then open the desktop app. Where the Electron binary is missing (it cannot be
// downloaded on every machine), say so in one sentence and name the browser host instead.
import { spawnSync } from 'node:child_process';
import { electronBinary } from './lib/electron-binary.mjs';

const electron = electronBinary();
if (!electron) {
  console.error('The Electron binary is not installed on this machine, so the desktop app cannot start; run `npm run start:browser` to use the station in a browser instead.');
  process.exit(1);
}
const build = spawnSync('npx', ['electron-vite', 'build'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const run = spawnSync(electron, ['.', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(run.status ?? 0);
