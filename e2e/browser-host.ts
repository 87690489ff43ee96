// Starts the built browser host on a fresh data directory, through the launcher a person runs
// (`node scripts/browser-host.mjs`, which runs out/main/browser-host.js), and
// returns the URL it prints, the way a person would open it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningHost {
  readonly url: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/** The accounts every spec signs in with (passphrase: `<name> passphrase`). */
export const ADMIN = 'Ada Admin';
export const OPERATOR = 'Otto Operator';
export const SECOND = 'Sam Second';
export const DESK = 'Dee Desk';
export const AUDITOR = 'Ava Auditor';
export const passphraseOf = (name: string): string => `${name} passphrase`;

/** Creates the station and its accounts with the built CLI, as an administrator would. */
function enrol(dataDir: string): void {
  const files = mkdtempSync(join(tmpdir(), 'dske-e2e-pass-'));
  const file = (name: string): string => {
    const f = join(files, name.replace(/\W/g, '_'));
    writeFileSync(f, passphraseOf(name), { mode: 0o600 });
    return f;
  };
  const cli = (...args: string[]): void => {
    const r = spawnSync(process.execPath, ['out/main/cli.js', '--data-dir', dataDir, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`dske-station ${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
  };
  cli('init', '--admin', ADMIN, '--passphrase-file', file(ADMIN));
  for (const [name, role] of [[OPERATOR, 'operator'], [SECOND, 'operator'], [DESK, 'desk'], [AUDITOR, 'auditor']] as const)
    cli('--operator', ADMIN, '--passphrase-file', file(ADMIN), 'operators', 'add', name, '--role', role, '--new-passphrase-file', file(name));
  rmSync(files, { recursive: true, force: true });
}

/**
 * The station made once per test process (five CLI runs, each hashing a passphrase: seconds) and copied
 * into each spec's folder: the same accounts, its own files. Settings (station.json) are read at every
 * open, so a spec's `prepare` still applies.
 */
let template: string | undefined;
function enrolled(dataDir: string): void {
  if (!template) {
    const made = mkdtempSync(join(tmpdir(), 'dske-e2e-template-'));
    enrol(made);
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
    template = made;
  }
  cpSync(template, dataDir, { recursive: true });
}

/** The built CLI on a station, as `operator` (their passphrase from a file of their own): its stdout, or a thrown error with its output. */
export function stationCli(dataDir: string, operator: string, ...args: string[]): string {
  const files = mkdtempSync(join(tmpdir(), 'dske-e2e-pass-'));
  try {
    const f = join(files, 'passphrase');
    writeFileSync(f, passphraseOf(operator), { mode: 0o600 });
    const r = spawnSync(process.execPath, ['out/main/cli.js', '--data-dir', dataDir, '--operator', operator, '--passphrase-file', f, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`dske-station ${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(files, { recursive: true, force: true });
  }
}

/** Whether the page fits its window's width: nothing cut off sideways (the document scrolls only down). */
export async function fitsSideways(page: Page): Promise<boolean> {
  return page.evaluate<boolean>('document.documentElement.scrollWidth <= document.documentElement.clientWidth');
}

/** Signs in as `name` through the window's sign-in screen (the browser host's session is one per run: a later page may find it open, for this person or another, who is signed out first). */
export async function signIn(page: Page, name = OPERATOR): Promise<void> {
  // `exact`: other screens have fields whose labels merely contain "name" (the applicant's, for one).
  const nameField = page.getByLabel('Name', { exact: true });
  await page.getByTestId('signed-in').or(nameField).first().waitFor();
  const who = page.getByTestId('signed-in');
  if (await who.isVisible()) {
    if ((await who.textContent())?.startsWith(`${name} (`)) return;
    await who.getByRole('button', { name: 'Sign out' }).click();
    await nameField.waitFor();
  }
  await nameField.fill(name);
  await page.getByLabel('Passphrase', { exact: true }).fill(passphraseOf(name));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in').waitFor();
}

/**
 * `prepare` may write settings (station.json) into the fresh data directory before the host starts.
 * With `empty`, the host starts on a folder with no station at all (the first-run setup). `afterInit` runs
 * on the made station before the host opens it (which then holds its lock): a pool shipped to a real
 * Security Server, a long ledger.
 */
export async function startBuiltHost(prepare?: (dataDir: string) => void, opts: { empty?: boolean; afterInit?: (dataDir: string) => Promise<void> } = {}): Promise<RunningHost> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dske-e2e-'));
  prepare?.(dataDir);
  if (!opts.empty) enrolled(dataDir);
  await opts.afterInit?.(dataDir);
  // Through the launcher a person runs (`npm run start:browser`), which sets the file thread pool's size.
  const child: ChildProcess = spawn(process.execPath, ['scripts/browser-host.mjs', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
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
