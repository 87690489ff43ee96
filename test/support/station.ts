// Opens a real station on a fresh temporary data directory (small segments, so tests stay fast).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStation, type Station } from '../../src-main/station/station';
import type { StationConfig } from '../../src-main/station/config';

export interface TestStation {
  readonly station: Station;
  readonly dataDir: string;
  reopen(overrides?: Partial<StationConfig>): Promise<Station>;
  cleanup(): Promise<void>;
}

export const SMALL_POLICY = { segmentBytes: 256 * 1024, chunkBytes: 64 * 1024, lowWaterBytes: 1024 * 1024 };

export function tempDir(prefix = 'dske-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function openTestStation(overrides: Partial<StationConfig> = {}): TestStation {
  const dataDir = overrides.dataDir ?? tempDir();
  const config = (o: Partial<StationConfig> = {}): StationConfig => ({ dataDir, host: 'test', policy: SMALL_POLICY, ...overrides, ...o });
  let current = openStation(config());
  return {
    get station() {
      return current;
    },
    dataDir,
    async reopen(o = {}) {
      await current.close();
      current = openStation(config(o));
      return current;
    },
    async cleanup() {
      await current.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
