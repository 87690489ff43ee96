// The window's conventions (issue S9, part 5, begun): real tab panels driven by the keyboard alone (arrow
// keys, Home, End), light and dark themes following the system, and every main screen clean under
// axe-core in both themes, with a screenshot of each saved as a test artifact (test-results/, screen-*.png).
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { signIn, startBuiltHost, type RunningHost } from './browser-host';

let host: RunningHost;
test.beforeAll(async () => {
  host = await startBuiltHost();
});
test.afterAll(async () => {
  await host.stop();
});

const TABS = ['Dashboard', 'Sources', 'Security Server', 'Ledger'] as const;

async function violations(page: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page }).analyze();
  return r.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join('; ')})`);
}

test('the tabs are real tab panels, and the keyboard alone moves between them', async ({ page }) => {
  await page.goto(host.url);
  await signIn(page);
  const pool = page.getByRole('tab', { name: 'Dashboard' });
  await expect(pool).toHaveAttribute('aria-selected', 'true');
  await pool.focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Sources' })).toBeFocused();
  await expect(page.getByRole('tab', { name: 'Sources' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tabpanel', { name: 'Sources' })).toBeVisible();
  await page.keyboard.press('End');
  await expect(page.getByRole('tabpanel', { name: 'Ledger' })).toBeVisible();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Dashboard' })).toBeFocused();
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByRole('tab', { name: 'Ledger' })).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('Home');
  await expect(page.getByRole('tabpanel', { name: 'Dashboard' })).toBeVisible();
  // One tab stop: the others are reached by the arrow keys, not by Tab.
  for (const t of ['Sources', 'Security Server', 'Ledger']) await expect(page.getByRole('tab', { name: t })).toHaveAttribute('tabindex', '-1');
});

test('a generation is announced to screen readers in tenths, through a live region, not byte by byte', async ({ page }) => {
  await page.goto(host.url);
  await signIn(page);
  const status = page.getByTestId('pool-announce');
  await expect(status).toHaveAttribute('role', 'status');
  await expect(status).toHaveAttribute('aria-live', 'polite');
  await page.getByLabel('Amount').fill('2MiB');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(status).toHaveText('The generation has finished.');
});

for (const scheme of ['light', 'dark'] as const) {
  test(`every main screen is clean under axe-core in the ${scheme} theme (screenshots saved)`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(host.url);
    await signIn(page);
    const found: string[] = [];
    for (const t of TABS) {
      await page.getByRole('tab', { name: t }).click();
      await expect(page.getByRole('tabpanel', { name: t })).toBeVisible();
      await page.waitForTimeout(200); // the panel's first answer from the station
      await page.screenshot({ path: test.info().outputPath(`screen-${t.toLowerCase().replace(/ /g, '-')}-${scheme}.png`), fullPage: true });
      found.push(...(await violations(page)).map((v) => `${t}: ${v}`));
    }
    expect(found).toEqual([]);
  });
}
