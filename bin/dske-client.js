#!/usr/bin/env node
// The `dske-client` command: runs the built DSKE client (out/client/main.js) under plain Node.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../out/client/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('dske-client is not built yet: run `npm run build:tools` in the project folder first.\n');
  process.exit(2);
}
await import(main);
