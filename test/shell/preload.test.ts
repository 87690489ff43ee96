// The preload exposes exactly the station API — one namespaced, frozen object — and nothing of
// Electron: no ipcRenderer, no event objects (Electron checklist 20).
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { stationApi } from '../../src-shared/api/station-api';

const exposed: Record<string, unknown> = {};
const ipc = {
  invoke: vi.fn(async (..._a: unknown[]) => ({ ok: true, value: 1 })),
  on: vi.fn(),
  removeListener: vi.fn(),
};
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
  ipcRenderer: ipc,
}));

beforeEach(async () => {
  vi.resetModules();
  await import('../../src-main/preload/index');
});

type Api = Record<string, Record<string, (a: unknown) => Promise<unknown>>> & { on: (e: string, l: (p: unknown) => void) => () => void };

describe('the preload', () => {
  it('exposes one object, window.station, with the contract’s namespaces and `on` only', () => {
    expect(Object.keys(exposed)).toEqual(['station']);
    const api = exposed.station as Api;
    expect(Object.keys(api).sort()).toEqual([...Object.keys(stationApi), 'on'].sort());
    for (const [ns, methods] of Object.entries(stationApi)) expect(Object.keys(api[ns]).sort()).toEqual(Object.keys(methods).sort());
    expect(Object.isFrozen(api)).toBe(true);
    expect(JSON.stringify(Object.keys(api))).not.toMatch(/ipc|invoke|send|process|require/i);
  });

  it('maps each method to its own channel and passes the argument unchanged', async () => {
    const api = exposed.station as Api;
    await api.pool.generate({ bytes: 1 });
    expect(ipc.invoke).toHaveBeenLastCalledWith('pool.generate', { bytes: 1 });
  });

  it('hands listeners the payload only, never the IPC event', () => {
    const api = exposed.station as Api;
    const listener = vi.fn();
    const off = api.on('pool.progress', listener);
    const forward = ipc.on.mock.calls.at(-1)![1] as (e: unknown, p: unknown) => void;
    expect(ipc.on.mock.calls.at(-1)![0]).toBe('event:pool.progress');
    forward({ sender: 'the ipc event' }, { bytesDone: 5 });
    expect(listener).toHaveBeenCalledWith({ bytesDone: 5 });
    expect(listener.mock.calls[0]).toHaveLength(1);
    off();
    expect(ipc.removeListener).toHaveBeenCalledWith('event:pool.progress', forward);
  });

  it('refuses to subscribe to events the contract does not name', () => {
    const api = exposed.station as Api;
    expect(() => api.on('anything', () => {})).toThrow(TypeError);
  });
});
