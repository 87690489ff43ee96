// Entry point of the `dske-server` command (bin/dske-server.js runs the built copy of this file).
import { runServerCli } from './cli';

runServerCli(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => {
  process.stderr.write(`dske-server stopped on an unexpected error: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(70);
});
