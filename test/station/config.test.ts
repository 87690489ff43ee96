// station.json is input like any other: a malformed file is refused with its reason, and the station
// does not start half-configured.
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveSettings } from '../../src-main/station/config';
import { tempDir } from '../support/station';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function settings(content: string): ReturnType<typeof resolveSettings> {
  dir = tempDir('dske-config-');
  writeFileSync(join(dir, 'station.json'), content);
  return resolveSettings({ dataDir: dir, host: 'test' });
}

describe('station.json', () => {
  it('applies a valid file over the defaults', () => {
    const s = settings(JSON.stringify({ pool: { segmentBytes: 1 << 20, chunkBytes: 1 << 16 }, sources: ['hwrng'] }));
    expect(s.policy).toMatchObject({ segmentBytes: 1 << 20, chunkBytes: 1 << 16, refreshAfterDays: 183 });
    expect(s.sources).toEqual(['hwrng']);
  });

  it.each([
    ['not JSON', '{pool:', /not valid JSON/],
    ['an unknown key', JSON.stringify({ pol: {} }), /pol is not expected/],
    ['a negative size', JSON.stringify({ pool: { segmentBytes: -5 } }), /pool.segmentBytes must be between/],
    ['a segment smaller than a chunk', JSON.stringify({ pool: { segmentBytes: 4096, chunkBytes: 8192 } }), /at least one chunk/],
    ['a relative PKCS#11 module path', JSON.stringify({ masterKey: { pkcs11: { module: 'libsofthsm2.so', tokenLabel: 'x' } } }), /module has an invalid form/],
  ])('refuses %s', (_what, content, reason) => {
    expect(() => settings(content)).toThrow(reason);
  });
});
