// The entry catalogue (issue S5, build item 7): every type the station writes has a versioned validator;
// a real station's ledger holds only catalogued types, each entry's data of its type's shape; and
// Ledger.append refuses data that does not match its type, or a type the catalogue does not know,
// before anything is written.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogue, cataloguedTypes, readEntry, validateEntry, type EntryDataOf } from '../../src-shared/ledger/catalogue';
import { openStation, transportContext, type Station } from '../../src-main/station/station';
import { enrolPeople, OP, PEOPLE, SMALL_POLICY, tempDir } from '../support/station';

const FORMATS = fileURLToPath(new URL('../../docs/formats.md', import.meta.url));

describe('the catalogue', () => {
  it('has a versioned validator for every type, and docs/formats.md lists each with its version', () => {
    expect(cataloguedTypes.length).toBeGreaterThan(25);
    const doc = readFileSync(FORMATS, 'utf8');
    expect(doc.indexOf('## Entry types')).toBeGreaterThan(0);
    const section = doc.slice(doc.indexOf('## Entry types'));
    for (const t of cataloguedTypes) {
      expect(typeof catalogue[t].data, t).toBe('function');
      expect(catalogue[t].version, t).toBe(1);
      expect(section, `docs/formats.md names ${t}`).toMatch(new RegExp(`\\| \`${t.replace('.', '\\.')}\` \\| ${catalogue[t].version} \\|`));
    }
  });

  it('refuses an uncatalogued type and takes any plain JSON for test.*', () => {
    expect(validateEntry('note.added', { text: 'x' })).toEqual({ ok: false, reason: '"note.added" is not an entry type the catalogue knows' });
    expect(validateEntry('constructor', {}).ok).toBe(false);
    expect(validateEntry('test.', {}).ok).toBe(false);
    expect(validateEntry('test.anything', { a: [1, null, { b: 'c' }], d: true })).toEqual({ ok: true });
    expect(validateEntry('test.anything', { at: new Date(0) })).toEqual({ ok: false, reason: 'at must be a plain object' });
    expect(validateEntry('test.anything', { n: Number.NaN })).toEqual({ ok: false, reason: 'n must be a finite number' });
    expect(validateEntry('test.anything', [1])).toEqual({ ok: false, reason: 'data must be an object' });
  });

  it('names the field that does not match', () => {
    expect(validateEntry('job.ended', { job: 'job-00000000000000aa', outcome: 'finished' })).toEqual({ ok: false, reason: 'outcome must be one of done, failed, cancelled' });
    expect(validateEntry('operator.created', { name: 'A', roles: ['admin'], actor: { host: 'cli', by: 'x' } })).toEqual({ ok: false, reason: 'actor.by is not expected' });
    expect(validateEntry('station.created', 'x')).toEqual({ ok: false, reason: 'data must be an object' });
  });

  it('gives readers a typed view', () => {
    const raw = { seq: 3, type: 'job.started', data: { job: 'job-00000000000000aa', kind: 'source-test', title: 'Testing os', resources: ['source:os'], resumable: false, actor: { host: 'cli' } } };
    const r = readEntry(raw);
    expect(r.ok).toBe(true);
    if (!r.ok || r.value.type !== 'job.started') throw new Error('not read as job.started');
    const data: EntryDataOf<'job.started'> = r.value.data;
    expect([r.value.seq, r.value.version, data.actor.host, data.actor.operator]).toEqual([3, 1, 'cli', undefined]);
    expect(readEntry({ type: 'job.started', data: { ...raw.data, resumable: 'no' } })).toEqual({ ok: false, reason: 'job.started: resumable must be true or false' });
    expect(readEntry({ type: 'test.step', data: { i: 1 } })).toMatchObject({ ok: true, value: { version: 0, data: { i: 1 } } });
  });
});

describe("a real station's ledger", { timeout: 120_000 }, () => {
  let dir: string;
  let station: Station;

  beforeAll(async () => {
    dir = tempDir('dske-catalogue-');
    station = openStation({ dataDir: join(dir, 'station'), host: 'test', mode: 'create', policy: SMALL_POLICY });
    await enrolPeople(station);
    // A refused sign-in: a wrong passphrase, and a name with no account.
    expect(await station.dispatch('operators.signIn', { name: PEOPLE.desk.name, passphrase: 'not the passphrase' }, transportContext('test'))).toMatchObject({ ok: false });
    expect(await station.dispatch('operators.signIn', { name: 'Nobody Here', passphrase: 'not the passphrase' }, transportContext('test'))).toMatchObject({ ok: false });
    await station.handlers.operators.setDisabled({ name: PEOPLE.desk.name, disabled: true }, OP);
    await station.handlers.operators.setDisabled({ name: PEOPLE.desk.name, disabled: false }, OP);
    await station.handlers.operators.resetPassphrase({ name: PEOPLE.desk.name, next: 'another long passphrase' }, OP);

    await station.handlers.devices.configureSources({ sources: ['os'] }, OP);
    await station.handlers.pool.generate({ bytes: 2 * SMALL_POLICY.segmentBytes + 1000, sources: ['os'] }, OP);
    expect((await station.handlers.devices.testSource({ spec: 'os' }, OP)).passed).toBe(true);
    // A source stuck at one value fails its test and is latched; a second operator's approval clears it.
    const stuck = join(dir, 'stuck');
    writeFileSync(stuck, Buffer.alloc(1 << 16, 7));
    expect((await station.handlers.devices.testSource({ spec: `file:${stuck}` }, OP)).passed).toBe(false);
    const approved = { ...OP, approver: { name: PEOPLE.second.name, roles: ['operator' as const] } };
    expect(await station.handlers.devices.acknowledgeSource({ spec: `file:${stuck}` }, approved)).toEqual({ acknowledged: true });
    await station.handlers.pool.scrub({}, OP);
    const [segment] = station.pool.state.unallocated();
    station.pool.destroyRange(segment.id, 0, 100, 'test: a range destroyed');
    station.pool.destroySegment(station.pool.state.unallocated()[1], 'test: a segment destroyed', { host: 'test', operator: OP.operator!.name });
    // Reopened: recovery records nothing new, but a job left open would be `job.interrupted`.
    await station.close();
    station = openStation({ dataDir: join(dir, 'station'), host: 'test', mode: 'open', policy: SMALL_POLICY });
  }, 120_000);

  afterAll(async () => {
    await station?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('holds only catalogued types, and every entry validates', () => {
    const entries = station.ledger.entries();
    const types = new Set(entries.map((e) => e.type));
    for (const t of types) expect(cataloguedTypes, t).toContain(t);
    for (const e of entries) expect(validateEntry(e.type, e.data), `entry ${e.seq} (${e.type})`).toEqual({ ok: true });
    for (const e of entries) expect(readEntry(e).ok, `entry ${e.seq} (${e.type})`).toBe(true);
    // What this station did, by type: most of the catalogue.
    for (const t of [
      'station.created', 'station.sources-configured',
      'operator.created', 'operator.sign-in-refused', 'operator.disabled', 'operator.enabled', 'operator.passphrase-set',
      'job.started', 'job.ended',
      'pool.generation-started', 'pool.segment-added', 'pool.generation-finished', 'pool.scrubbed', 'pool.range-destroyed', 'pool.segment-destroyed',
      'entropy.source-failed', 'entropy.source-acknowledged',
    ]) {
      expect(types, t).toContain(t);
    }
  });

  it('refuses malformed data in append, and writes nothing', () => {
    const ledger = station.ledger;
    const [segment] = station.pool.state.unallocated();
    const before = { length: ledger.length, head: ledger.head(), entries: ledger.entries().length };
    const bad: [string, Record<string, unknown>][] = [
      ['job.ended', { job: 'job-00000000000000aa', outcome: 'finished' }],
      ['job.started', { job: 'job-00000000000000aa', kind: 'x', title: 'x', resources: [], resumable: false }], // no actor
      ['pool.segment-added', { segment: segment.id, bytes: 10, chunkBytes: 10, job: 'job-00000000000000aa', label: 'information-theoretic', sources: ['os'] }], // no provenance
      ['pool.range-destroyed', { segment: segment.id, offset: -1, length: 10, reason: 'x' }],
      ['operator.created', { name: 'Eve', roles: ['root'], actor: { host: 'test' } }],
      ['operator.disabled', { name: 'Eve', actor: { host: 'test' }, extra: 1 }],
      ['station.created', { masterKey: { description: 'x', check: 'AAAA', digest: 'not hex' } }],
      ['entropy.source-failed', { source: 'os', label: 'os', device: 'spec:os', deviceKeys: [], test: 'rct', code: 'rct', reason: 'x', sampleIndex: 1.5, droppedBytes: 0 }],
      ['note.added', { text: 'an uncatalogued type' }],
      ['test.bad', { when: new Map() as unknown as string, n: Number.POSITIVE_INFINITY }],
    ];
    for (const [type, data] of bad) expect(() => ledger.append(type, data), type).toThrow(TypeError);
    expect({ length: ledger.length, head: ledger.head(), entries: ledger.entries().length }).toEqual(before);
    expect(() => ledger.append('pool.range-destroyed', { segment: segment.id, offset: 200, length: 10, reason: 'test: a well-formed entry still goes in' })).not.toThrow();
    expect(ledger.length).toBe(before.length + 1);
  });
});
