// Import boundaries (docs/references.md, "Import boundaries"), enforced here so that
// a violation fails `npm test`. test/lint-boundaries.test.ts proves each rule fires.
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'fs/*', 'path', 'os', 'crypto', 'child_process', 'net', 'http', 'https', 'stream', 'stream/*', 'util', 'events', 'buffer', 'url', 'zlib', 'worker_threads', 'process', 'tty', 'dgram', 'dns', 'cluster', 'module', 'readline', 'v8', 'vm'];

const noElectron = { group: ['electron', 'electron/*'], allowTypeImports: true, message: 'Only src-main/index.ts and src-main/preload may import electron (docs/docs/DESIGN.md, boundaries).' };
const noHardware = { group: ['**/hardware/**', '**/hardware'], message: 'hardware/ is imported only by src-main/station, src-server and src-client (docs/docs/DESIGN.md, boundaries).' };

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.tools/**', 'test-results/**', 'playwright-report/**', 'test/fixtures/lint/**'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parser: tseslint.parser, parserOptions: { ecmaVersion: 2023, sourceType: 'module' } },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // src-shared: pure TypeScript that runs in every process.
    files: ['src-shared/**/*.ts', 'test/fixtures/lint/src-shared/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          { group: nodeBuiltins, message: 'src-shared is pure TypeScript: no node:* imports (docs/DESIGN.md).' },
          noElectron,
          { group: ['react', 'react-dom', 'react/*', 'react-dom/*'], message: 'src-shared has no DOM or UI code.' },
          { group: ['**/src-main/**', '**/src-renderer/**', '**/hardware/**', '**/src-server/**', '**/src-client/**'], message: 'src-shared imports nothing outside itself (docs/DESIGN.md).' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'window', message: 'src-shared has no DOM.' }, { name: 'document', message: 'src-shared has no DOM.' },
        { name: 'process', message: 'src-shared has no node globals.' }, { name: 'Buffer', message: 'src-shared uses Uint8Array, not Buffer.' },
        { name: 'require', message: 'src-shared has no node globals.' }],
    },
  },
  {
    // The renderer talks only to the typed station API in src-shared.
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.tsx', 'test/fixtures/lint/src-renderer/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          { group: nodeBuiltins, message: 'The renderer is sandboxed: no node:* imports.' },
          noElectron,
          { group: ['**/src-main/**', '**/src-main', '**/hardware/**', '**/src-server/**', '**/src-client/**'], message: 'The renderer imports src-shared only (docs/DESIGN.md).' },
        ],
      }],
    },
  },
  {
    // The core and everything else on the node side: no electron, hardware only from station.
    files: ['src-main/**/*.ts', 'test/fixtures/lint/src-main/**/*.ts'],
    ignores: ['src-main/index.ts', 'src-main/preload/**', 'src-main/station/**', 'test/fixtures/lint/src-main/station/**'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [noElectron, noHardware] }] },
  },
  {
    files: ['src-main/station/**/*.ts', 'test/fixtures/lint/src-main/station/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [noElectron, { group: ['**/src-renderer/**'], message: 'The core knows nothing of the UI.' }] }] },
  },
  {
    files: ['src-main/preload/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [noHardware, { group: ['**/station/**', '**/station'], message: 'The preload exposes the API contract only; it never reaches the core.' }] }] },
  },
  {
    files: ['hardware/**/*.ts', 'test/fixtures/lint/hardware/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [noElectron, { group: ['**/src-main/**', '**/src-renderer/**'], message: 'hardware/ drivers sit below the core and import neither it nor the UI.' }] }] },
  },
  {
    // src-node: Node-only code shared by the station, the Security Server and the client.
    files: ['src-node/**/*.ts', 'test/fixtures/lint/src-node/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [noElectron, { group: ['**/src-main/**', '**/src-main', '**/src-renderer/**', '**/src-server/**', '**/src-client/**'], message: 'src-node imports src-shared and hardware/ only (docs/DESIGN.md).' }] }] },
  },
  {
    files: ['src-server/**/*.ts', 'src-client/**/*.ts', 'test/fixtures/lint/src-server/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [noElectron, { group: ['**/src-main/**', '**/src-main', '**/src-renderer/**'], message: 'Server and client stand apart from the station.' }] }] },
  },
);
