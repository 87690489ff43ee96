// Builds the Security Server (src-server/main.ts) into out/server/main.js for plain Node: one ES module,
// its npm dependencies left as imports (fastify, kysely, better-sqlite3, pg are installed beside it).
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [join(root, 'src-server/main.ts')],
  outfile: join(root, 'out/server/main.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
