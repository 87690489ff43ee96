// The station API over the browser host (HTTP calls + a Server-Sent-Events stream read through fetch).
// Same shape as the Electron preload's object, so the UI cannot tell which host it runs in. The access
// token comes from the URL fragment the station printed (no server ever sees a fragment), is kept in
// this tab's sessionStorage, and travels only as a bearer header — never as a cookie, which every other
// listener on 127.0.0.1 would receive.
import { stationApi } from '../../src-shared/api/station-api';
import type { StationClient } from '../../src-shared/api/client';
import { fail, type Result } from '../../src-shared/api/result';
import type { EventName, StationEvents } from '../../src-shared/api/station-api';

const TOKEN_KEY = 'dske-station-token';

/** Takes the token out of the address bar into this tab's storage. */
export function accessToken(): string | null {
  const m = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(window.location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, m[1]);
    history.replaceState(null, '', window.location.pathname);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

const noAccess = (): Result<never> => fail('unauthorized', 'This page has no access to the station. Open the address the station printed when it started.');

type Listener = (payload: unknown) => void;

export function createHttpClient(): StationClient {
  const token = accessToken();
  const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${token ?? ''}` };
  const client: Record<string, unknown> = {};
  for (const [ns, methods] of Object.entries(stationApi)) {
    const calls: Record<string, (args: unknown) => Promise<Result<unknown>>> = {};
    for (const method of Object.keys(methods)) {
      calls[method] = async (args) => {
        if (!token) return noAccess();
        try {
          const res = await fetch(`/api/call/${ns}.${method}`, { method: 'POST', headers, body: JSON.stringify(args ?? {}), credentials: 'omit' });
          if (res.status === 401) return noAccess();
          if (!res.ok) return fail('forbidden', `The station refused the request (${res.status}).`);
          return (await res.json()) as Result<unknown>;
        } catch {
          return fail('io', 'The station cannot be reached. Is it still running?');
        }
      };
    }
    client[ns] = calls;
  }

  const listeners = new Map<string, Set<Listener>>();
  let streaming = false;
  async function stream(): Promise<void> {
    if (streaming || !token) return;
    streaming = true;
    try {
      const res = await fetch('/api/events', { headers: { Authorization: headers.Authorization }, credentials: 'omit' });
      if (!res.ok || !res.body) return;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.+)$/m.exec(frame)?.[1];
          const data = /^data: (.+)$/m.exec(frame)?.[1];
          if (event && data) for (const l of listeners.get(event) ?? []) l(JSON.parse(data));
        }
      }
    } catch {
      // The station stopped; calls will say so in words.
    } finally {
      streaming = false;
    }
  }

  client.on = <E extends EventName>(event: E, listener: (payload: StationEvents[E]) => void) => {
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    set.add(listener as Listener);
    void stream();
    return () => set.delete(listener as Listener);
  };
  return client as StationClient;
}
