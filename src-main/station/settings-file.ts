// Changes to <data-dir>/station.json made by the station itself (the first-run setup's sources). The
// file is the operator's too: only the named setting changes, every other key stays as it was, in its
// place. Written whole and atomically (temporary file, fsync, rename, fsync of the directory), in two
// steps so that the caller can record the change in the ledger between them: a prepared change that is
// abandoned leaves the file untouched.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { StationFailure } from '../../src-shared/api/result';
import { ioReason } from '../../src-node/io-reason';
import { SETTINGS_FILE } from './config';

export interface PreparedSettings {
  /** Puts the new file in place (rename, then fsync of the folder). */
  commit(): void;
  /** Removes the temporary file; station.json is as it was. */
  abandon(): void;
}

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
  const tmp = join(dataDir, `.${SETTINGS_FILE}.${randomBytes(6).toString('hex')}.tmp`);
  const fail = (e: unknown): StationFailure => new StationFailure('data-dir', `The station's settings file ${path} could not be written (${ioReason(e)}); nothing was changed.`);
  const remove = (): void => {
    try {
      unlinkSync(tmp);
    } catch {
      // Already gone.
    }
  };
  try {
    const fd = openSync(tmp, 'wx', mode);
    try {
      let off = 0;
      while (off < body.length) off += writeSync(fd, body, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    remove();
    throw fail(e);
  }
  let done = false;
  return {
    commit() {
      if (done) return;
      done = true;
      try {
        renameSync(tmp, path);
      } catch (e) {
        remove();
        throw fail(e);
      }
      // The rename is durable only once the folder is synced; a failure here leaves the new file in place.
      try {
        const dir = openSync(dataDir, 'r');
        try {
          fsyncSync(dir);
        } finally {
          closeSync(dir);
        }
      } catch {
        // Some file systems refuse fsync on a folder; the rename itself has happened.
      }
    },
    abandon() {
      if (done) return;
      done = true;
      remove();
    },
  };
}
