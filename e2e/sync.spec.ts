// The hub operator's view of the link to the Security Server (issue S8): before registration and before
// any shipment, the window says so, and that the pool it just generated is not yet allocatable (the
// Security Server does not hold it); times carry their zone.
import { expect, test } from '@playwright/test';
import { signIn, startBuiltHost, type RunningHost } from './browser-host';

let host: RunningHost;
test.beforeAll(async () => {
  host = await startBuiltHost();
});
test.afterAll(async () => {
  await host.stop();
});

test('a new pool is shown as not yet shipped, the station as not registered, nothing waiting', async ({ page }) => {
  await page.goto(host.url);
  await signIn(page);
  await page.getByLabel('Amount').fill('1MiB');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByTestId('pool-size')).toHaveText('1.00 MiB');

  await page.getByRole('tab', { name: 'Security Server' }).click();
  await expect(page.getByTestId('sync-registration')).toContainText('Not registered with a Security Server yet');
  await expect(page.getByTestId('sync-unshipped')).toHaveAttribute('data-bytes', String(1024 * 1024));
  await expect(page.getByTestId('sync-shipped')).toHaveAttribute('data-bytes', '0');
  await expect(page.getByTestId('sync-position')).toHaveText('In sync up to #0; nothing waits');
  await expect(page.getByText('No shipment yet')).toBeVisible();
});
