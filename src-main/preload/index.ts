// The preload (bundled CJS, sandboxed): exposes the station API as one namespaced, frozen object and
// nothing else — no ipcRenderer, no event objects, no process (Electron checklist 20; Bitwarden's
// pattern). Each method invokes exactly its own channel; listeners receive the payload only.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { stationApi } from '../../src-shared/api/station-api';
import { eventNames, type EventName } from '../../src-shared/api/station-api';

function buildApi(): Record<string, unknown> {
  const api: Record<string, unknown> = {};
  for (const [ns, methods] of Object.entries(stationApi)) {
    const calls: Record<string, (args: unknown) => Promise<unknown>> = {};
    for (const method of Object.keys(methods)) {
      const channel = `${ns}.${method}`;
      calls[method] = (args: unknown) => ipcRenderer.invoke(channel, args);
    }
    api[ns] = Object.freeze(calls);
  }
  api.on = (event: EventName, listener: (payload: unknown) => void): (() => void) => {
    if (!eventNames.includes(event) || typeof listener !== 'function') throw new TypeError('Unknown station event.');
    const forward = (_e: IpcRendererEvent, payload: unknown): void => listener(payload);
    ipcRenderer.on(`event:${event}`, forward);
    return () => {
      ipcRenderer.removeListener(`event:${event}`, forward);
    };
  };
  return Object.freeze(api);
}

contextBridge.exposeInMainWorld('station', buildApi());
