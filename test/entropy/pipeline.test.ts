// The pipeline the pool draws from: sources → health tests → conditioning → XOR, exactly n bytes or a
// typed EntropyFailure, with events for the ledger and provenance for each segment.
import { describe, expect, it } from 'vitest';
import { EntropySourceError, OsEntropySource } from '../../hardware/entropy';
import { expectedHmac } from './helpers/conditioned';
import { EntropyFailure, EntropyPipeline, type EntropyEvent } from '../../src-main/station/entropy/pipeline';
import { concatBytes, keystream } from './helpers/bytes';
import { ScriptedSource } from './helpers/scripted-source';


async function failureOf(p: Promise<unknown>): Promise<EntropyFailure> {
  try {
    await p;
  } catch (e) {
    if (e instanceof EntropyFailure) return e;
    throw e;
  }
  throw new Error('expected an EntropyFailure');
}

describe('entropy pipeline', () => {
  it('yields exactly n bytes: HMAC-SHA-512 over whole passing windows after the start-up samples', async () => {
    const raw = keystream('hw', 1024 + 128 * 40 + 600);
    const src = new ScriptedSource('hw').play(raw);
    const p = new EntropyPipeline([src]);
    const a = await p.read(100);
    const b = await p.read(900);
    expect(concatBytes(a, b)).toEqual(expectedHmac(raw, 1000));
    expect(p.stats()[0]).toMatchObject({ state: 'running', bytesOutput: 1000, bytesDiscardedAtStartup: 1024, opens: 1 });
  });

  it('binary-sample sources: 1024 start-up bits discarded, then HMAC over 128-byte blocks at H = 1', async () => {
    const raw = keystream('bits', 128 + 128 * 12 + 64);
    const p = new EntropyPipeline([new ScriptedSource('bits', 1, false, 1).play(raw)]);
    const out = await p.read(640);
    expect(out).toEqual(expectedHmac(raw, 640, 128));
    expect(p.provenance().sources[0]).toMatchObject({ sampleBits: 1, health: { rctCutoff: 31, aptCutoff: 609, aptWindow: 1024 } });
  });

  it('serves the OS CSPRNG through the same tests, passed through and labelled computational', async () => {
    const p = new EntropyPipeline([new OsEntropySource()]);
    const out = await p.read(3 << 20);
    expect(out.length).toBe(3 << 20);
    expect(p.provenance()).toMatchObject({ label: 'computational', combiner: 'single', sources: [{ kind: 'os', conditioner: { name: 'none (DRBG output)' } }] });
    expect(p.stats()[0]?.samplesTested).toBeGreaterThanOrEqual((3 << 20) + 1024);
  });

  it('XORs independent sources: the output is the XOR of what each would yield alone', async () => {
    const r1 = keystream('x1', 1024 + 128 * 20);
    const r2 = keystream('x2', 1024 + 128 * 20);
    const both = new EntropyPipeline([new ScriptedSource('a').play(r1), new ScriptedSource('b').play(r2)]);
    const out = await both.read(641);
    const e1 = expectedHmac(r1, 641);
    const e2 = expectedHmac(r2, 641);
    expect(out).toEqual(e1.map((x, i) => x ^ (e2[i] as number)));
    expect(both.provenance().combiner).toBe('xor');
  });

  it('labels output information-theoretic as soon as one source is not a DRBG, and records each source', () => {
    const hw = new ScriptedSource('hw', 6);
    const p = new EntropyPipeline([new OsEntropySource(), hw], { alpha: 2 ** -40 });
    const prov = p.provenance();
    expect(prov.label).toBe('information-theoretic');
    expect(prov.sources[1]).toMatchObject({
      id: 'file:/scripted/hw',
      kind: 'device-file',
      computational: false,
      claimedMinEntropyPerSample: 6,
      health: { alpha: 2 ** -40, rctCutoff: 8, aptWindow: 512, startupSamples: 1024 },
      conditioner: { name: 'HMAC-SHA-512', inputBytesPerBlock: 171, outputBytesPerBlock: 64 },
    });
    expect(prov.sources[0]?.health.rctCutoff).toBe(6);
    expect(new EntropyPipeline([new OsEntropySource()]).provenance().label).toBe('computational');
  });

  it('a failing source: typed EntropyFailure, an event, nothing output, latched until acknowledged', async () => {
    const good = keystream('f', 1024 + 512 * 3);
    const src = new ScriptedSource('f').play(good, new Uint8Array(600), keystream('after', 4096));
    const events: EntropyEvent[] = [];
    const p = new EntropyPipeline([src], { onEvent: (e) => void events.push(e), now: () => new Date('2026-01-02T03:04:05Z') });
    const f = await failureOf(p.read(4096));
    expect(f).toMatchObject({ sourceId: 'file:/scripted/f', test: 'rct', code: 'rct', latched: false });
    expect(f.info).toMatchObject({ sampleIndex: good.length + 4, cutoff: 5, at: '2026-01-02T03:04:05.000Z', source: { kind: 'device-file' } });
    expect(events.filter((e) => e.type === 'source-failed')).toHaveLength(1);
    expect(src.closes).toBe(1);
    const again = await failureOf(p.read(16));
    expect(again.latched).toBe(true);
    expect(await p.acknowledge('file:/scripted/f', 'operator A')).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'acknowledged', operator: 'operator A' });
    // Re-armed: re-opened, the start-up samples discarded again.
    const out = await p.read(640);
    expect(out).toEqual(expectedHmac(keystream('after', 4096), 640));
    expect(p.stats()[0]).toMatchObject({ opens: 2, failures: 1, state: 'running' });
  });

  it('a source that vanishes mid-read invalidates the block in flight', async () => {
    const src = new ScriptedSource('u').play(keystream('u', 1024 + 512 * 2 + 300), new EntropySourceError('unplugged', 'gone'));
    const events: EntropyEvent[] = [];
    const p = new EntropyPipeline([src], { onEvent: (e) => void events.push(e) });
    const f = await failureOf(p.read(8192));
    expect(f).toMatchObject({ test: 'source', code: 'unplugged' });
    expect(f.info.droppedBytes).toBe(300);
    expect(p.stats()[0]).toMatchObject({ state: 'failed', bytesOutput: 0 });
  });

  it('a read that never settles trips the watchdog as stalled', async () => {
    const p = new EntropyPipeline([new ScriptedSource('h').play(keystream('h', 2000), 'hang')], { watchdogMs: 100 });
    const f = await failureOf(p.read(4096));
    expect(f).toMatchObject({ test: 'source', code: 'stalled' });
  });

  it('when one of two sources fails, the other keeps its good output for the next read', async () => {
    const bad = new ScriptedSource('bad').play(keystream('bad', 1500), new Uint8Array(8));
    const goodRaw = keystream('good', 1024 + 128 * 30);
    const good = new ScriptedSource('good').play(goodRaw);
    const p = new EntropyPipeline([bad, good]);
    await failureOf(p.read(256));
    await p.acknowledge('file:/scripted/bad', 'op');
    bad.play(keystream('bad2', 1024 + 128 * 10));
    const out = await p.read(256);
    const e1 = expectedHmac(keystream('bad2', 1024 + 128 * 10), 256);
    const e2 = expectedHmac(goodRaw, 256);
    expect(out).toEqual(e1.map((x, i) => x ^ (e2[i] as number)));
  });

  it('reports open warnings as events', async () => {
    const events: EntropyEvent[] = [];
    const p = new EntropyPipeline([new ScriptedSource('w', 8, false, 8, ['DTR refused']).play(keystream('w', 4096))], { onEvent: (e) => void events.push(e) });
    await p.read(64);
    expect(events.map((e) => e.type)).toEqual(['source-opened', 'warning', 'startup-passed', 'stats']);
  });

  it('serializes concurrent reads and never hands out the same bytes twice', async () => {
    const p = new EntropyPipeline([new OsEntropySource()]);
    const [a, b] = await Promise.all([p.read(4096), p.read(4096)]);
    expect(Buffer.compare(a, b)).not.toBe(0);
  });

  it('refuses the same source configured twice (XOR needs independent sources)', () => {
    expect(() => new EntropyPipeline([{ id: 'a', source: new ScriptedSource('s') }, { id: 'b', source: new ScriptedSource('s') }])).toThrow(/twice/);
  });

  it('builds from spec strings and refuses a malformed one with a typed error', () => {
    expect(EntropyPipeline.fromSpecs(['os']).provenance().sources[0]?.spec).toBe('os');
    const tuned = EntropyPipeline.fromSpecs(['os', 'hwrng'], { alphaFor: (spec) => (spec === 'os' ? 2 ** -40 : undefined) }).provenance();
    expect(tuned.sources.map((s) => s.health.rctCutoff)).toEqual([6, 1 + Math.ceil(30 / 6)]);
    expect(() => EntropyPipeline.fromSpecs(['serial:nowhere'])).toThrow(EntropySourceError);
  });
});
