// Entry point of the `dske-station` command (bin/dske-station.js runs the built copy of this file).
// SIGINT and SIGTERM stop a running job cleanly: the job records its end and releases its locks, the
// station closes, and the command exits 1 with the code `cancelled`.
import { runCli } from './run';

const stop = new AbortController();
process.on('SIGINT', () => stop.abort());
process.on('SIGTERM', () => stop.abort());

runCli(process.argv.slice(2), { signal: stop.signal }).then(
  (code) => {
    process.exit(code);
  },
  (e: unknown) => {
    process.stderr.write(`dske-station failed unexpectedly: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
