// The first run through the browser host (issue S12, part 3): from a folder with no station to a first
// pool by the guided setup (administrator, entropy sources, first pool), with a screenshot of each step,
// a reload in the middle of it, and the station's refusals of sources a page may not configure.
import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN, passphraseOf, startBuiltHost, type RunningHost } from './browser-host';

let host: RunningHost;
test.beforeAll(async () => {
  host = await startBuiltHost(undefined, { empty: true });
});
test.afterAll(async () => {
  await host.stop();
});

/** A full-page screenshot in the test's output folder, attached to the report too. */
async function snap(page: Page, name: string): Promise<void> {
  const path = test.info().outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await test.info().attach(name, { path, contentType: 'image/png' });
}

const FIRST_POOL = 64 * 1024 * 1024; // the setup's default amount, 64 MiB

test('the setup takes an empty station to its first administrator, its sources and a first pool', async ({ page }) => {
  await page.goto(host.url);

  // Step 1: the administrator. A second passphrase that differs is refused in words, and nothing is created.
  await expect(page.getByTestId('setup-step')).toHaveText('Step 1 of 3');
  await expect(page.getByRole('heading', { name: 'Create the administrator' })).toBeVisible();
  await expect(page.getByText('hub operators, who make and refresh the pool')).toBeVisible();
  await snap(page, 'step-1');
  await page.getByLabel('Name').fill(ADMIN);
  await page.getByLabel('Passphrase', { exact: true }).fill(passphraseOf(ADMIN));
  await page.getByLabel('Passphrase again').fill('a different passphrase');
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await expect(page.getByRole('alert')).toContainText('The two passphrases differ; type the same passphrase twice.');
  await expect(page.getByTestId('signed-in')).toHaveCount(0);
  await snap(page, 'step-1-passphrases-differ');
  await page.getByLabel('Passphrase', { exact: true }).fill(passphraseOf(ADMIN));
  await page.getByLabel('Passphrase again').fill(passphraseOf(ADMIN));
  await page.getByRole('button', { name: 'Create administrator' }).click();

  // Step 2: the sources found. A reload here resumes at step 2 (the session is signed in, no sources chosen yet).
  await expect(page.getByTestId('setup-step')).toHaveText('Step 2 of 3');
  await expect(page.getByTestId('signed-in')).toContainText(`${ADMIN} (admin, operator)`);
  await page.reload();
  await expect(page.getByTestId('setup-step')).toHaveText('Step 2 of 3');
  await expect(page.getByRole('heading', { name: 'Entropy sources' })).toBeVisible();
  await expect(page.getByText(/alone is labelled computational/)).toBeVisible();
  const os = page.locator('[data-testid="setup-source"][data-spec="os"]');
  await expect(os.getByRole('checkbox')).toBeChecked();
  await os.getByRole('button', { name: 'Test' }).click();
  await expect(page.getByTestId('setup-source-test')).toContainText('Passed');
  // A hardware unit found here is offered, testable, but not ticked until tested (a VM's virtio hwrng gives some 10 kB/s).
  for (const box of await page.locator('[data-testid="setup-source"]:not([data-spec="os"])').getByRole('checkbox').all()) await expect(box).not.toBeChecked();
  await snap(page, 'step-2');
  await page.getByRole('button', { name: 'Use these sources' }).click();

  // Step 3: the first pool, at the default amount, with progress and the result. A reload resumes here.
  await expect(page.getByTestId('setup-step')).toHaveText('Step 3 of 3');
  await page.reload();
  await expect(page.getByTestId('setup-step')).toHaveText('Step 3 of 3');
  await expect(page.getByRole('heading', { name: 'First pool' })).toBeVisible();
  await expect(page.getByLabel('Amount')).toHaveValue('64MiB');
  await expect(page.getByText('It is made from: OS CSPRNG')).toBeVisible();
  await expect(page.getByTestId('setup-pool-size')).toHaveAttribute('data-bytes', '0');
  await snap(page, 'step-3');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByTestId('setup-progress')).toBeVisible();
  await snap(page, 'step-3-generating');
  await expect(page.getByTestId('setup-progress')).toContainText('done: 64.0 MiB of 64.0 MiB', { timeout: 45_000 });
  await expect(page.getByTestId('setup-result')).toContainText('Done: 64.0 MiB of PSRD', { timeout: 45_000 });
  await expect(page.getByTestId('setup-result')).toContainText('labelled computational');
  await expect(page.getByTestId('setup-pool-size')).toHaveAttribute('data-bytes', String(FIRST_POOL));
  await snap(page, 'step-3-done');
  await page.getByRole('button', { name: 'Finish' }).click();

  // The normal tabs: the pool holds the bytes generated, and the ledger lists the setup's facts.
  await expect(page.getByTestId('setup')).toHaveCount(0);
  await expect(page.getByTestId('pool-size')).toHaveText('64.0 MiB');
  await expect(page.getByTestId('pool-size')).toHaveAttribute('data-bytes', String(FIRST_POOL));
  await snap(page, 'finished-pool');
  await page.getByRole('tab', { name: 'Ledger' }).click();
  await expect(page.locator('[data-testid="ledger-entry"][data-type="pool.segment-added"]').first()).toBeVisible();
  await expect(page.locator('[data-testid="ledger-entry"][data-type="operator.created"]')).toContainText(ADMIN);
  const configured = page.locator('[data-testid="ledger-entry"][data-type="station.sources-configured"]');
  await expect(configured).toContainText('sources: ["os"]');
  await expect(configured).toContainText(ADMIN);
  await snap(page, 'finished-ledger');

  // The choice is in the station's settings file, and the setup does not come back.
  expect(JSON.parse(readFileSync(join(host.dataDir, 'station.json'), 'utf8'))).toEqual({ sources: ['os'] });
  await page.reload();
  await expect(page.getByRole('tab', { selected: true })).toHaveText('Ledger');
  await page.getByRole('tab', { name: 'Dashboard' }).click();
  await expect(page.getByTestId('pool-size')).toHaveAttribute('data-bytes', String(FIRST_POOL));
  await expect(page.getByTestId('setup')).toHaveCount(0);
});

test('a page may configure only sources the station found, and never an unparsable one', async ({ page }) => {
  await page.goto(host.url);
  await expect(page.getByTestId('signed-in')).toBeVisible();
  // The browser host's own transport, from the page, with the token the station printed, as the window's client sends it.
  const token = /token=([A-Za-z0-9_-]+)/.exec(host.url)![1];
  type Outcome = { ok: boolean; error?: { code: string; message: string } };
  const configure = (sources: string[]): Promise<Outcome> =>
    page.evaluate(async ({ body, bearer }) => {
      const res = await fetch('/api/call/devices.configureSources', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${bearer}` }, body: JSON.stringify(body) });
      return (await res.json()) as Outcome;
    }, { body: { sources }, bearer: token });
  expect(await configure(['file:/etc/hostname'])).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  expect(await configure(['file:relative/path'])).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  expect(await configure(['os', 'os'])).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  expect(await configure([])).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  // Nothing was written.
  expect(JSON.parse(readFileSync(join(host.dataDir, 'station.json'), 'utf8'))).toEqual({ sources: ['os'] });
});
