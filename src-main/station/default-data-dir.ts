// Where the station keeps its pool, keys and ledger unless told otherwise (--data-dir, or
// DSKE_STATION_DATA): the XDG data directory of the user running it.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DSKE_STATION_DATA) return env.DSKE_STATION_DATA;
  const base = env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'dske-station');
}
