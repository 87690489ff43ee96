// The renderer's one way to the station: the preload's `window.station` in Electron, the HTTP client in
// the browser host.
import type { StationClient } from '../../src-shared/api/client';
import { createHttpClient } from './http-client';

declare global {
  interface Window {
    readonly station?: StationClient;
  }
}

let client: StationClient | undefined;

export function station(): StationClient {
  client ??= window.station ?? createHttpClient();
  return client;
}
