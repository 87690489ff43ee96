// The import boundaries (docs/references.md) are enforced by eslint.config.js; these fixtures break each rule
// on purpose, so a rule that stopped firing fails here.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

async function lint(file: string): Promise<string[]> {
  const eslint = new ESLint({ ignore: false });
  const [result] = await eslint.lintFiles([file]);
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('import boundaries', () => {
  it('refuse node:* in src-shared', async () => {
    expect(await lint('test/fixtures/lint/src-shared/imports-node.ts')).toEqual([expect.stringContaining("@typescript-eslint/no-restricted-imports: 'node:fs'")]);
  });

  it('refuse the core in the renderer', async () => {
    expect(await lint('test/fixtures/lint/src-renderer/imports-core.ts')).toEqual([expect.stringContaining('The renderer imports src-shared only')]);
  });

  it('refuse electron outside index.ts and the preload', async () => {
    expect(await lint('test/fixtures/lint/src-main/ipc/imports-electron.ts')).toEqual([expect.stringContaining('Only src-main/index.ts and src-main/preload may import electron')]);
  });

  it('refuse hardware outside the station core', async () => {
    expect(await lint('test/fixtures/lint/src-main/ipc/imports-hardware.ts')).toEqual([expect.stringContaining('hardware/ is imported only by src-main/station')]);
  });

  it('refuse the station in src-node', async () => {
    expect(await lint('test/fixtures/lint/src-node/imports-station.ts')).toEqual([expect.stringContaining('src-node imports src-shared and hardware/ only')]);
  });

  it('refuse the station in the Security Server and the client', async () => {
    expect(await lint('test/fixtures/lint/src-server/imports-station.ts')).toEqual([expect.stringContaining('Server and client stand apart from the station')]);
  });

  it('accept the real tree', async () => {
    const eslint = new ESLint();
    const results = await eslint.lintFiles(['src-shared', 'src-node', 'src-main', 'src-renderer', 'hardware']);
    expect(results.flatMap((r) => r.messages.map((m) => `${r.filePath}: ${m.message}`))).toEqual([]);
  });
});
