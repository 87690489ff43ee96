// The hub operator's main flow through the window (issue S9, part 3), against the real core and the real
// Security Server: register the station (a second operator approving inline), generate a pool, ship it
// (refused with a wrong approval, then approved), the server imports it, its acknowledgement imported in
// the window, and the two records reconciled online. Only what the server acknowledged becomes allocatable.
import { join } from 'node:path';
import { existsSync, writeFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { OPERATOR, SECOND, passphraseOf, signIn, startBuiltHost, type RunningHost } from './browser-host';
import { makeSecurityServer, type SecurityServer } from './security-server';

let host: RunningHost;
let server: SecurityServer;
test.beforeAll(async () => {
  host = await startBuiltHost();
  server = makeSecurityServer();
});
test.afterAll(async () => {
  await host.stop();
  await server.stop();
});

test('register, generate, ship with a second approver inline, import the acknowledgement, reconcile', async ({ page }) => {
  await page.goto(host.url);
  await signIn(page, OPERATOR);
  await page.getByRole('tab', { name: 'Security Server' }).click();
  await expect(page.getByTestId('sync-registration')).toContainText('Not registered');

  // Registration: two operators; the file goes to the server, the code is typed there.
  const registration = join(server.work, 'station.dskereg');
  await page.getByLabel('Registration file').fill(registration);
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByRole('alert')).toContainText('A second person approves this');
  expect(existsSync(registration)).toBe(false);
  await page.getByLabel('Approver', { exact: true }).fill(SECOND);
  await page.getByLabel('Approver passphrase').fill(passphraseOf(SECOND));
  await page.getByRole('button', { name: 'Register' }).click();
  const code = (await page.getByTestId('sync-registered').locator('strong').textContent())!;
  expect(code).toMatch(/^\d{8}$/);
  server.cli('register', registration, '--code', code);

  // A pool, not yet allocatable: the server does not hold it.
  await page.getByRole('tab', { name: 'Dashboard' }).click();
  await page.getByLabel('Amount').fill('4MiB');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByTestId('pool-announce')).toHaveText('The generation has finished.');
  await page.getByRole('tab', { name: 'Security Server' }).click();
  await expect(page.getByTestId('sync-unshipped')).toHaveAttribute('data-bytes', String(4 << 20));
  await expect(page.getByTestId('sync-shipped')).toHaveAttribute('data-bytes', '0');

  // The shipment: a path that is not a full one, a folder that does not exist and a wrong passphrase for
  // the approver each ship nothing, in plain words; the right one ships it all.
  const shipment = join(server.work, 'pool.dskeshp');
  await page.getByLabel(/^To \(/).fill('pool.dskeshp');
  await page.getByRole('button', { name: 'Ship' }).click();
  await expect(page.getByRole('alert')).toContainText('"pool.dskeshp" is not a full path');
  await page.getByLabel(/^To \(/).fill(join(server.work, 'no-such-folder', 'pool.dskeshp'));
  await page.getByLabel('Approver', { exact: true }).fill(SECOND);
  await page.getByLabel('Approver passphrase').fill(passphraseOf(SECOND));
  await page.getByRole('button', { name: 'Ship' }).click();
  await expect(page.getByRole('alert')).toContainText('no-such-folder cannot be used (it is missing); nothing was written');
  await expect(page.getByTestId('sync-shipments').locator('tbody tr')).toHaveCount(0);
  await page.getByLabel(/^To \(/).fill(shipment);
  await page.getByLabel('Approver', { exact: true }).fill(SECOND);
  await page.getByLabel('Approver passphrase').fill('not the passphrase');
  await page.getByRole('button', { name: 'Ship' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(page.getByLabel('Approver passphrase')).toHaveValue('');
  await expect(page.getByTestId('sync-shipments')).toHaveCount(0);
  expect(existsSync(shipment)).toBe(false);
  await page.getByLabel('Approver passphrase').fill(passphraseOf(SECOND));
  await page.getByRole('button', { name: 'Ship' }).click();
  await expect(page.getByTestId('ship-done')).toContainText('4.00 MiB');
  await expect(page.getByTestId('sync-shipments').locator('tbody tr')).toHaveAttribute('data-state', 'written');

  // An acknowledgement file that is not one changes nothing.
  const junk = join(server.work, 'junk.dskeack');
  writeFileSync(junk, 'DSKEACK1 but not really');
  await page.getByLabel('Acknowledgement file').fill(junk);
  await page.getByRole('button', { name: 'Import' }).click();
  await expect(page.getByRole('alert')).toContainText('This is not a valid acknowledgement');
  await expect(page.getByTestId('sync-shipped')).toHaveAttribute('data-bytes', '0');

  // The server imports it and answers with an acknowledgement, imported here.
  const ack = join(server.work, 'pool.dskeack');
  server.cli('import-shipment', shipment, '--ack-out', ack);
  await page.getByLabel('Acknowledgement file').fill(ack);
  await page.getByRole('button', { name: 'Import' }).click();
  await expect(page.getByTestId('sync-outcome')).toContainText('acknowledged');
  await expect(page.getByTestId('sync-shipped')).toHaveAttribute('data-bytes', String(4 << 20));
  await expect(page.getByTestId('sync-shipments').locator('tbody tr')).toHaveAttribute('data-state', 'acknowledged');

  // Online: the server's record beside the station's.
  const url = await server.serve();
  await page.getByLabel(/^Server address/).fill(url);
  await page.getByRole('button', { name: 'Reconcile' }).click();
  await expect(page.getByTestId('sync-outcome')).toContainText("The server's record agrees with this station's");
  await page.getByRole('button', { name: 'Push reports' }).click();
  await expect(page.getByTestId('sync-outcome')).toContainText('0 waiting');

  // The dashboard says so too.
  await page.getByRole('tab', { name: 'Dashboard' }).click();
  await expect(page.getByTestId('dash-sync')).toContainText('Allocatable (the server holds it too): 4.00 MiB');
  await expect(page.getByTestId('dash-sync-position')).toContainText('nothing waits');
});
