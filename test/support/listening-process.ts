// A child process that announces its address ("… listening on http://…", as `dske-server serve` does),
// for tests and benchmarks that run real server processes; and its orderly stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ListeningProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly stderr: string[];
}

/** Spawns node with args in the project folder; resolves once it prints its address, rejects if it exits first or stays silent. */
export function spawnListening(args: readonly string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 60_000): Promise<ListeningProcess> {
  const child = spawn(process.execPath, [...args], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')}: no address within ${timeoutMs / 1000} s; stdout: ${out}; stderr: ${stderr.join('')}`));
    }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], stderr });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited (${code ?? signal}) before listening: ${stderr.join('')}`));
    });
  });
}

/** SIGTERM (a server closes its listener and database), SIGKILL after 10 s; resolves with the exit code or signal. */
export function stopProcess(child: ChildProcess): Promise<number | string | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? child.signalCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? signal);
    });
    child.kill('SIGTERM');
  });
}
