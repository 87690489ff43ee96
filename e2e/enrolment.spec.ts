// The desk's enrolment wizard in the window (issues S7 and S9), in Chromium through the built browser
// host, against the real core, a real Security Server on loopback holding the pool (hub.ts), and sticks
// that are loop-mounted ext4 file systems (station.json allows fixed drives: a test-only setting).
// The main flow end to end with a second person's approval and the "I'm here" code; the whole wizard
// with the keyboard alone; a stick pulled mid-write and the retry; a reload mid-wizard; every step
// under axe-core in both themes with screenshots; readable at 800×600. After each, the station's own
// record is read with the CLI (read-only commands, which take no lock while the host runs).
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDITOR, DESK, OPERATOR, SECOND, fitsSideways, passphraseOf, signIn, startBuiltHost, stationCli, type RunningHost } from './browser-host';
import { readyHub, type RunningHub } from './hub';
import { presenceCode } from '../src-shared/enrolment/presence-code';
import { SOFTHSM_MODULE, softHsmTokens, tokenObjectLabels } from '../test/support/media';

const KiB = 1024;
const MiB = 1024 * KiB;
/** Deliveries above this need a second person (the main flow's 64 KiB does; the keyboard's 32 KiB does not). */
const TWO_PERSON_ABOVE = 48 * KiB;
/** The package pulled out mid-write: large enough to be caught while it is written. */
const PULL_BYTES = 8 * MiB;

const sh = (cmd: string, ...args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const mounted = (mnt: string): boolean => readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === mnt);

interface Stick {
  readonly img: string;
  readonly dev: string;
  readonly mnt: string;
}

/** Loop-mounted ext4 images standing in for the clients' sticks; every one is undone in cleanup(). */
class Sticks {
  readonly work = mkdtempSync(join(tmpdir(), 'dske-e2e-sticks-'));
  private readonly made: Stick[] = [];
  make(sizeMiB: number, fs: 'ext4' | 'exfat' = 'ext4'): Stick {
    const n = this.made.length;
    const img = join(this.work, `stick${n}.img`);
    const mnt = join(this.work, `mnt${n}`);
    mkdirSync(mnt);
    sh('truncate', '-s', `${sizeMiB}M`, img);
    const dev = sh('losetup', '-f', '--show', img).trim();
    const s = { img, dev, mnt };
    this.made.push(s);
    if (fs === 'ext4') {
      sh('mkfs.ext4', '-q', '-F', dev);
      sh('mount', dev, mnt);
    } else {
      sh('mkfs.exfat', dev);
      sh('mount.exfat-fuse', dev, mnt);
    }
    return s;
  }
  /** The FUSE daemon serving an exFAT stick (paused, it holds every write to the stick where it is). */
  fuseDaemon(s: Stick): number {
    const line = sh('ps', '-eo', 'pid=,args=')
      .split('\n')
      .find((l) => l.includes('mount.exfat-fuse') && l.trim().endsWith(` ${s.mnt}`));
    return Number(line!.trim().split(/\s+/)[0]);
  }
  /** What a stick pulled out mid-write looks like to the station: the mount gone at once, open files kept. */
  pull(s: Stick): void {
    sh('umount', '-l', s.mnt);
  }
  plugBack(s: Stick): void {
    sh('mount', s.dev, s.mnt);
  }
  packages(s: Stick): string[] {
    return readdirSync(s.mnt).filter((f) => f.startsWith('dske-'));
  }
  cleanup(): void {
    for (const s of this.made) {
      if (mounted(s.mnt)) spawnSync('umount', [s.mnt]).status === 0 || spawnSync('umount', ['-l', s.mnt]);
      spawnSync('losetup', ['-d', s.dev]);
    }
    rmSync(this.work, { recursive: true, force: true });
  }
}

// The sticks are loop devices, which only root may attach. The test command runs as root: there the spec
// always runs, and a machine without loop devices fails it rather than skipping the desk's flows.
test.skip(process.getuid?.() !== 0, 'the sticks are loop devices, which only root may attach (the test command runs as root)');

let host: RunningHost;
let hub: RunningHub;
let sticks: Sticks;
/** Where the keys, the sheets and the receipts go (a folder of the station's machine). */
let out: string;
/** The SoftHSM2 store holding the client's token. */
let tokens: string;
const TOKEN = 'client-token';
const TOKEN_PIN = '246810';

test.beforeAll(async () => {
  test.setTimeout(90_000);
  // The stick held still below (its FUSE daemon stopped) holds file threads in every process that touches
  // it; the host gets 16 from its launcher, and this process (and what it starts) as many.
  process.env.UV_THREADPOOL_SIZE = '16';
  sticks = new Sticks();
  // The clients' tokens: a SoftHSM2 store of the spec's own (the host inherits SOFTHSM2_CONF).
  tokens = mkdtempSync(join(tmpdir(), 'dske-e2e-tokens-'));
  softHsmTokens(tokens, [TOKEN], TOKEN_PIN);
  out = mkdtempSync(join(tmpdir(), 'dske-e2e-enrol-out-'));
  host = await startBuiltHost(
    (dataDir) =>
      writeFileSync(
        join(dataDir, 'station.json'),
        JSON.stringify({ pool: { segmentBytes: 8 * MiB, chunkBytes: 64 * KiB }, delivery: { allowFixedDrives: true, twoPersonAboveBytes: TWO_PERSON_ABOVE } }),
      ),
    { afterInit: async (dataDir) => void (hub = await readyHub(dataDir, { poolBytes: '48MiB' })) },
  );
});

test.afterAll(async () => {
  await host?.stop();
  await hub?.stop();
  sticks?.cleanup();
  rmSync(out, { recursive: true, force: true });
  rmSync(tokens, { recursive: true, force: true });
});

/** The station's record, read with the built CLI as `who` (read-only: no lock, while the host runs). */
function cli<T>(who: string, ...args: string[]): T {
  return (JSON.parse(stationCli(host.dataDir, who, '--json', ...args)) as { value: T }).value;
}

interface AppRecord {
  application: string;
  step: string;
  client?: string;
  name: string | null;
  identity?: { document: string; last4: string; checkedBy: string; outcome: string };
  keysHandedOver?: { target: string };
  packages: string[];
  receipts: string[];
  presentAt?: string;
  refusedReason?: string;
}
interface ClientRecord {
  client: string;
  packageList: { package: string; state: string; bytes: number; medium: { kind: string; target: string; serial?: string }; reason?: string }[];
}

const heading = (page: Page): Locator => page.getByTestId('enrol-step-heading');
const currentStep = (page: Page): Locator => page.getByTestId('enrol-steps').locator('[aria-current="step"]');
const appInAddress = (page: Page): string => /#\/enrol\/(app-[0-9a-f]{16})/.exec(page.url())![1]!;

/** The initial keys as the envelope's file holds them ("DSKEIKF1" | u32 BE header length | header | 64 key bytes | SHA-256). */
function keysOf(file: string): Uint8Array {
  const b = readFileSync(file);
  const n = b.readUInt32BE(8);
  return new Uint8Array(b.subarray(12 + n, 12 + n + 64));
}

async function openFresh(page: Page): Promise<void> {
  await page.goto(host.url);
  await signIn(page, DESK);
  await expect(page.getByRole('tab', { name: 'Enrolment' })).toHaveAttribute('aria-selected', 'true');
}

async function apply(page: Page, name: string): Promise<void> {
  await page.getByLabel('Applicant’s name, as on their identity document').fill(name);
  await page.getByRole('radio', { name: 'USB stick' }).check();
  await page.getByRole('button', { name: 'Open the application' }).click();
  await expect(heading(page)).toHaveText('Identity check');
}

async function checkIdentity(page: Page, number: string): Promise<void> {
  await page.getByRole('radio', { name: 'Passport' }).check();
  for (const c of ['The photo matches the person in front of the desk.', 'The passport has not expired.', 'The machine-readable zone agrees with the printed name, number and dates.', 'The name agrees with the application.']) {
    await page.getByRole('checkbox', { name: c }).check();
  }
  await page.getByLabel(/^Document number/).fill(number);
  await page.getByRole('button', { name: 'Accept the identity' }).click();
  await expect(heading(page)).toHaveText('Client ID');
}

async function register(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Register the client' }).click();
  await expect(heading(page)).toHaveText('Initial keys');
  return (await page.getByTestId('enrol-who').locator('strong').textContent())!;
}

async function handOverKeys(page: Page, file: string): Promise<void> {
  await page.getByLabel('File for the initial keys (on the envelope’s medium)').fill(file);
  await page.getByRole('button', { name: 'Write the initial keys' }).click();
  await expect(heading(page)).toHaveText('Medium');
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const driveRadio = (page: Page, dev: string): Locator => page.getByRole('radio', { name: new RegExp(`^${escape(dev)} `) });

async function chooseStick(page: Page, amount: string, stick: Stick): Promise<void> {
  await page.getByLabel(/^Amount of PSRD/).fill(amount);
  await page.getByRole('radio', { name: 'USB stick' }).check();
  await expect(driveRadio(page, stick.dev)).toBeEnabled();
  // Never pre-selected: no drive is chosen until the desk chooses one.
  await expect(page.getByTestId('enrol-drives').getByRole('radio', { checked: true })).toHaveCount(0);
  await driveRadio(page, stick.dev).check();
}

async function finishDelivery(page: Page): Promise<string> {
  await expect(heading(page)).toHaveText('Delivered: written, verified, the station’s copy destroyed', { timeout: 30_000 });
  await expect(page.getByTestId('enrol-package-state')).toContainText('delivered');
  const pkg = (await page.getByTestId('enrol-delivered').locator('dd.facts').first().textContent())!;
  await page.getByRole('button', { name: 'Continue to the hand receipt' }).click();
  await expect(heading(page)).toHaveText('Hand receipt');
  return pkg;
}

async function receipt(page: Page, file: string): Promise<void> {
  await page.getByLabel('PDF of the hand receipt (to print; both sign it)').fill(file);
  await page.getByRole('button', { name: 'Write the hand receipt' }).click();
  await expect(heading(page)).toHaveText('Done');
}

test('the desk’s main flow: application to receipt on a real stick, with a second person’s approval and the “I’m here” code; the station’s record agrees', async ({ page }) => {
  const stick = sticks.make(16);
  await openFresh(page);
  await expect(currentStep(page)).toHaveText('New application');
  await apply(page, 'Grace Hopper');
  const app = appInAddress(page);
  await expect(page.getByTestId('enrol-who')).toContainText('Grace Hopper');
  await checkIdentity(page, 'P1234567');
  await expect(page.getByTestId('enrol-identity-summary')).toContainText(`Identity accepted by ${DESK}`);
  await expect(page.getByTestId('enrol-identity-summary')).toContainText('number ending 4567');
  const client = await register(page);
  expect(client).toMatch(/^c-\d{6}$/);
  await handOverKeys(page, join(out, 'grace.keys'));
  await expect(page.getByTestId('enrol-keys-note')).toContainText(join(out, 'grace.keys'));
  await expect(currentStep(page)).toHaveText('Medium');

  await chooseStick(page, '64KiB', stick);
  await expect(page.getByText('64.0 KiB (65,536 bytes) of PSRD.')).toBeVisible();
  await page.getByRole('button', { name: 'Write the PSRD' }).click();
  // Above the threshold the station asks for a second person; the desk types their name and passphrase inline.
  await expect(page.getByTestId('enrol-delivery-error')).toHaveAttribute('data-code', 'approval-required');
  await expect(page.getByTestId('enrol-delivery-error')).toContainText('needs a second person');
  await expect(page.getByTestId('enrol-approval')).toBeVisible();
  await page.getByLabel('Approving operator’s name').fill(SECOND);
  await page.getByLabel('Approving operator’s passphrase').fill('not the passphrase');
  await page.getByRole('button', { name: 'Approve and write the PSRD' }).click();
  await expect(page.getByTestId('enrol-delivery-error')).toHaveAttribute('data-code', /approval-refused|bad-credentials/);
  await expect(page.getByTestId('enrol-delivery-error')).toContainText('What to do');
  // A refused approval changes nothing: the stick stays chosen, the passphrase is typed again.
  await expect(driveRadio(page, stick.dev)).toBeChecked();
  await expect(page.getByLabel('Approving operator’s passphrase')).toHaveValue('');
  await page.getByLabel('Approving operator’s passphrase').fill(passphraseOf(SECOND));
  await page.getByRole('button', { name: 'Approve and write the PSRD' }).click();
  const pkg = await finishDelivery(page);
  expect(pkg).toMatch(/^pkg-[0-9a-f]{32}$/);
  await expect(page.getByTestId('enrol-receipt-package')).toContainText(`usb:${stick.dev}`);

  // The optional "I'm here" code, as the client's program derives it from the envelope's keys.
  await page.getByLabel(/“I’m here” code/).fill('00000000');
  await page.getByRole('button', { name: 'Check the code' }).click();
  await expect(page.getByTestId('enrol-code-error')).toHaveAttribute('data-code', 'presence-mismatch');
  await page.getByLabel(/“I’m here” code/).fill(presenceCode(keysOf(join(out, 'grace.keys')), 'hub', client));
  await page.getByRole('button', { name: 'Check the code' }).click();
  await expect(page.getByTestId('enrol-present')).toBeVisible();
  await receipt(page, join(out, 'grace-receipt.pdf'));
  await expect(page.getByTestId('enrol-done')).toContainText(`Grace Hopper is enrolled as client ${client}`);
  await expect(currentStep(page)).toHaveText('Done');

  // What the station recorded.
  const rec = cli<AppRecord>(DESK, 'enrol', 'show', app);
  expect(rec).toMatchObject({ step: 'receipted', client, name: 'Grace Hopper', packages: [pkg], identity: { document: 'passport', last4: '4567', checkedBy: DESK, outcome: 'accepted' }, keysHandedOver: { target: join(out, 'grace.keys') } });
  expect(rec.presentAt).toBeTruthy();
  expect(rec.receipts).toHaveLength(1);
  const c = cli<ClientRecord>(DESK, 'clients', 'show', client);
  expect(c.packageList).toEqual([expect.objectContaining({ package: pkg, state: 'delivered', bytes: 64 * KiB, medium: expect.objectContaining({ kind: 'usb', target: stick.dev }) })]);
  const verified = cli<{ ok: boolean; receipt: string; client: string; package: string }>(DESK, 'receipts', 'verify', join(out, 'grace-receipt.pdf'));
  expect(verified).toMatchObject({ ok: true, receipt: rec.receipts[0], client, package: pkg });
  const sync = cli<{ waiting: { kind: string; package?: string }[] }>(OPERATOR, 'sync', 'status');
  expect(sync.waiting.filter((w) => w.package === pkg).map((w) => w.kind)).toEqual(['delivered']);
  // The package is on the stick (the station may have unmounted it after the read-back).
  if (!mounted(stick.mnt)) sticks.plugBack(stick);
  expect(sticks.packages(stick)).toEqual([`dske-${pkg}.pkg`]);
});

/** Presses Tab until `target` has the focus: it is reachable by Tab alone (fails after `max` presses). */
async function tabTo(page: Page, target: Locator, max = 25): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === el.ownerDocument.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  await expect(target).toBeFocused();
}

test('the whole wizard with the keyboard alone: each new step’s heading takes the focus, every control is reached by Tab', async ({ page }) => {
  const stick = sticks.make(16);
  await page.goto(host.url);
  // Signing in by keyboard too (the session may be open from the test before: signed out first).
  // `exact`: the wizard's own "Applicant's name" field must not be taken for the sign-in's.
  const nameField = page.getByLabel('Name', { exact: true });
  await page.getByTestId('signed-in').or(nameField).first().waitFor();
  if (await page.getByTestId('signed-in').isVisible()) {
    await page.getByRole('button', { name: 'Sign out' }).press('Enter');
  }
  await nameField.fill(DESK);
  await page.getByLabel('Passphrase', { exact: true }).fill(passphraseOf(DESK));
  await page.getByLabel('Passphrase', { exact: true }).press('Enter');
  await expect(page.getByRole('tab', { name: 'Enrolment' })).toHaveAttribute('aria-selected', 'true');
  const kb = page.keyboard;

  await tabTo(page, page.getByLabel('Applicant’s name, as on their identity document'));
  await kb.type('Alan Turing');
  await tabTo(page, page.getByRole('radio', { name: 'USB stick' }));
  await expect(page.getByRole('radio', { name: 'USB stick' })).toBeChecked();
  await tabTo(page, page.getByRole('button', { name: 'Open the application' }));
  await kb.press('Enter');
  await expect(heading(page)).toHaveText('Identity check');
  await expect(heading(page)).toBeFocused();

  await tabTo(page, page.getByRole('radio', { name: 'Passport' }));
  await kb.press('ArrowRight'); // Identity card
  await expect(page.getByRole('radio', { name: 'Identity card' })).toBeChecked();
  for (const c of ['The photo matches the person in front of the desk.', 'The card has not expired.', 'The card’s security features (hologram, tactile print) are present.', 'The name agrees with the application.']) {
    await tabTo(page, page.getByRole('checkbox', { name: c }));
    await kb.press('Space');
    await expect(page.getByRole('checkbox', { name: c })).toBeChecked();
  }
  await tabTo(page, page.getByLabel(/^Document number/));
  await kb.type('ID-998877');
  await kb.press('Enter');
  await expect(heading(page)).toHaveText('Client ID');
  await expect(heading(page)).toBeFocused();
  await tabTo(page, page.getByRole('button', { name: 'Register the client' }));
  await kb.press('Enter');
  await expect(heading(page)).toHaveText('Initial keys');
  await expect(heading(page)).toBeFocused();
  const client = (await page.getByTestId('enrol-who').locator('strong').textContent())!;

  await tabTo(page, page.getByLabel('File for the initial keys (on the envelope’s medium)'));
  await kb.type(join(out, 'alan.keys'));
  await kb.press('Enter');
  await expect(heading(page)).toHaveText('Medium');
  await expect(heading(page)).toBeFocused();

  await tabTo(page, page.getByLabel(/^Amount of PSRD/));
  await kb.type('32KiB');
  await tabTo(page, page.getByRole('radio', { name: 'USB stick' }));
  await tabTo(page, page.getByRole('button', { name: 'Refresh the list' }));
  await kb.press('Enter');
  await expect(driveRadio(page, stick.dev)).toBeEnabled();
  // Into the drive group (none is chosen), then the arrow keys to the client's stick.
  await kb.press('Tab');
  const focusedRadio = async (): Promise<string | null> => {
    const radio = page.locator('input[name="drive"]:focus');
    return (await radio.count()) ? radio.getAttribute('value') : null;
  };
  expect(await focusedRadio()).not.toBeNull();
  for (let i = 0; i < 40 && (await focusedRadio()) !== stick.dev; i++) await kb.press('ArrowDown');
  if (!(await driveRadio(page, stick.dev).isChecked())) await kb.press('Space');
  await expect(driveRadio(page, stick.dev)).toBeChecked();
  await tabTo(page, page.getByRole('button', { name: 'Write the PSRD' }));
  await kb.press('Enter');
  await expect(heading(page)).toHaveText('Delivered: written, verified, the station’s copy destroyed', { timeout: 30_000 });
  await expect(heading(page)).toBeFocused();
  await tabTo(page, page.getByRole('button', { name: 'Continue to the hand receipt' }));
  await kb.press('Enter');
  await expect(heading(page)).toHaveText('Hand receipt');
  await expect(heading(page)).toBeFocused();
  await tabTo(page, page.getByLabel('PDF of the hand receipt (to print; both sign it)'));
  await kb.type(join(out, 'alan-receipt.pdf'));
  await kb.press('Enter');
  await expect(heading(page)).toHaveText('Done');
  await expect(heading(page)).toBeFocused();
  await expect(page.getByTestId('enrol-done')).toContainText(`Alan Turing is enrolled as client ${client}`);

  const rec = cli<AppRecord>(DESK, 'enrol', 'show', appInAddress(page));
  expect(rec).toMatchObject({ step: 'receipted', client, identity: { document: 'id-card', last4: '8877', outcome: 'accepted' } });
  const c = cli<ClientRecord>(DESK, 'clients', 'show', client);
  expect(c.packageList.map((p) => [p.state, p.bytes, p.medium.target])).toEqual([['delivered', 32 * KiB, stick.dev]]);
  expect(existsSync(join(out, 'alan-receipt.pdf'))).toBe(true);
});

/** The browser host's process (found by its own data directory, which no other process names). */
function hostPid(): number {
  const line = sh('ps', '-eo', 'pid=,args=')
    .split('\n')
    .find((l) => l.includes('out/main/browser-host.js') && l.includes(host.dataDir));
  return Number(line!.trim().split(/\s+/)[0]);
}

test('a stick pulled out mid-write: the desk is told in plain words what happened and what to do, the range is voided, and the retry on the same stick plugged back in succeeds', async ({ page }) => {
  test.setTimeout(90_000);
  const stick = sticks.make(24);
  await openFresh(page);
  await apply(page, 'Ada Lovelace');
  await checkIdentity(page, 'P7654321');
  const client = await register(page);
  await handOverKeys(page, join(out, 'ada.keys'));
  await chooseStick(page, '8MiB', stick);
  await page.getByRole('button', { name: 'Write the PSRD' }).click();
  await page.getByLabel('Approving operator’s name').fill(SECOND);
  await page.getByLabel('Approving operator’s passphrase').fill(passphraseOf(SECOND));
  await driveRadio(page, stick.dev).check();

  // Caught while its package file is being written: the station is paused (SIGSTOP) a quarter of the
  // way, the progress is checked as shown, the stick is pulled, and the station goes on.
  const pid = hostPid();
  let paused = false;
  let partialAt = 0;
  const watch = setInterval(() => {
    if (paused) return;
    const partial = readdirSync(stick.mnt).find((f) => f.endsWith('.partial'));
    if (!partial) return;
    const size = statSync(join(stick.mnt, partial), { throwIfNoEntry: false })?.size ?? 0;
    if (size >= PULL_BYTES / 4) {
      process.kill(pid, 'SIGSTOP');
      paused = true;
      partialAt = size;
    }
  }, 1);
  try {
    await page.getByRole('button', { name: 'Approve and write the PSRD' }).click();
    await expect.poll(() => paused, { message: 'the stick was not caught while its package was written', timeout: 20_000 }).toBe(true);
  } finally {
    clearInterval(watch);
  }
  try {
    expect(partialAt).toBeLessThan(PULL_BYTES);
    await expect(heading(page)).toHaveText('Writing the PSRD to the medium');
    await expect(currentStep(page)).toHaveText('Write');
    const bar = page.getByTestId('enrol-progress');
    await expect(bar).toHaveAttribute('data-phase', 'write');
    await expect(bar).toContainText(/Writing the package to the medium · [\d.]+ (B|KiB|MiB) of 8\.00 MiB written · ([\d.]+ [KMG]iB\/s|speed: measuring) · /);
    await expect(page.getByTestId('enrol-announce')).toHaveAttribute('role', 'status');
    await expect(page.getByTestId('enrol-announce')).toHaveText(/^Writing the package to the medium: (0|[1-4]0) % done\.$/);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: test.info().outputPath(`screen-enrol-write-progress-${scheme}.png`), fullPage: true });
      expect(await seriousViolations(page)).toEqual([]);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    sticks.pull(stick);
  } finally {
    process.kill(pid, 'SIGCONT');
  }

  const error = page.getByTestId('enrol-delivery-error');
  await expect(error).toHaveAttribute('data-code', 'medium-unplugged', { timeout: 30_000 });
  await expect(error).toContainText('The medium was removed or stopped answering before the delivery finished. Plug it back in, or use another, and deliver again.');
  await expect(heading(page)).toHaveText('Medium');
  await expect(page.getByTestId('enrol-recovery')).toContainText('voided');
  await expect(page.getByTestId('enrol-voided')).toContainText('8.00 MiB (8,388,608 bytes)');
  await expect(page.getByTestId('enrol-voided')).toContainText('The medium was removed or stopped answering');
  const voided = cli<ClientRecord>(DESK, 'clients', 'show', client).packageList;
  expect(voided.map((p) => [p.state, p.bytes, p.reason])).toEqual([['voided', PULL_BYTES, expect.stringContaining('The medium was removed or stopped answering')]]);
  // Nothing of the pulled write is on the stick.
  sticks.plugBack(stick);
  expect(readdirSync(stick.mnt).filter((f) => f.startsWith('dske-'))).toEqual([]);

  // The same stick, plugged back in: chosen again after a refresh, and the delivery goes through.
  await page.getByRole('button', { name: 'Refresh the list' }).click();
  await expect(driveRadio(page, stick.dev)).not.toBeChecked();
  await driveRadio(page, stick.dev).check();
  await page.getByRole('button', { name: 'Write the PSRD' }).click();
  await page.getByLabel('Approving operator’s name').fill(SECOND);
  await page.getByLabel('Approving operator’s passphrase').fill(passphraseOf(SECOND));
  await driveRadio(page, stick.dev).check();
  await page.getByRole('button', { name: 'Approve and write the PSRD' }).click();
  const pkg = await finishDelivery(page);
  await receipt(page, join(out, 'ada-receipt.pdf'));

  const after = cli<ClientRecord>(DESK, 'clients', 'show', client).packageList;
  expect(after.map((p) => p.state).sort()).toEqual(['delivered', 'voided']);
  expect(after.find((p) => p.state === 'delivered')).toMatchObject({ package: pkg, bytes: PULL_BYTES, medium: { target: stick.dev } });
  const sync = cli<{ waiting: { kind: string; package?: string }[] }>(OPERATOR, 'sync', 'status');
  expect(sync.waiting.filter((w) => after.some((p) => p.package === w.package)).map((w) => w.kind).sort()).toEqual(['delivered', 'voided']);
});

test('a reload in the middle of the wizard comes back at the step the station recorded, also while the PSRD is being written, and the desk may cancel that delivery', async ({ page }) => {
  await openFresh(page);
  await apply(page, 'Katherine Johnson');
  const app = appInAddress(page);
  await page.reload();
  await expect(heading(page)).toHaveText('Identity check');
  await expect(currentStep(page)).toHaveText('Identity check');
  await expect(page.getByTestId('enrol-who')).toContainText('Katherine Johnson');
  await checkIdentity(page, 'P5550001');
  const client = await register(page);
  await page.reload();
  await expect(heading(page)).toHaveText('Initial keys');
  await expect(page.getByTestId('enrol-who')).toContainText(client);
  await handOverKeys(page, join(out, 'katherine.keys'));
  await page.reload();
  await expect(heading(page)).toHaveText('Medium');
  await expect(currentStep(page)).toHaveText('Medium');
  await expect(page.getByTestId('enrol-keys-note')).toContainText(join(out, 'katherine.keys'));
  // From the list of open applications, too.
  await page.getByRole('button', { name: 'All applications' }).click();
  await expect(heading(page)).toHaveText('New application');
  const row = page.getByTestId('enrol-open-list').locator(`tr[data-application="${app}"]`);
  await expect(row).toContainText('Medium');
  await expect(row).toContainText('Deliver the PSRD on the medium the applicant asked for.');
  await row.getByRole('button', { name: 'Resume the application of Katherine Johnson' }).click();
  await expect(heading(page)).toHaveText('Medium');
  expect(cli<AppRecord>(DESK, 'enrol', 'show', app).step).toBe('keys-handed-over');

  // A reload while the PSRD is being written: the stick (exFAT through FUSE) is held still a quarter of
  // the way by pausing its file system's daemon; the reloaded window finds the delivery running in the
  // station's jobs, and follows it to its end once the stick goes on.
  const stick = sticks.make(24, 'exfat');
  await chooseStick(page, '8MiB', stick);
  await page.getByRole('button', { name: 'Write the PSRD' }).click();
  await page.getByLabel('Approving operator’s name').fill(SECOND);
  await page.getByLabel('Approving operator’s passphrase').fill(passphraseOf(SECOND));
  const daemon = sticks.fuseDaemon(stick);
  let held = false;
  const watch = setInterval(() => {
    const partial = readdirSync(stick.mnt).find((f) => f.endsWith('.partial'));
    if (partial && (statSync(join(stick.mnt, partial), { throwIfNoEntry: false })?.size ?? 0) >= 2 * MiB) {
      process.kill(daemon, 'SIGSTOP');
      held = true;
      clearInterval(watch); // the stick answers nothing now: nothing here may look at it
    }
  }, 1);
  try {
    await page.getByRole('button', { name: 'Approve and write the PSRD' }).click();
    await expect.poll(() => held, { message: 'the stick was not held while its package was written', timeout: 20_000 }).toBe(true);
    await expect(heading(page)).toHaveText('Writing the PSRD to the medium');
    await page.reload({ waitUntil: 'commit' });
    await expect(heading(page)).toHaveText('Writing the PSRD to the medium');
    await expect(currentStep(page)).toHaveText('Write');
    await expect(page.getByTestId('enrol-progress')).toHaveAttribute('data-phase', 'write');
    await expect(page.getByTestId('enrol-progress')).toContainText(/ of 8\.00 MiB written/);
    await expect(page.getByTestId('enrol-who')).toContainText(client);
    // The desk stops it while the stick hangs: the station stops as soon as the stick answers again.
    await page.getByRole('button', { name: 'Cancel this delivery' }).click();
    await expect(page.getByRole('button', { name: 'Cancelling…' })).toBeDisabled();
  } finally {
    clearInterval(watch);
    process.kill(daemon, 'SIGCONT');
  }
  await expect(page.getByTestId('enrol-delivery-error')).toHaveAttribute('data-code', 'cancelled');
  await expect(heading(page)).toHaveText('Medium');
  const voided = cli<{ packageList: { state: string; reason?: string }[] }>(DESK, 'clients', 'show', client).packageList;
  expect(voided.map((x) => x.state)).toEqual(['voided']);
  // Chosen again, approved again, written to the end.
  await chooseStick(page, '8MiB', stick);
  await page.getByRole('button', { name: 'Write the PSRD' }).click();
  await page.getByLabel('Approving operator’s name').fill(SECOND);
  await page.getByLabel('Approving operator’s passphrase').fill(passphraseOf(SECOND));
  await page.getByRole('button', { name: 'Approve and write the PSRD' }).click();
  const pkg = await finishDelivery(page);
  expect(cli<AppRecord>(DESK, 'enrol', 'show', app)).toMatchObject({ step: 'delivered' });
  expect(cli<AppRecord>(DESK, 'enrol', 'show', app).packages).toContain(pkg);
  expect(cli<{ packageList: { state: string }[] }>(DESK, 'clients', 'show', client).packageList.map((x) => x.state).sort()).toEqual(['delivered', 'voided']);
});

test('to an HSM token chosen from the tokens present: the PSRD lands on the token as its objects, read back by OpenSC', async ({ page }) => {
  await openFresh(page);
  await apply(page, 'Annie Easley');
  await checkIdentity(page, 'P2718281');
  const client = await register(page);
  await handOverKeys(page, join(out, 'annie.keys'));
  await page.getByLabel(/^Amount of PSRD/).fill('32KiB');
  await page.getByRole('radio', { name: 'HSM token' }).check();
  const listed = page.getByTestId('enrol-tokens');
  await expect(listed.getByRole('radio', { checked: true })).toHaveCount(0);
  await listed.getByRole('radio', { name: new RegExp(`^${TOKEN} · serial`) }).check();
  await expect(page.getByLabel(/^Token label/)).toHaveValue(TOKEN);
  await page.getByLabel(/^Token user PIN/).fill(TOKEN_PIN);
  await page.getByRole('button', { name: 'Write the PSRD' }).click();
  const pkg = await finishDelivery(page);
  const record = cli<{ packageList: { package: string; state: string; medium: { kind: string; target: string } }[] }>(DESK, 'clients', 'show', client).packageList;
  expect(record).toEqual([expect.objectContaining({ package: pkg, state: 'delivered', medium: expect.objectContaining({ kind: 'hsm', target: TOKEN }) })]);
  expect(tokenObjectLabels(SOFTHSM_MODULE, TOKEN, TOKEN_PIN).some((l) => l.includes(pkg))).toBe(true);
});

async function seriousViolations(page: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page }).analyze();
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join('; ')})`);
}

test('every step of the wizard in both themes: screenshots saved, no serious or critical axe-core violation', async ({ page }) => {
  test.setTimeout(90_000);
  const stick = sticks.make(16);
  await openFresh(page);
  const found: string[] = [];
  const shoot = async (step: string): Promise<void> => {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: test.info().outputPath(`screen-enrol-${step}-${scheme}.png`), fullPage: true });
      found.push(...(await seriousViolations(page)).map((v) => `${step} (${scheme}): ${v}`));
    }
    await page.emulateMedia({ colorScheme: 'light' });
  };
  // An application left open (withdrawn at the end), so that the first page shows the open list too.
  await apply(page, 'Hedy Lamarr');
  const withdrawn = appInAddress(page);
  await page.getByRole('button', { name: 'All applications' }).click();
  await expect(page.getByTestId('enrol-open-list')).toContainText('Hedy Lamarr');
  await shoot('apply');
  await apply(page, 'Margaret Hamilton');
  await page.getByLabel(/^Document number/).fill('x');
  await page.getByRole('button', { name: 'Accept the identity' }).click();
  await expect(page.getByTestId('enrol-error')).toBeVisible();
  await shoot('identity');
  await checkIdentity(page, 'P3141592');
  await shoot('client-id');
  await register(page);
  await shoot('keys');
  await handOverKeys(page, join(out, 'margaret.keys'));
  await chooseStick(page, '64KiB', stick);
  await page.getByRole('button', { name: 'Write the PSRD' }).click();
  // The medium step as the desk sees it above the threshold: the drive list, the approval asked for inline.
  await expect(page.getByTestId('enrol-approval')).toBeVisible();
  await shoot('medium');
  await page.getByLabel('Approving operator’s name').fill(SECOND);
  await page.getByLabel('Approving operator’s passphrase').fill(passphraseOf(SECOND));
  await driveRadio(page, stick.dev).check();
  await page.getByRole('button', { name: 'Approve and write the PSRD' }).click();
  await expect(heading(page)).toHaveText('Delivered: written, verified, the station’s copy destroyed', { timeout: 30_000 });
  await shoot('delivered');
  await finishDelivery(page);
  await shoot('receipt');
  await receipt(page, join(out, 'margaret-receipt.pdf'));
  await shoot('done');
  // A withdrawn application, closed with its reason.
  await page.getByRole('button', { name: 'Start another application' }).click();
  await page.getByRole('button', { name: 'Resume the application of Hedy Lamarr' }).click();
  await expect(heading(page)).toHaveText('Identity check');
  await page.getByText('Withdraw this application').click();
  await page.getByLabel(/^Reason for withdrawing/).fill('the applicant changed their mind');
  await page.getByRole('button', { name: 'Withdraw the application' }).click();
  await expect(heading(page)).toHaveText('Application closed');
  await expect(page.getByTestId('enrol-refused')).toContainText('the applicant changed their mind');
  await shoot('withdrawn');
  expect(found).toEqual([]);
  expect(cli<AppRecord>(DESK, 'enrol', 'show', withdrawn)).toMatchObject({ step: 'refused', refusedReason: 'the applicant changed their mind' });
});

test('readable at 800×600: no step is cut off sideways (the drive list shown, the PSRD printed as a QR sheet whose file is then destroyed)', async ({ page }) => {
  await page.setViewportSize({ width: 800, height: 600 });
  sticks.make(16); // a drive in the list, with its long description
  await openFresh(page);
  const wide: string[] = [];
  await expect(heading(page)).toHaveText('New application');
  const fits = async (step: string): Promise<void> => {
    if (!(await fitsSideways(page))) wide.push(`${step}: the page scrolls sideways`);
    const client = await page.evaluate<number>('document.documentElement.clientWidth');
    // The heading and every control of the step lie within the window's width.
    for (const el of [heading(page), ...(await page.locator('.enrol button, .enrol input, .enrol .enrol-steps li').all())]) {
      const box = await el.boundingBox();
      if (box && (box.x < 0 || box.x + box.width > client)) wide.push(`${step}: ${(await el.textContent()) || (await el.getAttribute('name'))} spans ${box.x}–${box.x + box.width}`);
    }
  };
  await fits('apply');
  await apply(page, 'Radia Perlman, Network Engineering Department, Building Seven');
  await fits('identity');
  await checkIdentity(page, 'P2718281');
  await fits('client-id');
  const client = await register(page);
  await fits('keys');
  mkdirSync(join(out, 'envelopes'), { recursive: true });
  await handOverKeys(page, join(out, 'envelopes', 'radia-with-a-rather-long-file-name-for-the-envelope.keys'));
  await page.getByLabel(/^Amount of PSRD/).fill('8KiB');
  await expect(page.getByTestId('enrol-drives').locator('li[data-device]').first()).toBeVisible();
  await fits('medium (drives)');
  await page.getByRole('radio', { name: 'Printed QR sheet' }).check();
  const sheet = join(out, 'sheets', 'radia-perlman-qr-sheet.pdf');
  mkdirSync(join(out, 'sheets'), { recursive: true });
  await page.getByLabel(/^PDF of the QR sheet/).fill(sheet);
  await fits('medium (QR sheet)');
  await page.getByRole('button', { name: 'Write the PSRD' }).click();
  await finishDelivery(page);
  await fits('receipt');
  // The sheet's PDF is a third copy: the desk destroys it once printed, and the station records it.
  expect(existsSync(sheet)).toBe(true);
  await expect(page.getByTestId('enrol-sheet')).toContainText(sheet);
  await page.getByRole('button', { name: 'Destroy the sheet file' }).click();
  await expect(page.getByTestId('enrol-sheet')).toContainText('was overwritten and removed, and that is recorded');
  expect(existsSync(sheet)).toBe(false);
  await receipt(page, join(out, 'radia-receipt.pdf'));
  await fits('done');
  expect(wide).toEqual([]);
  const c = cli<ClientRecord>(DESK, 'clients', 'show', client);
  expect(c.packageList.map((p) => [p.state, p.bytes, p.medium.kind, p.medium.target])).toEqual([['delivered', 8 * KiB, 'qr', sheet]]);
  const ledger = cli<{ entries: { type: string; data: { target?: string } }[] }>(AUDITOR, 'ledger', 'show', '--type', 'allocation.sheet-destroyed');
  expect(ledger.entries.filter((e) => e.type === 'allocation.sheet-destroyed').map((e) => e.data.target)).toContain(sheet);
});
