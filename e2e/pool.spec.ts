// The walking skeleton through the UI (issue S1, part 6): open the printed URL in Chromium, generate a
// small pool, and see its size and its ledger entry.
import { expect, test } from '@playwright/test';
import { AUDITOR, signIn, startBuiltHost, stationCli, type RunningHost } from './browser-host';

let host: RunningHost;
test.beforeAll(async () => {
  host = await startBuiltHost();
});
test.afterAll(async () => {
  await host.stop();
});

test('an operator generates a small pool and sees its size and ledger entry', async ({ page }) => {
  await page.goto(host.url);
  // The token left the address bar (it lives in this tab's session storage now).
  await expect(page).toHaveURL(/\/$/);
  await signIn(page);
  await expect(page.getByTestId('pool-size')).toHaveText('0 B');

  await page.getByLabel('Amount').fill('2MiB');
  await page.getByRole('button', { name: 'Generate' }).click();

  await expect(page.getByTestId('pool-size')).toHaveText('2.00 MiB');
  await expect(page.getByTestId('pool-size')).toHaveAttribute('data-bytes', String(2 * 1024 * 1024));
  await expect(page.getByTestId('pool-last-ledger')).toContainText('pool.generation-finished');
  await expect(page.getByTestId('segments').locator('tbody tr')).toHaveCount(1);
  await expect(page.getByTestId('segments')).toContainText('computational');
  // The level over time, from the ledger's series, moved with it.
  await expect(page.getByTestId('chart-pool-level')).toContainText(/the pool went from .* to 2\.00 MiB/);

  await page.getByRole('tab', { name: 'Ledger' }).click();
  await expect(page.locator('[data-testid="ledger-entry"][data-type="pool.segment-added"]')).toHaveCount(1);
  await expect(page.locator('[data-testid="ledger-entry"][data-type="pool.segment-added"]')).toContainText('bytes: 2097152');
  // Times carry their zone (the browser's own).
  const zone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
  await expect(page.locator('[data-testid="ledger-entry"][data-type="pool.segment-added"] td').nth(1)).toContainText(`(${zone})`);
  await page.getByRole('button', { name: 'Verify the ledger' }).click();
  await expect(page.getByTestId('ledger-verification')).toContainText(/Verified: \d+ entries/);
});

test('a malformed amount is refused in plain words and changes nothing', async ({ page }) => {
  await page.goto(host.url);
  await signIn(page);
  const before = await page.getByTestId('pool-size').getAttribute('data-bytes');
  await page.getByLabel('Amount').fill('lots');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('alert')).toContainText('is not a size');
  await expect(page.getByTestId('pool-size')).toHaveAttribute('data-bytes', before!);
});

test('the page opened without the token gets no data and says why', async ({ page }) => {
  const bare = new URL(host.url);
  bare.hash = '';
  await page.goto(bare.toString());
  await expect(page.getByRole('alert').first()).toContainText('no access to the station');
  await expect(page.getByTestId('pool-size')).toHaveCount(0);
});

test('a generation survives a tab switch and a reload: the window finds it in the station, and it can be cancelled', async ({ page }) => {
  await page.goto(host.url);
  await signIn(page);
  await page.getByLabel('Amount').fill('8GiB');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByTestId('pool-job')).toContainText('Generating 8.00 GiB of PSRD');
  await page.getByRole('tab', { name: 'Ledger' }).click();
  await page.getByRole('tab', { name: 'Dashboard' }).click();
  // A fresh dashboard: the running job comes from the station, so Generate stays refused.
  await expect(page.getByTestId('pool-job')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Generating…' })).toBeDisabled();
  // A reload: the same screen (the route), the same job, its progress moving and Cancel still there.
  await page.reload();
  await expect(page.getByRole('tabpanel', { name: 'Dashboard' })).toBeVisible();
  await expect(page.getByTestId('pool-job')).toContainText('Generating 8.00 GiB of PSRD');
  await expect(page.getByTestId('pool-progress')).toContainText(/generating: .* of 8\.00 GiB · .*\/s/);
  await expect(page.getByRole('button', { name: 'Generating…' })).toBeDisabled();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('pool-job')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Generate' })).toBeEnabled();
  await expect(page.getByTestId('pool-announce')).toHaveText('The generation ended: cancelled.');
  // The ledger records the cancellation (read with the CLI, which takes no lock).
  const ended = JSON.parse(stationCli(host.dataDir, AUDITOR, '--json', 'ledger', 'show', '--type', 'job.ended')) as unknown;
  expect(JSON.stringify(ended)).toContain('"outcome":"cancelled"');
});
