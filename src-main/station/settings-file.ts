// Changes to <data-dir>/station.json made by the station itself (the first-run setup's sources). The
// file is the operator's too: only the named setting changes, every other key stays as it was, in its
// place. Written whole and atomically (temporary file, fsync, rename, fsync of the directory), in two
// steps so that the caller can record the change in the ledger between them: a prepared change that is
// abandoned leaves the file untouched.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { StationFailure } from '../../src-shared/api/result';
import { ioReason } from '../../src-node/io-reason';
import { prepareReplacement, type PreparedReplacement } from '../../src-node/atomic-file';
import { SETTINGS_FILE } from './config';

export type PreparedSettings = PreparedReplacement;

type SettingsObject = Record<string, unknown>;

function readSettingsObject(path: string): SettingsObject {
  if (!existsSync(path)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new StationFailure('data-dir', code ? `The station's settings file ${path} cannot be read (${ioReason(e)}).` : `The station's settings file ${path} is not valid JSON; nothing was changed.`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new StationFailure('data-dir', `The station's settings file ${path} does not hold settings; nothing was changed.`);
  return raw as SettingsObject;
}

/** Writes station.json with `key` set to `value` into a temporary file beside it, synced; `commit` puts it in place. */
export function prepareSetting(dataDir: string, key: string, value: unknown): PreparedSettings {
  const path = join(dataDir, SETTINGS_FILE);
  const current = readSettingsObject(path);
  // Spread keeps the key order, so an existing `sources` stays where the operator put it.
  const next: SettingsObject = { ...current, [key]: value };
  const body = Buffer.from(`${JSON.stringify(next, null, 2)}\n`);
  let mode = 0o600;
  try {
    if (existsSync(path)) mode = statSync(path).mode & 0o777;
  } catch {
    // Keeps 0600 when the old file's mode cannot be read.
  }
  const fail = (e: unknown): StationFailure => new StationFailure('data-dir', `The station's settings file ${path} could not be written (${ioReason(e)}); nothing was changed.`);
  let prepared: PreparedReplacement;
  try {
    prepared = prepareReplacement(path, body, mode);
  } catch (e) {
    throw fail(e);
  }
  return {
    commit() {
      try {
        prepared.commit();
      } catch (e) {
        throw fail(e);
      }
    },
    abandon: () => prepared.abandon(),
  };
}
