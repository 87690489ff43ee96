// The desktop app end to end (issue S1, part 9): Playwright's _electron.launch under Xvfb. It runs
// wherever an Electron binary exists and is reported as skipped, with the reason, where not.
import { _electron as electron, expect, test } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { electronBinary } from '../scripts/lib/electron-binary.mjs';

const binary = electronBinary();
if (!binary) console.log('[electron spec] skipped: no Electron binary on this machine (it cannot be downloaded here); the browser-host specs cover the UI.');

test.describe('desktop app', () => {
  test.skip(!binary, 'No Electron binary on this machine (it cannot be downloaded here); the browser-host specs cover the UI.');

  let xvfb: ChildProcess | undefined;
  test.beforeAll(async () => {
    if (!process.env.DISPLAY) {
      xvfb = spawn('Xvfb', [':97', '-screen', '0', '1280x900x24'], { stdio: 'ignore' });
      process.env.DISPLAY = ':97';
      await new Promise((r) => setTimeout(r, 1000));
    }
  });
  test.afterAll(() => {
    xvfb?.kill();
  });

  test('opens the hardened window on the app protocol and generates a pool', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dske-electron-'));
    const app = await electron.launch({ executablePath: binary!, args: ['out/main/index.js'], env: { ...process.env, DSKE_STATION_DATA: dataDir } });
    const page = await app.firstWindow();
    expect(page.url()).toBe('app://station/index.html');
    expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
    expect(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined');
    await page.getByLabel('Amount').fill('1MiB');
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect(page.getByTestId('pool-size')).toHaveText('1.00 MiB');
    await app.close();
  });
});
