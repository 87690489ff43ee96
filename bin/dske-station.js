#!/usr/bin/env node
// The `dske-station` command: runs the built CLI (out/main/cli.js) under plain Node.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../out/main/cli.js', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write('dske-station is not built yet: run `npm run build` in the project folder first.\n');
  process.exit(2);
}
await import(cli);
