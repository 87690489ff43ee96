// The one door into the core (src-main/transport/dispatch.ts), which IPC, the browser host and the CLI
// share: a malformed argument gets a typed error and the handler is never called.
import { describe, expect, it, vi } from 'vitest';
import { createDispatch } from '../../src-main/transport/dispatch';
import type { Handlers } from '../../src-main/station/station';
import { StationFailure } from '../../src-shared/api/result';
import { channelNames } from '../../src-shared/api/contract';

function spyHandlers(): { handlers: Handlers; spies: Record<string, ReturnType<typeof vi.fn>> } {
  const spies: Record<string, ReturnType<typeof vi.fn>> = {};
  const handlers: Record<string, Record<string, unknown>> = {};
  for (const channel of channelNames()) {
    const [ns, m] = channel.split('.');
    spies[channel] = vi.fn(async () => ({ fine: true }));
    (handlers[ns] ??= {})[m] = spies[channel];
  }
  return { handlers: handlers as unknown as Handlers, spies };
}

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
  ];
  it.each(malformed)('refuses %s with %j before the core sees it', async (channel, args) => {
    const { handlers, spies } = spyHandlers();
    const r = await createDispatch(handlers)(channel, args);
    expect(r).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(spies[channel]).not.toHaveBeenCalled();
  });

  it('refuses unknown and prototype channels', async () => {
    const { handlers } = spyHandlers();
    const d = createDispatch(handlers);
    for (const c of ['pool.nope', 'nope.status', '__proto__.toString', 'pool.constructor', 'pool', '', 42 as unknown as string]) {
      expect(await d(c, {})).toMatchObject({ ok: false, error: { code: 'unknown-call' } });
    }
  });

  it('passes a valid argument through and wraps the value', async () => {
    const { handlers, spies } = spyHandlers();
    const r = await createDispatch(handlers)('pool.generate', { bytes: 4096, sources: ['os', 'usb:04d8:f5fe:ABC123'] });
    expect(r).toEqual({ ok: true, value: { fine: true } });
    expect(spies['pool.generate']).toHaveBeenCalledWith({ bytes: 4096, sources: ['os', 'usb:04d8:f5fe:ABC123'] });
  });

  it('turns a station failure into its code and sentence', async () => {
    const { handlers, spies } = spyHandlers();
    spies['pool.status'].mockRejectedValueOnce(new StationFailure('pool-insufficient', 'Not enough.'));
    expect(await createDispatch(handlers)('pool.status', {})).toEqual({ ok: false, error: { code: 'pool-insufficient', message: 'Not enough.' } });
  });

  it('turns an unexpected error into "internal" without leaking its text to the caller', async () => {
    const { handlers, spies } = spyHandlers();
    spies['pool.status'].mockRejectedValueOnce(new Error('secret detail'));
    const log = vi.fn();
    const r = await createDispatch(handlers, log)('pool.status', {});
    expect(r).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(JSON.stringify(r)).not.toContain('secret detail');
    expect(log).toHaveBeenCalledOnce();
  });
});
