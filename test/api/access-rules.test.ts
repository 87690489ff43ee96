// Who may call (issue S4): every refusal — unsigned, a role not allowed, the same person approving
// their own request, a wrong passphrase, a lockout, an idle session — gets its code, and none reaches
// the core (a counter on the handlers proves it). Through the API, the browser host and the CLI.
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserHost, type BrowserHost } from '../../src-main/browser-host/server';
import { runCli } from '../../src-main/cli/run';
import { openStation, transportContext, type Station } from '../../src-main/station/station';
import { enrolPeople, passphraseFiles, passphraseOf, PEOPLE, signedIn, tempDir } from '../support/station';

let template: string;
let files: Record<string, string>;
beforeAll(async () => {
  template = join(tempDir('dske-access-'), 'station');
  files = passphraseFiles(tempDir('dske-access-pass-'));
  const s = openStation({ dataDir: template, host: 'test', mode: 'create' });
  await enrolPeople(s);
  await s.close();
});
afterAll(() => rmSync(join(template, '..'), { recursive: true, force: true }));

/** A copy of the enrolled station, opened with a clock the test moves, and a count of what reaches the core. */
function open(): { station: Station; clock: { now: number }; reached: string[]; dir: string } {
  const dir = join(tempDir('dske-access-run-'), 'station');
  cpSync(template, dir, { recursive: true });
  const clock = { now: Date.parse('2026-11-29T10:00:00Z') };
  const station = openStation({ dataDir: dir, host: 'test', now: () => new Date(clock.now) });
  const reached: string[] = [];
  for (const [ns, methods] of Object.entries(station.handlers)) {
    for (const [m, fn] of Object.entries(methods as Record<string, (a: unknown, c: unknown) => Promise<unknown>>)) {
      if (ns === 'operators' || ns === 'session') continue;
      (methods as Record<string, unknown>)[m] = (a: unknown, c: unknown) => {
        reached.push(`${ns}.${m}`);
        return fn(a, c);
      };
    }
  }
  return { station, clock, reached, dir };
}

describe('roles and two-person calls through the API', () => {
  it('refuses each kind of caller with its code before the core', async () => {
    const { station, clock, reached } = open();
    try {
      expect(await station.dispatch('pool.status', {}, transportContext('test'))).toMatchObject({ ok: false, error: { code: 'unauthenticated' } });

      const desk = await signedIn(station, PEOPLE.desk.name);
      expect(await station.dispatch('pool.generate', { bytes: 1024 }, desk)).toMatchObject({ ok: false, error: { code: 'not-permitted' } });
      expect(await station.dispatch('audit.verify', {}, desk)).toMatchObject({ ok: false, error: { code: 'not-permitted' } });
      const auditor = await signedIn(station, PEOPLE.auditor.name);
      expect(await station.dispatch('operators.create', { name: 'Eve', roles: ['admin'], passphrase: 'a long passphrase' }, auditor)).toMatchObject({ ok: false, error: { code: 'not-permitted' } });

      const op = await signedIn(station, PEOPLE.operator.name);
      expect(await station.dispatch('devices.acknowledgeSource', { spec: 'os' }, op)).toMatchObject({ ok: false, error: { code: 'approval-required' } });
      const self = { spec: 'os', approval: { operator: PEOPLE.operator.name.toUpperCase(), passphrase: passphraseOf(PEOPLE.operator.name) } };
      expect(await station.dispatch('devices.acknowledgeSource', self, op)).toMatchObject({ ok: false, error: { code: 'approval-refused' } });
      const wrongSecond = { spec: 'os', approval: { operator: PEOPLE.second.name, passphrase: 'not their passphrase' } };
      expect(await station.dispatch('devices.acknowledgeSource', wrongSecond, op)).toMatchObject({ ok: false, error: { code: 'approval-refused' } });
      const deskApproves = { spec: 'os', approval: { operator: PEOPLE.desk.name, passphrase: passphraseOf(PEOPLE.desk.name) } };
      expect(await station.dispatch('devices.acknowledgeSource', deskApproves, op)).toMatchObject({ ok: false, error: { code: 'approval-refused' } });

      const t = transportContext('test');
      expect(await station.dispatch('operators.signIn', { name: PEOPLE.operator.name, passphrase: 'wrong passphrase' }, t)).toMatchObject({ ok: false, error: { code: 'bad-credentials' } });
      expect(await station.dispatch('operators.signIn', { name: 'Nobody', passphrase: 'wrong passphrase' }, t)).toMatchObject({ ok: false, error: { code: 'bad-credentials' } });
      expect(await station.dispatch('pool.status', {}, t)).toMatchObject({ ok: false, error: { code: 'unauthenticated' } });

      // Idle expiry: 15 minutes without a call signs the session out.
      expect(await station.dispatch('pool.status', {}, op)).toMatchObject({ ok: true });
      reached.length = 0;
      clock.now += 16 * 60_000;
      expect(await station.dispatch('pool.status', {}, op)).toMatchObject({ ok: false, error: { code: 'session-expired' } });
      expect(await station.dispatch('pool.status', {}, op)).toMatchObject({ ok: false, error: { code: 'unauthenticated' } });
      expect(reached).toEqual([]);
    } finally {
      await station.close();
    }
  }, 60_000);

  it('locks an account after five wrong passphrases, even against the right one, and records it', async () => {
    const { station, clock } = open();
    try {
      const t = transportContext('test');
      const wrong = { name: PEOPLE.operator.name, passphrase: 'wrong passphrase' };
      for (let i = 0; i < 4; i++) expect(await station.dispatch('operators.signIn', wrong, t)).toMatchObject({ error: { code: 'bad-credentials' } });
      expect(await station.dispatch('operators.signIn', wrong, t)).toMatchObject({ error: { code: 'locked-out' } });
      const right = { name: PEOPLE.operator.name, passphrase: passphraseOf(PEOPLE.operator.name) };
      expect(await station.dispatch('operators.signIn', right, t)).toMatchObject({ error: { code: 'locked-out' } });
      expect(station.ledger.entries().filter((e) => e.type === 'operator.locked-out')).toHaveLength(1);
      clock.now += 16 * 60_000;
      expect(await station.dispatch('operators.signIn', right, t)).toMatchObject({ ok: true });
    } finally {
      await station.close();
    }
  }, 60_000);

  it('records the actor from the call context, and a disabled account is signed out', async () => {
    const { station } = open();
    try {
      const op = await signedIn(station, PEOPLE.operator.name);
      const r = await station.dispatch('devices.acknowledgeSource', { spec: 'os', approval: { operator: PEOPLE.second.name, passphrase: passphraseOf(PEOPLE.second.name) } }, op);
      expect(r).toMatchObject({ ok: false, error: { code: 'bad-request' } }); // os is not latched: reached the core, which said so
      const gen = await station.dispatch('pool.generate', { bytes: 4096, sources: ['os'] }, op);
      expect(gen.ok).toBe(true);
      expect(station.ledger.entries().find((e) => e.type === 'job.started')?.data.actor).toEqual({ host: 'test', operator: PEOPLE.operator.name });
      const admin = await signedIn(station, PEOPLE.admin.name);
      expect(await station.dispatch('operators.setDisabled', { name: PEOPLE.operator.name, disabled: true }, admin)).toMatchObject({ ok: true });
      expect(await station.dispatch('pool.status', {}, op)).toMatchObject({ ok: false, error: { code: 'account-disabled' } });
      expect(await station.dispatch('operators.setDisabled', { name: PEOPLE.admin.name, disabled: true }, admin)).toMatchObject({ ok: false, error: { code: 'not-permitted' } });
    } finally {
      await station.close();
    }
  }, 60_000);
});

describe('roles through the browser host', () => {
  let host: BrowserHost;
  let station: Station;
  let reached: string[];
  let clock: { now: number };
  beforeAll(async () => {
    ({ station, reached, clock } = open());
    host = await startBrowserHost({ station, rendererDir: 'out/renderer' });
  });
  afterAll(async () => {
    await host.close();
    await station.close();
  });
  const call = async (channel: string, args: unknown): Promise<unknown> =>
    (await fetch(`${host.origin}/api/call/${channel}`, { method: 'POST', headers: { Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(args) })).json();

  it('refuses an unsigned call, a role not allowed and a self-approval, then serves the signed-in operator', async () => {
    expect(await call('pool.generate', { bytes: 1024 })).toMatchObject({ ok: false, error: { code: 'unauthenticated' } });
    expect(await call('operators.signIn', { name: PEOPLE.desk.name, passphrase: passphraseOf(PEOPLE.desk.name) })).toMatchObject({ ok: true });
    expect(await call('pool.generate', { bytes: 1024 })).toMatchObject({ ok: false, error: { code: 'not-permitted' } });
    expect(await call('operators.signIn', { name: PEOPLE.operator.name, passphrase: passphraseOf(PEOPLE.operator.name) })).toMatchObject({ ok: true });
    expect(await call('devices.acknowledgeSource', { spec: 'os', approval: { operator: PEOPLE.operator.name, passphrase: passphraseOf(PEOPLE.operator.name) } })).toMatchObject({ ok: false, error: { code: 'approval-refused' } });
    expect(reached).toEqual([]);
    expect(await call('pool.status', {})).toMatchObject({ ok: true });
    expect(reached).toEqual(['pool.status']);
  }, 60_000);

  it('refuses a wrong passphrase, locks the account after five, and signs an idle session out', async () => {
    reached.length = 0;
    // Idle: the operator signed in above; 16 minutes later the next call is refused and the session gone.
    clock.now += 16 * 60_000;
    expect(await call('pool.status', {})).toMatchObject({ ok: false, error: { code: 'session-expired' } });
    expect(await call('pool.status', {})).toMatchObject({ ok: false, error: { code: 'unauthenticated' } });
    const wrong = { name: PEOPLE.second.name, passphrase: 'not the passphrase' };
    for (let i = 0; i < 4; i++) expect(await call('operators.signIn', wrong)).toMatchObject({ ok: false, error: { code: 'bad-credentials' } });
    expect(await call('operators.signIn', wrong)).toMatchObject({ ok: false, error: { code: 'locked-out' } });
    expect(await call('operators.signIn', { name: PEOPLE.second.name, passphrase: passphraseOf(PEOPLE.second.name) })).toMatchObject({ ok: false, error: { code: 'locked-out' } });
    expect(await call('pool.status', {})).toMatchObject({ ok: false, error: { code: 'unauthenticated' } });
    expect(reached).toEqual([]);
  }, 60_000);
});

describe('roles through the CLI', () => {
  async function cli(dir: string, ...argv: string[]): Promise<{ code: number; out: string }> {
    let out = '';
    const code = await runCli(['--data-dir', dir, '--json', ...argv], { io: { out: (l) => (out += l), err: (l) => (out += l) } });
    return { code, out };
  }
  const as = (name: string, file = files[name]): string[] => ['--operator', name, '--passphrase-file', file];

  it('refuses each with its code and exit status', async () => {
    const { station, dir } = open();
    await station.close();
    expect((await cli(dir, 'pool', 'status')).code).toBe(2);
    const wrong = await cli(dir, ...as(PEOPLE.operator.name, files[PEOPLE.desk.name]), 'pool', 'status');
    expect([wrong.code, JSON.parse(wrong.out).error.code]).toEqual([1, 'bad-credentials']);
    const desk = await cli(dir, ...as(PEOPLE.desk.name), 'pool', 'generate', '--bytes', '1KiB');
    expect([desk.code, JSON.parse(desk.out).error.code]).toEqual([1, 'not-permitted']);
    const self = await cli(dir, ...as(PEOPLE.operator.name), 'sources', 'ack', 'os', '--approver', PEOPLE.operator.name, '--approver-passphrase-file', files[PEOPLE.operator.name]);
    expect([self.code, JSON.parse(self.out).error.code]).toEqual([1, 'approval-refused']);
    const usage = await cli(dir, ...as(PEOPLE.operator.name), 'sources', 'ack', 'os');
    expect([usage.code, JSON.parse(usage.out).error.code]).toEqual([2, 'usage']);
    const ok = await cli(dir, ...as(PEOPLE.operator.name), 'pool', 'generate', '--bytes', '1KiB');
    expect([ok.code, JSON.parse(ok.out).ok]).toEqual([0, true]);
    // Lockout counts across commands (those that may write: a read-only command records nothing): five
    // wrong passphrases, then even the right one is refused.
    const test = ['sources', 'test', 'os'];
    for (let i = 0; i < 4; i++) expect(JSON.parse((await cli(dir, ...as(PEOPLE.second.name, files[PEOPLE.desk.name]), ...test)).out).error.code).toBe('bad-credentials');
    expect(JSON.parse((await cli(dir, ...as(PEOPLE.second.name, files[PEOPLE.desk.name]), ...test)).out).error.code).toBe('locked-out');
    const locked = await cli(dir, ...as(PEOPLE.second.name), 'pool', 'status');
    expect([locked.code, JSON.parse(locked.out).error.code]).toEqual([1, 'locked-out']);
  }, 60_000);
});
