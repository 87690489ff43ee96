// The hub operator's sources tab through the browser host: a configured device that fails its health
// test is latched FAILED, and an operator's acknowledgement (with their name, in the ledger) re-enables it.
import { expect, test } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { passphraseOf, SECOND, signIn, startBuiltHost, type RunningHost } from './browser-host';

let host: RunningHost;
let stuckDevice: string;
test.beforeAll(async () => {
  host = await startBuiltHost((dir) => {
    // A "device" that is stuck at one value: the repetition count test must catch it at once.
    stuckDevice = join(dir, 'stuck-device.bin');
    writeFileSync(stuckDevice, Buffer.alloc(1 << 20, 0x42));
    writeFileSync(join(dir, 'station.json'), JSON.stringify({ sources: ['os', `file:${stuckDevice}`] }));
  });
});
test.afterAll(async () => {
  await host.stop();
});

test('a failing source is latched by its test and re-enabled by a named acknowledgement', async ({ page }) => {
  await page.goto(host.url);
  await signIn(page);
  await page.getByRole('tab', { name: 'Sources' }).click();
  const os = page.locator('[data-testid="source"][data-spec="os"]');
  await expect(os).toContainText('ready · configured');
  await os.getByRole('button', { name: 'Test' }).click();
  await expect(page.getByTestId('source-test')).toContainText('Passed');

  const stuck = page.locator(`[data-testid="source"][data-spec="file:${stuckDevice}"]`);
  await stuck.getByRole('button', { name: 'Test' }).click();
  await expect(page.getByTestId('source-test')).toContainText('Failed');
  await expect(stuck).toHaveAttribute('data-state', 'failed');

  await stuck.getByRole('button', { name: 'Acknowledge' }).click();
  await expect(page.getByRole('alert')).toContainText('A second person approves this');
  await page.getByLabel('Approver', { exact: true }).fill(SECOND);
  await page.getByLabel('Approver passphrase').fill('not the passphrase');
  await stuck.getByRole('button', { name: 'Acknowledge' }).click();
  await expect(page.getByRole('alert')).toContainText('approval was not accepted');
  await page.getByLabel('Approver passphrase').fill(passphraseOf(SECOND));
  await stuck.getByRole('button', { name: 'Acknowledge' }).click();
  await expect(stuck).toHaveAttribute('data-state', 'ok');

  await page.getByRole('tab', { name: 'Ledger' }).click();
  await expect(page.locator('[data-testid="ledger-entry"][data-type="entropy.source-failed"]')).toContainText('rct');
  await expect(page.locator('[data-testid="ledger-entry"][data-type="entropy.source-acknowledged"]')).toContainText(SECOND);
});

test('the browser may not point generation at a source the station does not configure', async ({ page }) => {
  await page.goto(host.url);
  await signIn(page);
  await page.getByLabel('Sources').fill('file:/etc/hostname');
  await page.getByLabel('Amount').fill('1MiB');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('alert')).toContainText("not one of this station's configured entropy sources");
});
