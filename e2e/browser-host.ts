// Starts the built browser host (`node out/main/browser-host.js`) on a fresh data directory and
// returns the URL it prints, the way a person would open it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningHost {
  readonly url: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/** `prepare` may write settings (station.json) into the fresh data directory before the host starts. */
export async function startBuiltHost(prepare?: (dataDir: string) => void): Promise<RunningHost> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dske-e2e-'));
  prepare?.(dataDir);
  const child: ChildProcess = spawn(process.execPath, ['out/main/browser-host.js', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`browser host printed no URL: ${out}`)), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Open: (http:\/\/127\.0\.0\.1:\d+\/#token=\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`browser host exited (${code}): ${out}`)));
  });
  return {
    url,
    dataDir,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => {
          rmSync(dataDir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
