// Entry point of the `dske-station` command (bin/dske-station.js runs the built copy of this file).
import { runCli } from './run';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`dske-station failed unexpectedly: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
