// The station API over the browser host (HTTP calls + Server-Sent Events). Same shape as the Electron
// preload's object, so the UI cannot tell which host it runs in. The session cookie travels by itself.
import { stationApi } from '../../src-shared/api/contract';
import type { StationClient } from '../../src-shared/api/client';
import { fail, type Result } from '../../src-shared/api/result';
import type { EventName, StationEvents } from '../../src-shared/api/types';

export function createHttpClient(): StationClient {
  const client: Record<string, unknown> = {};
  for (const [ns, methods] of Object.entries(stationApi)) {
    const calls: Record<string, (args: unknown) => Promise<Result<unknown>>> = {};
    for (const method of Object.keys(methods)) {
      calls[method] = async (args) => {
        try {
          const res = await fetch(`/api/call/${ns}.${method}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(args ?? {}), credentials: 'same-origin' });
          if (res.status === 401) return fail('unauthorized', 'This page has lost its access to the station. Open the address the station printed when it started.');
          if (!res.ok) return fail('forbidden', `The station refused the request (${res.status}).`);
          return (await res.json()) as Result<unknown>;
        } catch {
          return fail('io', 'The station cannot be reached. Is it still running?');
        }
      };
    }
    client[ns] = calls;
  }
  let source: EventSource | null = null;
  client.on = <E extends EventName>(event: E, listener: (payload: StationEvents[E]) => void) => {
    source ??= new EventSource('/api/events');
    const handler = (m: MessageEvent<string>): void => listener(JSON.parse(m.data) as StationEvents[E]);
    source.addEventListener(event, handler as EventListener);
    return () => source?.removeEventListener(event, handler as EventListener);
  };
  return client as StationClient;
}
