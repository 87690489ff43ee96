// The window's conventions (issue S9, part 5): a workspace per person, routes a reload comes back to, real tab panels driven by the keyboard alone (arrow
// keys, Home, End), light and dark themes following the system, and every main screen clean under
// axe-core in both themes and readable at 800×600, with a screenshot of each saved as a test artifact
// (test-results/, screen-*.png).
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { AUDITOR, DESK, fitsSideways, OPERATOR, signIn, startBuiltHost, type RunningHost } from './browser-host';

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
  const names = await page.getByRole('tab').allTextContents();
  expect(names[0]).toBe('Dashboard');
  const tab = (i: number) => page.getByRole('tab', { name: names[(i + names.length) % names.length], exact: true });
  await expect(tab(0)).toHaveAttribute('aria-selected', 'true');
  await tab(0).focus();
  await page.keyboard.press('ArrowRight');
  await expect(tab(1)).toBeFocused();
  await expect(tab(1)).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tabpanel', { name: names[1] })).toBeVisible();
  await page.keyboard.press('End');
  await expect(page.getByRole('tabpanel', { name: names[names.length - 1] })).toBeVisible();
  await page.keyboard.press('ArrowRight');
  await expect(tab(0)).toBeFocused();
  await page.keyboard.press('ArrowLeft');
  await expect(tab(-1)).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('Home');
  await expect(page.getByRole('tabpanel', { name: names[0] })).toBeVisible();
  // One tab stop: the others are reached by the arrow keys, not by Tab.
  for (let i = 1; i < names.length; i++) await expect(tab(i)).toHaveAttribute('tabindex', '-1');
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
    // Every screen the operator's workspace has (an operator sees them all).
    const tabs = await page.getByRole('tab').allTextContents();
    expect(tabs).toEqual(expect.arrayContaining([...TABS]));
    for (const t of tabs) {
      await page.getByRole('tab', { name: t }).click();
      await expect(page.getByRole('tabpanel', { name: t })).toBeVisible();
      await page.waitForTimeout(200); // the panel's first answer from the station
      await page.screenshot({ path: test.info().outputPath(`screen-${t.toLowerCase().replace(/ /g, '-')}-${scheme}.png`), fullPage: true });
      found.push(...(await violations(page)).map((v) => `${t}: ${v}`));
    }
    expect(found).toEqual([]);
  });
}

test('each person lands in their own workspace, and a reload comes back to the same screen', async ({ page }) => {
  await page.goto(host.url);
  await signIn(page, AUDITOR);
  await expect(page.getByRole('tab')).toHaveText(['Ledger']);
  await signIn(page, DESK);
  await expect(page.getByRole('tab', { selected: true })).toHaveText('Enrolment');
  await expect(page.getByRole('tab', { name: 'Sources' })).toHaveCount(0);
  await signIn(page, OPERATOR);
  await page.getByRole('tab', { name: 'Security Server' }).click();
  await page.reload();
  await expect(page.getByRole('tab', { selected: true })).toHaveText('Security Server');
  await expect(page).toHaveURL(/#\/sync$/);
});

test('at 800×600 every screen fits the window: nothing is cut off sideways', async ({ page }) => {
  await page.setViewportSize({ width: 800, height: 600 });
  await page.goto(host.url);
  await signIn(page);
  for (const t of await page.getByRole('tab').allTextContents()) {
    await page.getByRole('tab', { name: t }).click();
    await expect(page.getByRole('tabpanel', { name: t })).toBeVisible();
    await page.waitForTimeout(200);
    expect(await fitsSideways(page), `${t} at 800×600`).toBe(true);
    await page.screenshot({ path: test.info().outputPath(`screen-${t.toLowerCase().replace(/ /g, '-')}-800x600.png`) });
  }
});
