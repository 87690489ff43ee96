// The project stands alone: a clone of the committed repository, in a fresh directory with nothing
// beside it, passes its own protocol tests (test/dske, which read test/vectors and need no system
// packages). Only node_modules is borrowed, by a symlink: it is installed dependencies, not something
// beside the repository, and installing again would take minutes. This checks committed state (HEAD),
// so commit before relying on it.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Run { code: number; stdout: string; stderr: string }

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The environment without this vitest run's own variables, so the inner run is an ordinary one. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('VITEST')) env[k] = v;
  }
  return env;
}

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

describe('a clean clone', () => {
  it('passes test/dske with nothing beside it', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'dske-clone-'));
    const results = mkdtempSync(join(tmpdir(), 'dske-clone-results-'));
    temps.push(parent, results);
    const repo = join(parent, 'repo');

    const clone = await run('git', ['clone', '--quiet', '--no-hardlinks', ROOT, repo], parent, cleanEnv());
    expect(clone.code, clone.stderr).toBe(0);
    expect(readdirSync(parent)).toEqual(['repo']); // no shared folder, nor anything else, beside the clone
    expect(existsSync(join(repo, 'test/vectors/appendix-a.json'))).toBe(true);
    symlinkSync(join(ROOT, 'node_modules'), join(repo, 'node_modules'), 'dir');

    const report = join(results, 'vitest.json');
    const env = cleanEnv();
    const tests = await run('npx', ['vitest', 'run', 'test/dske', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`], repo, env);
    expect(tests.code, `${tests.stdout}\n${tests.stderr}`).toBe(0);

    const summary = JSON.parse(readFileSync(report, 'utf8')) as { numTotalTests: number; numPassedTests: number; numFailedTests: number };
    expect(summary.numTotalTests).toBeGreaterThan(0);
    expect(summary.numPassedTests).toBeGreaterThan(0);
    expect(summary.numFailedTests).toBe(0);
  }, 120_000);
});
