// Builds the two plain-Node programs beside the station: the Security Server (src-server/main.ts →
// out/server/main.js, `dske-server`) and the DSKE client (src-client/main.ts → out/client/main.js,
// `dske-client`). Each one ES module, its npm dependencies left as imports (installed beside it).
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const tool of ['server', 'client']) {
  await build({
    entryPoints: [join(root, `src-${tool}/main.ts`)],
    outfile: join(root, `out/${tool}/main.js`),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
}
