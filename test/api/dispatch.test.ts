// The one door into a core (src-shared/api/dispatch.ts), which IPC, the browser host and the CLI
// share: a malformed argument gets a typed error and the handler is never called. Who may call is
// tested against the real operator accounts in test/api/access-rules.test.ts; here the gate lets a
// fully privileged operator through, so that only the argument checks are under test.
import { describe, expect, it, vi } from 'vitest';
import { createDispatch, type Gate, type Handlers, type Principal } from '../../src-shared/api/dispatch';
import { StationFailure } from '../../src-shared/api/result';
import { channelNames } from '../../src-shared/api/contract';
import { stationApi, type StationApiSpec } from '../../src-shared/api/station-api';

const everyone: Principal = { name: 'Root', roles: ['desk', 'operator', 'auditor', 'admin'] };
const gate: Gate<Principal> = { signedIn: async () => everyone, approve: async () => ({ name: 'Second', roles: ['operator'] }) };
const transport = { host: 'test', session: {}, signal: new AbortController().signal };

function spyHandlers(): { handlers: Handlers<StationApiSpec>; spies: Record<string, ReturnType<typeof vi.fn>> } {
  const spies: Record<string, ReturnType<typeof vi.fn>> = {};
  const handlers: Record<string, Record<string, unknown>> = {};
  for (const channel of channelNames(stationApi)) {
    const [ns, m] = channel.split('.');
    spies[channel] = vi.fn(async () => ({ fine: true }));
    (handlers[ns] ??= {})[m] = spies[channel];
  }
  return { handlers: handlers as unknown as Handlers<StationApiSpec>, spies };
}

const dispatchOver = (handlers: Handlers<StationApiSpec>, log = vi.fn()) => createDispatch({ contract: stationApi, handlers, gate, log });

describe('dispatch', () => {
  const malformed: [string, unknown][] = [
    ['pool.generate', {}],
    ['pool.generate', { bytes: -1 }],
    ['pool.generate', { bytes: 1.5 }],
    ['pool.generate', { bytes: '1024' }],
    ['pool.generate', { bytes: 1024, sources: ['ftp://x'] }],
    ['pool.generate', { bytes: 1024, sources: [] }],
    ['pool.generate', { bytes: 1024, extra: true }],
    ['pool.generate', { bytes: 1024, resumes: 'job-../../etc' }],
    ['pool.status', null],
    ['pool.status', [1]],
    ['pool.status', 'x'],
    ['audit.ledger', { limit: 0 }],
    ['audit.ledger', { limit: 10_000 }],
    ['pool.status', Object.create({ polluted: true })],
    ['operators.create', { name: 'x', roles: ['root'], passphrase: 'long enough passphrase' }],
    ['operators.signIn', { name: '../etc', passphrase: 'x' }],
    ['devices.acknowledgeSource', { spec: 'os', approval: { operator: 'Second', passphrase: 'p' }, extra: 1 }],
  ];
  it.each(malformed)('refuses %s with %j before the core sees it', async (channel, args) => {
    const { handlers, spies } = spyHandlers();
    const r = await dispatchOver(handlers)(channel, args, transport);
    expect(r).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(spies[channel]).not.toHaveBeenCalled();
  });

  it('refuses unknown and prototype channels', async () => {
    const { handlers } = spyHandlers();
    const d = dispatchOver(handlers);
    for (const c of ['pool.nope', 'nope.status', '__proto__.toString', 'pool.constructor', 'pool', '', 42 as unknown as string]) {
      expect(await d(c, {}, transport)).toMatchObject({ ok: false, error: { code: 'unknown-call' } });
    }
  });

  it('passes a valid argument through with the call context, and wraps the value', async () => {
    const { handlers, spies } = spyHandlers();
    const r = await dispatchOver(handlers)('pool.generate', { bytes: 4096, sources: ['os', 'usb:04d8:f5fe:ABC123'] }, transport);
    expect(r).toEqual({ ok: true, value: { fine: true } });
    expect(spies['pool.generate']).toHaveBeenCalledWith({ bytes: 4096, sources: ['os', 'usb:04d8:f5fe:ABC123'] }, expect.objectContaining({ host: 'test', operator: everyone }));
  });

  it('hands a two-person call its approver and removes the passphrase from the argument', async () => {
    const { handlers, spies } = spyHandlers();
    const r = await dispatchOver(handlers)('devices.acknowledgeSource', { spec: 'os', approval: { operator: 'Second', passphrase: 'second passphrase' } }, transport);
    expect(r.ok).toBe(true);
    expect(spies['devices.acknowledgeSource']).toHaveBeenCalledWith({ spec: 'os' }, expect.objectContaining({ approver: { name: 'Second', roles: ['operator'] } }));
  });

  it('turns a station failure into its code and sentence', async () => {
    const { handlers, spies } = spyHandlers();
    spies['pool.status'].mockRejectedValueOnce(new StationFailure('pool-insufficient', 'Not enough.'));
    expect(await dispatchOver(handlers)('pool.status', {}, transport)).toEqual({ ok: false, error: { code: 'pool-insufficient', message: 'Not enough.' } });
  });

  it('turns an unexpected error into "internal" without leaking its text to the caller', async () => {
    const { handlers, spies } = spyHandlers();
    spies['pool.status'].mockRejectedValueOnce(new Error('secret detail'));
    const log = vi.fn();
    const r = await dispatchOver(handlers, log)('pool.status', {}, transport);
    expect(r).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(JSON.stringify(r)).not.toContain('secret detail');
    expect(log).toHaveBeenCalledOnce();
  });
});
