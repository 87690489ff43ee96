// Issue S4, plain failures: a source that cannot be opened (never there, not plugged in, not a device)
// is unavailable, not failed. The call fails with `source-unavailable` and one plain sentence, the
// ledger records no failure, nothing is latched, and the same spec works as soon as it is there — with
// no acknowledgement. A source that opened and then stopped delivering still latches (as in S3).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StationFailure } from '../../src-shared/api/result';
import { SETTINGS_FILE } from '../../src-main/station/config';
import type { Station } from '../../src-main/station/station';
import { OP, openTestStation, tempDir, type TestStation } from '../support/station';

let t: TestStation | undefined;
let dirs: string[] = [];
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/** A scratch directory for device files, removed after the test. */
function scratch(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
}

/** A station whose settings name `sources` (besides os). */
function stationWith(sources: readonly string[]): { station: Station } {
  const dataDir = tempDir('dske-s4-');
  writeFileSync(join(dataDir, SETTINGS_FILE), JSON.stringify({ sources: ['os', ...sources] }));
  t = openTestStation({ dataDir });
  return { station: t.station };
}

async function rejection(p: Promise<unknown>): Promise<StationFailure> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(StationFailure);
  return e as StationFailure;
}

/** One sentence, naming the source once, with no errno text, no driver label and no command. */
function expectPlain(message: string, spec: string): void {
  expect(message).not.toMatch(/\bE[A-Z]{3,}\b/); // ENOENT, ENOTTY, EISDIR, EACCES…
  expect(message).not.toMatch(/errno|no such file|ioctl|Device file|Serial RNG|Cannot open/i);
  expect(message).not.toMatch(/dske-station|`|--/);
  expect(message.split(spec).length - 1).toBe(1);
  expect(message.replace(spec, 'SPEC').match(/[.!?](\s|$)/g)).toHaveLength(1);
  expect(message.endsWith('.')).toBe(true);
}

function ledgerTypes(station: Station): string[] {
  return station.ledger.entries().map((e) => e.type);
}

async function stateOf(station: Station, spec: string): Promise<{ state: string; reason?: string } | undefined> {
  return (await station.handlers.devices.listSources({}, OP)).sources.find((s) => s.spec === spec);
}

describe('a source that cannot be opened', () => {
  it('file:/nonexistent: source-unavailable in one plain sentence, nothing in the ledger, not latched', async () => {
    expect(existsSync('/nonexistent')).toBe(false);
    const { station } = stationWith(['file:/nonexistent']);
    const err = await rejection(station.handlers.devices.testSource({ spec: 'file:/nonexistent' }, OP));
    expect(err.code).toBe('source-unavailable');
    expect(err.message).toBe('The entropy source file:/nonexistent is not connected or cannot be opened; check the cable or the path.');
    expectPlain(err.message, 'file:/nonexistent');
    expect(ledgerTypes(station)).not.toContain('entropy.source-failed');
    expect(await stateOf(station, 'file:/nonexistent')).toMatchObject({ state: 'absent', reason: err.message });
  });

  it('works as soon as it is there, without acknowledgement', async () => {
    const dir = scratch('dske-s4-dev-');
    const device = join(dir, 'rng-device');
    const spec = `file:${device}`;
    const { station } = stationWith([spec]);

    const tested = await rejection(station.handlers.devices.testSource({ spec }, OP));
    expect(tested.code).toBe('source-unavailable');
    expectPlain(tested.message, spec);
    const before = (await station.handlers.pool.status({}, OP)).unallocatedBytes;
    const generated = await rejection(station.handlers.pool.generate({ bytes: 64 * 1024, sources: [spec] }, OP));
    expect(generated).toMatchObject({ code: 'source-unavailable', message: tested.message });
    expect((await station.handlers.pool.status({}, OP)).unallocatedBytes).toBe(before);
    // Opened before the generation starts: no generation is recorded, and no source failure.
    const types = ledgerTypes(station);
    expect(types).not.toContain('entropy.source-failed');
    expect(types.filter((x) => x.startsWith('pool.generation'))).toEqual([]);
    const listed = await stateOf(station, spec);
    expect(listed?.state).toBe('absent');
    expect(listed?.state).not.toBe('failed');

    // Plugged in: good samples, enough for the 256 KiB test and its start-up test (H = 6 by default).
    writeFileSync(device, randomBytes(4 * 1024 * 1024));
    expect(await stateOf(station, spec)).toMatchObject({ state: 'ok' });
    const report = await station.handlers.devices.testSource({ spec }, OP);
    expect(report).toMatchObject({ spec, passed: true });
    expect(report.samplesTested).toBeGreaterThan(256 * 1024);
    const made = await station.handlers.pool.generate({ bytes: 64 * 1024, sources: [spec] }, OP);
    expect(made.bytes).toBe(64 * 1024);
    // Nothing was latched, so there is nothing to acknowledge.
    const approved = { ...OP, approver: { name: 'R. Approver', roles: ['operator' as const] } };
    await expect(station.handlers.devices.acknowledgeSource({ spec }, approved)).rejects.toMatchObject({ code: 'bad-request' });
    expect(ledgerTypes(station)).not.toContain('entropy.source-failed');
    expect((await station.ledger.verify()).ok).toBe(true);
  });

  it('a serial port that does not exist (serial:/dev/ttyACM99) is unavailable too, alone or beside os', async () => {
    expect(existsSync('/dev/ttyACM99')).toBe(false);
    const { station } = stationWith(['serial:/dev/ttyACM99']);
    const err = await rejection(station.handlers.devices.testSource({ spec: 'serial:/dev/ttyACM99' }, OP));
    expect(err.code).toBe('source-unavailable');
    expect(err.message).toMatch(/not connected or cannot be opened; check the cable or the path\.$/);
    expectPlain(err.message, 'serial:/dev/ttyACM99:raw');
    const both = await rejection(station.handlers.pool.generate({ bytes: 16 * 1024, sources: ['os', 'serial:/dev/ttyACM99'] }, OP));
    expect(both).toMatchObject({ code: 'source-unavailable', message: err.message });
    expect(ledgerTypes(station)).not.toContain('entropy.source-failed');
    expect(await stateOf(station, 'serial:/dev/ttyACM99:raw')).toMatchObject({ state: 'absent' });
    // os was opened beside it, and is not held against it.
    expect((await station.handlers.devices.testSource({ spec: 'os' }, OP)).passed).toBe(true);
  });

  it('a USB device that is not plugged in is unavailable', async () => {
    const { station } = stationWith([]);
    const err = await rejection(station.handlers.devices.testSource({ spec: 'usb:1d50:60c6' }, OP));
    expect(err.code).toBe('source-unavailable');
    expectPlain(err.message, 'usb:1d50:60c6');
    expect(ledgerTypes(station)).not.toContain('entropy.source-failed');
  });

  it('a path that is there but is not a device: unavailable, listed as such, not latched', async () => {
    const dir = scratch('dske-s4-path-');
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    const file = join(dir, 'plain-file');
    writeFileSync(file, randomBytes(64 * 1024));
    const folderSpec = `file:${folder}`;
    const serialSpec = `serial:${file}:raw`;
    const { station } = stationWith([folderSpec, serialSpec]);

    const asFile = await rejection(station.handlers.devices.testSource({ spec: folderSpec }, OP));
    expect(asFile).toMatchObject({ code: 'source-unavailable', message: `The entropy source ${folderSpec} names a folder, not a device or a file; check the path.` });
    const asPort = await rejection(station.handlers.devices.testSource({ spec: serialSpec }, OP));
    expect(asPort).toMatchObject({ code: 'source-unavailable', message: `The entropy source ${serialSpec} is not a serial port; check the path.` });
    expect(ledgerTypes(station)).not.toContain('entropy.source-failed');
    expect(await stateOf(station, folderSpec)).toMatchObject({ state: 'unavailable', reason: asFile.message });
    expect(await stateOf(station, serialSpec)).toMatchObject({ state: 'unavailable', reason: asPort.message });
  });
});

describe('a source that opened and then stopped delivering', () => {
  it('still latches FAILED, and says so without a command', async () => {
    const dir = scratch('dske-s4-short-');
    const device = join(dir, 'short-device');
    const spec = `file:${device}`;
    writeFileSync(device, randomBytes(8 * 1024)); // passes start-up, then runs out
    const { station } = stationWith([spec]);
    const report = await station.handlers.devices.testSource({ spec }, OP);
    expect(report).toMatchObject({ passed: false, code: 'entropy-failed' });
    expect(report.reason).toMatch(/ran out of samples/);
    expect(report.reason).not.toMatch(/dske-station|`|Device file .*Device file/);
    expect(ledgerTypes(station)).toContain('entropy.source-failed');
    expect(await stateOf(station, spec)).toMatchObject({ state: 'failed' });
    const again = await rejection(station.handlers.devices.testSource({ spec }, OP));
    expect(again.code).toBe('entropy-failed');
    expect(again.message).toMatch(/latched FAILED/);
    expect(again.message).not.toMatch(/dske-station|`/);
  });
});
