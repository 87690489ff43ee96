// The auditor's ledger browser in Chromium against the built browser host and the real core: a ledger of
// realistic entries over 120 days (long-ledger.ts) on a station whose pool a real Security Server holds
// (hub.ts). The auditor moves through it by keyboard, narrows it by client, type and time span, opens an
// entry's raw form, verifies the chain (watching its progress), takes and saves a checkpoint, exports CSV
// and PDF (both read back), reconciles with the Security Server and reads the pictures; the screen is
// clean under axe-core in both themes and readable at 800×600. A second station holds N entries
// (DSKE_LEDGER_ENTRIES, 20,000 by default; run it with 1000000 for the figures in the report): its
// timings are printed, not asserted.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { AUDITOR, fitsSideways, signIn, startBuiltHost, type RunningHost } from './browser-host';
import { readyHub, type RunningHub } from './hub';
import { buildLongLedger, type LongLedger } from './long-ledger';
import { parseCsv } from '../test/support/csv';

const N = Number(process.env.DSKE_LEDGER_ENTRIES ?? 20000);
const SMALL = 3000;

/** The host on memory-backed storage: every append is fsynced three times, which a disk makes slow (as bench/ledger.ts). */
async function hostOnShm(afterInit: (dataDir: string) => Promise<void>): Promise<RunningHost> {
  const before = process.env.TMPDIR;
  if (existsSync('/dev/shm')) process.env.TMPDIR = '/dev/shm';
  try {
    return await startBuiltHost(undefined, { afterInit });
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
  }
}

/** A time as a datetime-local field takes it (local time, to the second). */
function localField(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

const grid = (page: Page) => page.getByTestId('ledger-grid');
const selectedRow = (page: Page) => page.locator('[data-testid="ledger-entry"][aria-selected="true"]');

async function total(page: Page): Promise<number> {
  await expect(page.getByTestId('ledger-total')).not.toHaveAttribute('data-total', '');
  return Number(await page.getByTestId('ledger-total').getAttribute('data-total'));
}

test.describe('the auditor’s ledger browser', () => {
  let host: RunningHost;
  let hub: RunningHub | undefined;
  let built: LongLedger;
  let out: string;
  test.beforeAll(async () => {
    test.setTimeout(180_000);
    out = mkdtempSync(join(tmpdir(), 'dske-e2e-audit-'));
    host = await hostOnShm(async (dir) => {
      built = await buildLongLedger(dir, SMALL);
      hub = await readyHub(dir, { poolBytes: '4MiB' });
    });
  });
  test.afterAll(async () => {
    await host?.stop();
    await hub?.stop();
    rmSync(out, { recursive: true, force: true });
  });

  test('moves by keyboard, filters, opens the raw form, verifies, checkpoints, exports, reconciles and shows the pictures', async ({ page }) => {
    test.setTimeout(90_000);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(host.url);
    await signIn(page, AUDITOR);
    await expect(page.getByRole('tab', { name: 'Ledger' })).toHaveAttribute('aria-selected', 'true');
    const all = await total(page);
    expect(all).toBeGreaterThan(SMALL);
    // It opens at the newest entry, selected.
    await expect(selectedRow(page)).toHaveAttribute('data-seq', String(all - 1));

    // Far down by keyboard: Home, Page Down again and again, arrows, then End. Unfiltered, a row's position is its seq.
    await grid(page).focus();
    await page.keyboard.press('Home');
    await expect(selectedRow(page)).toHaveAttribute('data-seq', '0');
    await expect(selectedRow(page)).toHaveAttribute('data-type', 'station.created');
    for (let i = 0; i < 40; i++) await page.keyboard.press('PageDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowUp');
    const at = Number(await grid(page).getAttribute('data-active'));
    expect(at).toBeGreaterThan(40 * 10);
    await expect(selectedRow(page)).toHaveAttribute('data-seq', String(at));
    await expect(selectedRow(page)).toBeInViewport();
    await expect(selectedRow(page)).toHaveAttribute('aria-rowindex', String(at + 2));
    await page.keyboard.press('End');
    await expect(selectedRow(page)).toHaveAttribute('data-seq', String(all - 1));
    await expect(selectedRow(page)).toBeInViewport();

    // By client: exactly that client's entries.
    await page.getByLabel('Client', { exact: true }).fill(built.client);
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await expect(page.getByTestId('ledger-total')).toContainText(`${built.clientEntries} of`);
    await expect(page.getByTestId('ledger-total')).toHaveAttribute('data-total', String(built.clientEntries));
    const shown = page.getByTestId('ledger-entry');
    await expect.poll(() => shown.count()).toBeGreaterThan(5);
    for (const text of await shown.allTextContents()) expect(text).toContain(built.client);

    // Then by type and a time span (30 to 90 days ago, in the window's own zone).
    const day = 86_400_000;
    const since = Date.now() - 90 * day;
    const until = Date.now() - 30 * day;
    await page.getByLabel('Entry type').selectOption('delivery.range-delivered');
    await page.getByLabel(/^From/).fill(localField(since));
    await page.getByLabel(/^Before/).fill(localField(until));
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await expect(page.getByTestId('ledger-total')).toContainText('type delivery.range-delivered');
    const narrowed = await total(page);
    expect(narrowed).toBeGreaterThan(0);
    expect(narrowed).toBeLessThan(built.clientEntries);
    for (const text of await shown.allTextContents()) {
      expect(text).toContain(`delivered to client ${built.client}`);
    }

    // The raw form of the selected entry, by Enter; Escape returns to the list.
    await grid(page).focus();
    await page.keyboard.press('Home');
    const seq = await selectedRow(page).getAttribute('data-seq');
    await page.keyboard.press('Enter');
    const raw = page.getByTestId('ledger-raw');
    await expect(raw).toBeVisible();
    await expect(raw.getByRole('heading')).toContainText(`Entry #${Number(seq).toLocaleString('en-US')}: delivery.range-delivered`);
    const json = JSON.parse((await page.getByTestId('ledger-raw-json').textContent())!) as { seq: number; data: { client: string } };
    expect(json.seq).toBe(Number(seq));
    expect(json.data.client).toBe(built.client);
    await page.keyboard.press('Escape');
    await expect(raw).toHaveCount(0);
    await expect(grid(page)).toBeFocused();

    // Verification: its progress announced while it runs, then its result.
    // (A string: this project type-checks the specs without the DOM's names.)
    await page.evaluate(`(() => {
      const seen = (window.seen = []);
      const region = document.querySelector('[data-testid="ledger-verify-progress"]');
      new MutationObserver(() => seen.push(region.textContent || '')).observe(region, { childList: true, subtree: true, characterData: true });
    })()`);
    await page.getByRole('button', { name: 'Verify the ledger' }).click();
    await expect(page.getByTestId('ledger-verification')).toContainText(/Verified: [\d,]+ entries, chain intact/);
    await expect(page.getByTestId('ledger-verify-progress')).toHaveText('The verification finished: the chain is intact.');
    const seen = (await page.evaluate('window.seen')) as string[];
    expect(seen.some((s) => /^(Starting…|Checked [\d,]+ of [\d,]+ entries)/.test(s))).toBe(true);

    // A checkpoint taken, saved to a file, and the ledger checked against that file.
    await page.getByRole('button', { name: 'Take a checkpoint' }).click();
    await expect(page.getByTestId('ledger-checkpoint')).toContainText('Merkle root');
    const cpFile = join(out, 'checkpoint.json');
    await page.getByLabel('Save a checkpoint to').fill(cpFile);
    await page.getByRole('button', { name: 'Save the checkpoint' }).click();
    await expect(page.getByTestId('ledger-checkpoint-saved')).toContainText(cpFile);
    const cp = JSON.parse(readFileSync(cpFile, 'utf8')) as { treeSize: number; mac: string };
    expect(cp.treeSize).toBeGreaterThanOrEqual(all);
    await page.getByLabel('Check the ledger against a checkpoint kept earlier').setInputFiles(cpFile);
    await expect(page.getByTestId('ledger-against')).toContainText(`extends the checkpoint of ${cp.treeSize.toLocaleString('en-US')} entries`);

    // Export what the filter shows, as CSV and as PDF, and read both back.
    const csv = join(out, 'filtered.csv');
    await page.getByLabel('Write to').fill(csv);
    await page.getByRole('button', { name: 'Export CSV' }).click();
    await expect(page.getByTestId('ledger-export-result')).toContainText(`Wrote ${narrowed.toLocaleString('en-US')} entries to ${csv} (CSV)`);
    const [header, ...rows] = parseCsv(readFileSync(csv, 'utf8'));
    expect(header).toEqual(['seq', 'time', 'type', 'what', 'operator', 'approver', 'client', 'facts', 'hash']);
    expect(rows).toHaveLength(narrowed);
    for (const r of rows) {
      expect(r[2]).toBe('delivery.range-delivered');
      expect(r[6]).toBe(built.client);
      expect(Date.parse(r[1]!)).toBeGreaterThanOrEqual(Math.floor(since / 1000) * 1000);
      expect(Date.parse(r[1]!)).toBeLessThan(until);
    }
    const pdf = join(out, 'filtered.pdf');
    await page.getByLabel('Write to').fill(pdf);
    await page.getByRole('button', { name: 'Export PDF' }).click();
    await expect(page.getByTestId('ledger-export-result')).toContainText(`entries to ${pdf} (PDF)`);
    const text = spawnSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
    expect(text.status).toBe(0);
    const flat = text.stdout.replace(/\s+/g, ' ');
    expect(flat).toContain(`client ${built.client}, type delivery.range-delivered`);
    for (const r of rows) {
      expect(flat).toContain(`#${r[0]} ${r[1]}`);
    }
    expect(flat.split(`delivered to client ${built.client}`).length - 1).toBe(narrowed);

    // Reconciliation: the allocation record, and this station's record beside the Security Server's.
    await page.getByRole('button', { name: 'Check the allocation record' }).click();
    await expect(page.getByTestId('ledger-reconcile-local')).toContainText('The allocation record holds');
    await page.getByRole('button', { name: 'Reconcile with the Security Server' }).click();
    await expect(page.getByTestId('ledger-reconcile-server')).toContainText(`No difference with the Security Server at ${hub!.url}`);
    await expect(page.getByTestId('ledger-reconcile-server')).toContainText('1 shipments compared');

    // The pictures, each summarised in words, with its figures as a table on demand.
    const pool = page.getByTestId('chart-pool-level');
    await expect(pool.getByRole('img')).toHaveAttribute('aria-label', /Pool level over time: From \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d \(UTC\) the pool went from 4\.00 MiB to 8\.00 MiB/);
    const deliveries = page.getByTestId('chart-deliveries');
    await expect(deliveries.getByRole('img')).toHaveAttribute('aria-label', /Deliveries per day: [\d,]+ deliveries/);
    const clients = page.getByTestId('chart-clients');
    await expect(clients.getByRole('img')).toHaveAttribute('aria-label', /PSRD per client: c-\d{6} received the most/);
    await clients.getByRole('button', { name: 'Show the figures as a table' }).click();
    await expect(clients.getByRole('table').locator('tbody tr')).toHaveCount(11);
    await expect(clients.getByRole('table')).toContainText('other clients');
  });

  for (const theme of ['light', 'dark'] as const) {
    test(`is clean under axe-core in the ${theme} theme (screenshot kept)`, async ({ page }) => {
      await page.emulateMedia({ colorScheme: theme });
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.goto(host.url);
      await signIn(page, AUDITOR);
      await expect(page.getByTestId('ledger-entry').first()).toBeVisible();
      await page.getByTestId('chart-pool-level').getByRole('button', { name: 'Show the figures as a table' }).click();
      await page.getByTestId('ledger-entry').first().waitFor();
      // The whole screen in one picture: a window as tall as the page (a full-page capture would catch the list mid-resize).
      await page.setViewportSize({ width: 1280, height: 1900 });
      await expect(selectedRow(page)).toBeInViewport();
      await page.screenshot({ path: test.info().outputPath(`screen-ledger-${theme}.png`) });
      const result = await new AxeBuilder({ page }).analyze();
      const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
      // The raw form too.
      await grid(page).focus();
      await page.keyboard.press('Enter');
      await expect(page.getByTestId('ledger-raw')).toBeVisible();
      const dialog = await new AxeBuilder({ page }).include('[data-testid="ledger-raw"]').analyze();
      expect(dialog.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
    });
  }

  test('is readable at 800×600 and still moves by keyboard', async ({ page }) => {
    await page.setViewportSize({ width: 800, height: 600 });
    await page.goto(host.url);
    await signIn(page, AUDITOR);
    await expect(page.getByTestId('ledger-entry').first()).toBeVisible();
    const all = await total(page);
    const fits = await fitsSideways(page);
    expect(fits).toBe(true);
    await grid(page).focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('PageDown');
    await expect(selectedRow(page)).toBeInViewport();
    await page.keyboard.press('End');
    await expect(selectedRow(page)).toHaveAttribute('data-seq', String(all - 1));
    await page.screenshot({ path: test.info().outputPath('screen-ledger-800x600.png') });
  });
});

test.describe(`a ledger of ${N.toLocaleString('en-US')} entries`, () => {
  let host: RunningHost;
  let built: LongLedger;
  test.beforeAll(async () => {
    test.setTimeout(Math.max(120_000, N * 0.2));
    host = await hostOnShm(async (dir) => {
      built = await buildLongLedger(dir, N);
    });
    console.log(`built ${built.entries.toLocaleString('en-US')} entries in ${built.buildSeconds.toFixed(1)} s`);
  });
  test.afterAll(async () => {
    await host?.stop();
  });

  test('opens, filters by client and scrolls to the end (times printed)', async ({ page }) => {
    test.setTimeout(Math.max(60_000, N * 0.06));
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(host.url);
    await signIn(page, AUDITOR);
    await expect(page.getByTestId('ledger-entry').first()).toBeVisible();
    const total0 = await total(page);
    expect(total0).toBeGreaterThanOrEqual(built.entries);

    // Open: from a reload of the Ledger screen to its first rows.
    let t = Date.now();
    await page.reload();
    await expect(page.getByTestId('ledger-entry').first()).toBeVisible({ timeout: 30_000 });
    const openMs = Date.now() - t;

    // Filter by client: from Apply to that client's rows.
    await page.getByLabel('Client', { exact: true }).fill(built.client);
    t = Date.now();
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await expect(page.getByTestId('ledger-total')).toHaveAttribute('data-total', String(built.clientEntries), { timeout: 30_000 });
    await expect(page.getByTestId('ledger-entry').first()).toContainText(built.client);
    const filterMs = Date.now() - t;

    // Every entry again; from the first to the last by End.
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect(page.getByTestId('ledger-total')).toHaveAttribute('data-total', String(total0), { timeout: 30_000 });
    await grid(page).focus();
    await page.keyboard.press('Home');
    await expect(selectedRow(page)).toHaveAttribute('data-seq', '0', { timeout: 30_000 });
    t = Date.now();
    await page.keyboard.press('End');
    await expect(selectedRow(page)).toHaveAttribute('data-seq', String(total0 - 1), { timeout: 30_000 });
    const endMs = Date.now() - t;
    await expect(selectedRow(page)).toBeInViewport();

    console.log(`ledger of ${total0.toLocaleString('en-US')} entries: open to first rows ${openMs} ms; filter by client (${built.clientEntries} entries) to results ${filterMs} ms; Home to End ${endMs} ms`);
  });
});
