// One build for the three Electron parts (issue S1): main (with the CLI and the browser host as extra
// entries, since they run the same core under plain Node), the sandboxed preload as CJS, the renderer.
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve('src-main/index.ts'),
          cli: resolve('src-main/cli/main.ts'),
          'browser-host': resolve('src-main/browser-host/main.ts'),
        },
        output: { format: 'es', entryFileNames: '[name].js' },
      },
    },
    plugins: [
      {
        // The window icon (src-main/shell/window.ts) goes into out/main: the packaged app holds only out/.
        name: 'station-icon',
        generateBundle() {
          this.emitFile({ type: 'asset', fileName: 'icon.png', source: readFileSync(resolve('assets/icon.png')) });
        },
      },
    ],
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve('src-main/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('src-renderer'),
    build: {
      outDir: resolve('out/renderer'),
      minify: true,
      rollupOptions: { input: resolve('src-renderer/index.html') },
    },
    plugins: [react()],
  },
});
