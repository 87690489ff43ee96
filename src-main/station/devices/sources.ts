// The bridge between the pool and the entropy pipeline (issue S3, parts 1–3): turns source specs into a
// health-tested, conditioned stream for one generation, records every source failure in the ledger
// before the failing read returns, keeps latched sources closed until an operator acknowledges them,
// and reports what is present. PSRD never leaves as a string: only counts, states and provenance.
// A source that cannot be opened (issue S4) is only unavailable: the call fails with one plain sentence,
// nothing goes to the ledger and nothing is latched, so it works as soon as it is plugged in.
// Latches bind to the device (issue S5, item 5; source-latches.ts): every spec is resolved to its unit
// before anything is opened, and a unit latched under one spec is refused under every other.
import { accessSync, constants, statSync } from 'node:fs';
import { StationFailure } from '../../../src-shared/api/result';
import type { PoolProgress } from '../../../src-shared/api/pool';
import type { SourceReport, SourceTestReport, SourceView } from '../../../src-shared/api/devices';
import { enumerateSources, EntropySourceError, formatSourceSpec, parseSourceSpec, type Enumeration, type SourceSpec } from '../../../hardware/entropy';
import { EntropyFailure, EntropyPipeline, type EntropyEvent } from '../entropy';
import { SourceUnavailable } from '../entropy/pipeline';
import type { Ledger } from '../../../src-node/ledger/ledger';
import type { EntropyStream } from '../pool/pool';
import { enumeratedUnits, failedIdentity, identifyFound, identityRecord, identifySource, latchedSources, liveUnits, sameUnit, type Latch, type SourceIdentity } from './source-latches';
import type { Actor } from '../operators/accounts';

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
   * catches a generator that is stuck or grossly broken (docs/references.md allows 2^-20 … 2^-40).
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
  acknowledge(spec: string, actor: Actor): Promise<{ acknowledged: boolean }>;
}

/**
 * One sentence a desk clerk can act on, for a source that cannot be opened, by the driver's error code.
 * No errno text and no command: the window shows it too, and the CLI adds its own hint.
 */
export function unavailableSentence(spec: string, code: string): string {
  const s = `The entropy source ${spec}`;
  let parsed: SourceSpec | undefined;
  try {
    parsed = parseSourceSpec(spec);
  } catch {
    parsed = undefined;
  }
  const byPath = parsed?.kind === 'device-file' || (parsed?.kind === 'serial' && parsed.path !== undefined);
  switch (code) {
    case 'not-found':
      return byPath ? `${s} is not connected or cannot be opened; check the cable or the path.` : `${s} is not connected; check that the device is plugged in and its cable is sound.`;
    case 'ambiguous':
      return `More than one connected device matches the entropy source ${spec}; unplug the extra one, or name the device's serial number in the station's settings.`;
    case 'permission':
      return `${s} is connected but cannot be opened, because another program is using it or this station may not read it; close that program, or ask the administrator to grant access.`;
    case 'wrong-type':
      return parsed?.kind === 'serial' ? `${s} is not a serial port; check the path.` : `${s} names a folder, not a device or a file; check the path.`;
    case 'unsupported':
      return `${s} cannot be used on this computer, which lacks the system support it needs; ask the administrator.`;
    default:
      return `${s} is there but did not open; reconnect the device or check the path, then try again.`;
  }
}

type Presence = Pick<SourceView, 'state' | 'reason'>;

/**
 * Whether a configured source that enumeration did not list by its spec is there: absent (not there),
 * unavailable (there, but it cannot be opened) or ok. Looks without opening anything: opening a serial
 * RNG sets DTR and starts it streaming, which a listing must not do.
 */
function presence(spec: string, found: Enumeration): Presence {
  const parsed = parseSourceSpec(spec);
  const absent = (code = 'not-found'): Presence => ({ state: 'absent', reason: unavailableSentence(spec, code) });
  const unavailable = (code: string): Presence => ({ state: 'unavailable', reason: unavailableSentence(spec, code) });
  if (parsed.kind === 'os') return { state: 'ok' };
  if (parsed.kind === 'device-file' || (parsed.kind === 'serial' && parsed.path !== undefined)) {
    const path = parsed.path as string;
    const serial = parsed.kind === 'serial';
    if (serial && found.sources.some((f) => f.kind === 'serial' && f.path?.toUpperCase() === path.toUpperCase())) return { state: 'ok' };
    if (!path.startsWith('/')) return absent(); // a COM port the port list does not show
    let st;
    try {
      st = statSync(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return code === 'ENOENT' || code === 'ENOTDIR' ? absent() : unavailable(code === 'EACCES' || code === 'EPERM' ? 'permission' : 'io');
    }
    if (serial ? !st.isCharacterDevice() : st.isDirectory()) return unavailable('wrong-type');
    try {
      accessSync(path, serial ? constants.R_OK | constants.W_OK : constants.R_OK);
    } catch {
      return unavailable('permission');
    }
    return { state: 'ok' };
  }
  // Bound by USB identity: count the matching devices the enumeration saw.
  const kind = parsed.kind;
  const want = parsed as { vendorId?: string; productId?: string; serial?: string };
  const matches = found.sources.filter((f) => f.kind === kind && f.vendorId === want.vendorId && f.productId === want.productId && (want.serial === undefined || f.serial === want.serial));
  if (matches.length > 1) return unavailable('ambiguous');
  if (matches.length === 1) return { state: 'ok' };
  const busMissing = found.warnings.some((w) => w.bus === (kind === 'usb' ? 'usb' : 'serial') && w.code === 'unsupported');
  return absent(busMissing ? 'unsupported' : 'not-found');
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

/** What a source that failed while in use did, in plain words (the driver's text stays in the ledger). */
const SOURCE_FAILURES: Readonly<Record<string, string>> = {
  stalled: 'stopped sending samples',
  unplugged: 'was disconnected while in use',
  exhausted: 'ran out of samples',
};

function toStationFailure(e: unknown): unknown {
  if (e instanceof SourceUnavailable) return new StationFailure('source-unavailable', unavailableSentence(e.source.spec, e.code));
  if (e instanceof EntropyFailure) {
    const what = e.info.test === 'source' ? (SOURCE_FAILURES[e.info.code] ?? 'stopped delivering samples') : `failed its ${TEST_NAMES[e.info.test]} health test`;
    return new StationFailure(
      'entropy-failed',
      `${e.info.source.label} ${what}, and nothing it produced since its last good test was used; check the device, then an operator acknowledges it, with a second operator's approval.`,
    );
  }
  if (e instanceof EntropySourceError) {
    const code = e.code === 'not-found' || e.code === 'ambiguous' ? 'source-not-found' : 'entropy-source';
    return new StationFailure(code, e.message);
  }
  return e;
}

/** What a latch says, naming the spec it was latched under when the caller named the unit otherwise. */
function latchedSentence(spec: string, l: Latch): string {
  const what = l.test === 'source' ? `it ${SOURCE_FAILURES[l.code] ?? 'stopped delivering samples'}` : TEST_NAMES[l.test] ? `it failed its ${TEST_NAMES[l.test]} health test` : 'it failed its health tests';
  return l.source === spec ? `${spec} is latched FAILED since ${l.time} (${what})` : `${spec} names the same device as ${l.source}, which is latched FAILED since ${l.time} (${what})`;
}

function kindOf(spec: string): string {
  try {
    return parseSourceSpec(spec).kind;
  } catch {
    return 'unknown';
  }
}

/** Each spec's unit, resolved before anything is opened; the buses are asked at most once. */
function identifyAll(specs: readonly string[]): Promise<SourceIdentity[]> {
  const units = liveUnits();
  return Promise.all(specs.map((s) => identifySource(s, units)));
}

export function defaultEntropyProvider(ledger: Ledger, now: () => Date, settings: EntropySettings = defaultEntropySettings): EntropyProvider {
  /** Refuses, before anything is opened, a spec whose unit is latched FAILED, naming the spec it was latched under. */
  function refuseLatched(ids: readonly SourceIdentity[]): void {
    const latched = latchedSources(ledger);
    for (const id of ids) {
      const l = latched.of(id);
      if (l) throw new StationFailure('entropy-failed', `${latchedSentence(id.spec, l)}; after checking the device, an operator acknowledges it, with a second operator's approval, before it is used again.`);
    }
  }

  function pipeline(specs: readonly string[], ids: ReadonlyMap<string, SourceIdentity>, onStats?: (e: EntropyEvent) => void): EntropyPipeline {
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
              ...identityRecord(failedIdentity(ids.get(f.source.spec), f.source)),
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
      const twice = new StationFailure('bad-request', 'The same entropy source is named twice; XOR needs independent sources.');
      if (new Set(specs).size !== specs.length) throw twice;
      const ids = await identifyAll(specs);
      if (ids.some((a, i) => ids.some((b, j) => j > i && sameUnit(a, b)))) throw twice;
      refuseLatched(ids);
      const p = pipeline(specs, new Map(ids.map((id) => [id.spec, id])));
      // Opened now, so that a missing source stops the call before a generation is recorded as started.
      try {
        await p.open();
      } catch (e) {
        await p.close();
        throw toStationFailure(e);
      }
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
      const units = enumeratedUnits(found);
      const views = new Map<string, SourceView>();
      // Every spec that names a latched unit shows the latch, whichever spec it was latched under.
      const failed = (id: SourceIdentity | undefined): Pick<SourceView, 'state' | 'reason'> | undefined => {
        const l = id && latched.of(id);
        return l ? { state: 'failed', reason: `${latchedSentence(id.spec, l)}; it needs an operator's acknowledgement.` } : undefined;
      };
      for (const f of found.sources) {
        const spec = f.spec ?? `${f.kind}:${f.path ?? f.label}`;
        views.set(spec, { spec, label: f.label, kind: f.kind, vendorId: f.vendorId, productId: f.productId, serial: f.serial, configured: false, ...(f.spec ? (failed(identifyFound(f)) ?? { state: 'ok' as const }) : { state: 'ok' as const, reason: 'listed only (cannot be opened as an entropy source)' }) });
      }
      for (const raw of configured) {
        const spec = canonicalSpec(raw);
        const seen = views.get(spec);
        views.set(spec, seen ? { ...seen, configured: true } : { spec, label: spec, kind: parseSourceSpec(spec).kind, configured: true, ...(failed(await identifySource(spec, units)) ?? presence(spec, found)) });
      }
      for (const l of latched.all) {
        if (!views.has(l.source)) views.set(l.source, { spec: l.source, label: l.source, kind: kindOf(l.source), configured: false, state: 'failed', reason: `${latchedSentence(l.source, l)}; it needs an operator's acknowledgement.` });
      }
      return { sources: [...views.values()], warnings: found.warnings.map((w) => w.message) };
    },

    async test(rawSpec) {
      const spec = canonicalSpec(rawSpec);
      const id = await identifySource(spec, liveUnits());
      refuseLatched([id]);
      const p = pipeline([spec], new Map([[spec, id]]));
      // A source that cannot be opened is no test result: the call fails, and nothing is latched.
      try {
        await p.open();
      } catch (e) {
        await p.close();
        throw toStationFailure(e);
      }
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

    async acknowledge(rawSpec, actor) {
      const spec = canonicalSpec(rawSpec);
      // Any spec that names the unit clears its latch; the entry says which unit and which latch.
      const latch = latchedSources(ledger).of(await identifySource(spec, liveUnits()));
      if (!latch) throw new StationFailure('bad-request', `${spec} is not latched FAILED; there is nothing to acknowledge.`);
      ledger.append('entropy.source-acknowledged', { source: spec, device: latch.device, latchedAs: latch.source, operator: actor.operator, approver: actor.approver, actor, failureSeq: latch.seq }, now);
      return { acknowledged: true };
    },
  };
}
