// The bridge between the pool and the entropy pipeline (issue S3, parts 1–3): turns source specs into a
// health-tested, conditioned stream for one generation, records every source failure in the ledger
// before the failing read returns, keeps latched sources closed until an operator acknowledges them,
// and reports what is present. PSRD never leaves as a string: only counts, states and provenance.
import { existsSync } from 'node:fs';
import { StationFailure } from '../../src-shared/api/result';
import type { PoolProgress, SourceReport, SourceTestReport, SourceView } from '../../src-shared/api/types';
import { enumerateSources, EntropySourceError, formatSourceSpec, parseSourceSpec } from '../../hardware/entropy';
import { EntropyFailure, EntropyPipeline, type EntropyEvent } from './entropy';
import type { Ledger } from '../../src-node/ledger/ledger';
import type { EntropyStream } from './pool/pool';
import { latchedSources } from './source-latches';

export interface OpenEntropy extends EntropyStream {
  health(): PoolProgress['sources'];
  close(): Promise<void>;
}

export interface EntropySettings {
  /** SP 800-90B false-alarm probability for hardware sources, as −log2 α (default 30: α = 2^-30). */
  readonly alphaExponent: number;
  /**
   * The same for DRBG sources (the OS generator), default 40. At 2^-30 and GB/s a good DRBG trips a test
   * about once per 4 GiB, which would stop long generations for nothing; 2^-40 is once per TiB and still
   * catches a generator that is stuck or grossly broken (REFERENCES.md allows 2^-20 … 2^-40).
   */
  readonly computationalAlphaExponent: number;
  /** Each unit's assessed min-entropy per raw sample (SP 800-90B), by canonical spec. */
  readonly claimedMinEntropy: Readonly<Record<string, number>>;
}

export const defaultEntropySettings: EntropySettings = { alphaExponent: 30, computationalAlphaExponent: 40, claimedMinEntropy: {} };

export interface EntropyProvider {
  open(specs: readonly string[]): Promise<OpenEntropy>;
  list(configured: readonly string[]): Promise<SourceReport>;
  test(spec: string): Promise<SourceTestReport>;
  acknowledge(spec: string, operator: string): Promise<{ acknowledged: boolean }>;
}

/** Whether a configured source that enumeration did not list is there to be opened (paths only; devices by ID are enumerated). */
function present(spec: string): boolean {
  const parsed = parseSourceSpec(spec);
  if (parsed.kind === 'os') return true;
  if (parsed.kind === 'device-file' || (parsed.kind === 'serial' && parsed.path)) return existsSync(parsed.path!);
  return false;
}

/** The canonical form of a spec, so that `serial:/dev/ttyACM0` and its twin name one latch. */
export function canonicalSpec(spec: string): string {
  try {
    return formatSourceSpec(parseSourceSpec(spec));
  } catch (e) {
    throw new StationFailure('bad-request', e instanceof EntropySourceError ? e.message : `"${spec.slice(0, 80)}" is not an entropy source.`);
  }
}

const TEST_NAMES: Readonly<Record<string, string>> = { rct: 'repetition count', apt: 'adaptive proportion', source: 'device' };

function toStationFailure(e: unknown): unknown {
  if (e instanceof EntropyFailure) {
    const what = e.info.test === 'source' ? `stopped delivering samples (${e.info.reason})` : `failed its ${TEST_NAMES[e.info.test]} health test (${e.info.reason})`;
    return new StationFailure('entropy-failed', `${e.info.source.label} ${what}. Nothing it produced since its last good test was used. Check the device, then acknowledge it (Sources, or \`dske-station sources ack ${e.info.source.spec}\`).`);
  }
  if (e instanceof EntropySourceError) {
    const code = e.code === 'not-found' || e.code === 'ambiguous' ? 'source-not-found' : 'entropy-source';
    return new StationFailure(code, e.message);
  }
  return e;
}

export function defaultEntropyProvider(ledger: Ledger, now: () => Date, settings: EntropySettings = defaultEntropySettings): EntropyProvider {
  function refuseLatched(specs: readonly string[]): void {
    const latched = latchedSources(ledger);
    for (const s of specs) {
      const l = latched.get(s);
      if (l) throw new StationFailure('entropy-failed', `${s} is latched FAILED since ${l.time} (${l.test}: ${l.reason}); an operator must acknowledge it (\`dske-station sources ack ${s}\`) before it is used again.`);
    }
  }

  function pipeline(specs: readonly string[], onStats?: (e: EntropyEvent) => void): EntropyPipeline {
    try {
      return EntropyPipeline.fromSpecs(specs, {
        now,
        source: (spec) => ({ claimedMinEntropyPerSample: settings.claimedMinEntropy[spec] }),
        alphaFor: (spec) => 2 ** -(spec === 'os' ? settings.computationalAlphaExponent : settings.alphaExponent),
        onEvent: (event) => {
          // Awaited by the pipeline: the failure is durable in the ledger before the failing read returns.
          if (event.type === 'source-failed') {
            const f = event.failure;
            ledger.append('entropy.source-failed', {
              source: f.source.spec, label: f.source.label, vendorId: f.source.vendorId, productId: f.source.productId, serial: f.source.serial,
              test: f.test, code: f.code, reason: f.reason, sampleIndex: f.sampleIndex, droppedBytes: f.droppedBytes,
            }, now);
          } else if (event.type === 'source-opened' && event.warnings.length > 0) {
            ledger.append('entropy.source-warning', { source: event.source.spec, label: event.source.label, warnings: [...event.warnings] }, now);
          }
          onStats?.(event);
        },
      });
    } catch (e) {
      if (e instanceof RangeError) throw new StationFailure('bad-request', e.message);
      throw toStationFailure(e);
    }
  }

  return {
    async open(rawSpecs) {
      const specs = rawSpecs.map(canonicalSpec);
      if (new Set(specs).size !== specs.length) throw new StationFailure('bad-request', 'The same entropy source is named twice; XOR needs independent sources.');
      refuseLatched(specs);
      const p = pipeline(specs);
      return {
        async readInto(target) {
          try {
            await p.readInto(target);
          } catch (e) {
            throw toStationFailure(e);
          }
        },
        provenance: () => {
          const prov = p.provenance();
          return { label: prov.label, sources: prov.sources.map((s) => s.spec), detail: prov as unknown as Record<string, unknown> };
        },
        health: () => p.stats().map((s) => ({ label: s.label, state: s.state, samplesTested: s.samplesTested })),
        close: () => p.close(),
      };
    },

    async list(configured) {
      const found = await enumerateSources();
      const latched = latchedSources(ledger);
      const views = new Map<string, SourceView>();
      const state = (spec: string): Pick<SourceView, 'state' | 'reason'> => {
        const l = latched.get(spec);
        return l ? { state: 'failed', reason: `${l.test}: ${l.reason} (since ${l.time}; needs acknowledgement)` } : { state: 'ok' };
      };
      for (const f of found.sources) {
        const spec = f.spec ?? `${f.kind}:${f.path ?? f.label}`;
        views.set(spec, { spec, label: f.label, kind: f.kind, vendorId: f.vendorId, productId: f.productId, serial: f.serial, configured: false, ...(f.spec ? state(f.spec) : { state: 'ok' as const, reason: 'listed only (cannot be opened as an entropy source)' }) });
      }
      for (const raw of configured) {
        const spec = canonicalSpec(raw);
        const seen = views.get(spec);
        views.set(spec, seen ? { ...seen, configured: true } : { spec, label: spec, kind: parseSourceSpec(spec).kind, configured: true, ...(latched.has(spec) ? state(spec) : { state: present(spec) ? 'ok' : 'absent' }) });
      }
      for (const [spec] of latched) if (!views.has(spec)) views.set(spec, { spec, label: spec, kind: parseSourceSpec(spec).kind, configured: false, ...state(spec) });
      return { sources: [...views.values()], warnings: found.warnings.map((w) => w.message) };
    },

    async test(rawSpec) {
      const spec = canonicalSpec(rawSpec);
      refuseLatched([spec]);
      const p = pipeline([spec]);
      const sample = new Uint8Array(256 * 1024);
      try {
        await p.readInto(sample);
        const s = p.stats()[0];
        return { spec, passed: true, label: s.label, samplesTested: s.samplesTested, bytesRead: s.bytesRead };
      } catch (e) {
        const f = toStationFailure(e);
        if (f instanceof StationFailure) {
          const s = p.stats()[0];
          return { spec, passed: false, label: s.label, samplesTested: s.samplesTested, bytesRead: s.bytesRead, code: f.code, reason: f.message };
        }
        throw f;
      } finally {
        sample.fill(0);
        await p.close();
      }
    },

    async acknowledge(rawSpec, operator) {
      const spec = canonicalSpec(rawSpec);
      const latch = latchedSources(ledger).get(spec);
      if (!latch) throw new StationFailure('bad-request', `${spec} is not latched FAILED; there is nothing to acknowledge.`);
      ledger.append('entropy.source-acknowledged', { source: spec, operator, failureSeq: latch.seq }, now);
      return { acknowledged: true };
    },
  };
}
