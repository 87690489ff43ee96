#!/usr/bin/env node
// The `dske-server` command: runs the built Security Server (out/server/main.js) under plain Node.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../out/server/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('dske-server is not built yet: run `npm run build:tools` in the project folder first.\n');
  process.exit(2);
}
await import(main);
