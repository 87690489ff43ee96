// Entry point of the `dske-client` command (issue S10, part 2). Run with `npx tsx src-client/main.ts`;
// no bin/ entry or build step yet.
import { runClientCli } from './cli';

runClientCli(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => {
  process.stderr.write(`dske-client stopped on an unexpected error: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(70);
});
