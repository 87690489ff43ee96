// The real reference Security Server for the window's specs: the built `dske-server` (out/server) on
// SQLite in a temporary folder, its command line for the server operator's steps, and `serve` on loopback.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SecurityServer {
  /** A scratch folder beside it, for the files carried between station and server. */
  readonly work: string;
  readonly dataDir: string;
  /** `dske-server ARGS --data DIR`: its stdout, or a thrown error with its output. */
  cli(...args: string[]): string;
  /** Serves on 127.0.0.1 and returns its address (once). */
  serve(): Promise<string>;
  stop(): Promise<void>;
}

/** The server's environment without settings of the machine's own Security Server. */
function serverEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('DSKE_SERVER_')) delete env[k];
  return env;
}

export function makeSecurityServer(hub = 'hub'): SecurityServer {
  const work = mkdtempSync(join(tmpdir(), 'dske-e2e-server-'));
  const dataDir = join(work, 'server');
  const env = serverEnv();
  let child: ChildProcess | undefined;
  const cli = (...args: string[]): string => {
    const r = spawnSync(process.execPath, ['out/server/main.js', ...args, '--data', dataDir], { encoding: 'utf8', env });
    if (r.status !== 0) throw new Error(`dske-server ${args.join(' ')} failed (${r.status}): ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  cli('init', '--hub', hub);
  return {
    work,
    dataDir,
    cli,
    serve: () =>
      new Promise<string>((resolve, reject) => {
        const serving = spawn(process.execPath, ['out/server/main.js', 'serve', '--data', dataDir, '--host', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env });
        child = serving;
        let out = '';
        const timer = setTimeout(() => reject(new Error(`the Security Server printed no address: ${out}`)), 15_000);
        serving.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        serving.stderr!.on('data', (d: Buffer) => (out += d.toString()));
        serving.on('exit', (code) => reject(new Error(`the Security Server exited (${code}): ${out}`)));
      }),
    stop: () =>
      new Promise((resolve) => {
        const done = (): void => {
          rmSync(work, { recursive: true, force: true });
          resolve();
        };
        if (!child || child.exitCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
      }),
  };
}
