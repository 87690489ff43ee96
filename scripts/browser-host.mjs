// `npm run start:browser` (after the build): runs the built browser host (out/main/browser-host.js) with
// a larger pool of file threads. Node does asynchronous file work on libuv's pool, four threads by
// default, made when the first module is read — so the size must be in the environment before the
// process starts. A medium that hangs mid-write (a stick failing, a stalled FUSE daemon) holds each
// thread a write sent to it; with four, the ledger and the window's own files would wait behind it and
// the station would look frozen while only the stick is. Signals are passed on; the exit code comes back.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const host = fileURLToPath(new URL('../out/main/browser-host.js', import.meta.url));
const child = spawn(process.execPath, [host, ...process.argv.slice(2)], { stdio: 'inherit', env: { UV_THREADPOOL_SIZE: '16', ...process.env } });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
