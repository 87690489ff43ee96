// `npm run start:browser`: the station in a browser, for machines where Electron cannot run.
// Prints the one URL (with this run's token) to open; loopback only.
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { defaultDataDir } from '../station/default-data-dir';
import { openStation } from '../station/station';
import { StationFailure } from '../../src-shared/api/result';
import { startBrowserHost } from './server';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const dataDir = resolve(option('--data-dir') ?? defaultDataDir());
  const port = Number(option('--port') ?? process.env.DSKE_STATION_PORT ?? 0);
  const rendererDir = option('--renderer-dir') ?? fileURLToPath(new URL('../renderer', import.meta.url));
  const station = openStation({ dataDir, host: 'browser', watchDevicesMs: 3000, mode: 'create' });
  const host = await startBrowserHost({ station, rendererDir, port });
  process.stdout.write(`DSKE station (browser host) for ${dataDir}\nOpen: ${host.url}\n`);
  const stop = (): void => {
    void host.close().then(() => station.close()).finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`The station could not start: ${e instanceof StationFailure || e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
