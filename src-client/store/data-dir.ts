// The client's data directory (issue S10, part 2): made once by `init` (0700, with its own master key
// in keys/master.key, 0600, and a marker file), then opened by every command; a process that changes
// anything holds the directory's lock (src-node/data-dir.ts), so two imports or two take() calls can
// never interleave. Layout in docs/formats.md, "Client data directory".
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StationFailure } from '../../src-shared/api/result';
import { replaceFile } from '../../src-node/atomic-file';
import { lockDataDir, LOCK_FILE, type DataDirLock } from '../../src-node/data-dir';
import { ioReason } from '../../src-node/io-reason';
import { FileMasterKey } from '../../src-node/psrd-store/master-key';
import { ClientFailure } from '../errors';

export const MARKER_FILE = 'dske-client.json';
export const MASTER_KEY_FILE = join('keys', 'master.key');
export const HUBS_DIR = 'hubs';
const MARKER = JSON.stringify({ format: 1, kind: 'dske-client' });

export interface OpenedDir {
  readonly dir: string;
  readonly master: FileMasterKey;
  /** Undefined when opened to read only. */
  readonly lock: DataDirLock | undefined;
}

/** Makes a new client data directory; refuses one that already holds anything. */
export function initDataDir(dirIn: string): void {
  const dir = resolve(dirIn);
  if (existsSync(dir)) {
    let entries: string[];
    try {
      if (!statSync(dir).isDirectory()) throw new ClientFailure('data-dir', `${dir} is a file, not a folder; choose a folder for the client.`);
      entries = readdirSync(dir);
    } catch (e) {
      if (e instanceof ClientFailure) throw e;
      throw new ClientFailure('data-dir', `${dir} cannot be read (${ioReason(e)}).`);
    }
    if (entries.includes(MARKER_FILE)) throw new ClientFailure('already-initialized', `${dir} already holds a DSKE client; nothing was changed.`);
    if (entries.length > 0) throw new ClientFailure('data-dir', `${dir} is not empty; choose an empty or new folder for the client.`);
  }
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    mkdirSync(join(dir, HUBS_DIR), { mode: 0o700 });
  } catch (e) {
    throw new ClientFailure('data-dir', `The client folder ${dir} cannot be made (${ioReason(e)}).`);
  }
  try {
    FileMasterKey.create(join(dir, MASTER_KEY_FILE)).close();
    // The marker last: a directory without it is an unfinished init, which a second init may not reuse by accident.
    replaceFile(join(dir, MARKER_FILE), Buffer.from(MARKER), 0o600);
  } catch (e) {
    throw new ClientFailure('data-dir', `The client folder ${dir} could not be set up (${ioReason(e)}).`);
  }
}

/** Opens an existing client data directory, locked unless `readOnly`. */
export function openDataDir(dirIn: string, readOnly = false): OpenedDir {
  const dir = resolve(dirIn);
  let marker: string;
  try {
    marker = readFileSync(join(dir, MARKER_FILE), 'utf8');
  } catch {
    throw new ClientFailure('not-initialized', `There is no DSKE client in ${dir}; make one with \`dske-client --data ${dir} init\`.`);
  }
  if (marker !== MARKER) throw new ClientFailure('store-damaged', `${join(dir, MARKER_FILE)} is not a DSKE client marker of format 1.`);
  let lock: DataDirLock | undefined;
  if (!readOnly) {
    try {
      lock = lockDataDir(dir);
    } catch (e) {
      if (e instanceof StationFailure && e.code === 'data-dir-locked') {
        let holder = '';
        try {
          holder = ` (pid ${readFileSync(join(dir, LOCK_FILE), 'utf8').trim()})`;
        } catch {
          // released meanwhile
        }
        throw new ClientFailure('data-dir-locked', `Another dske-client process${holder} is using ${dir}; wait for it to finish.`);
      }
      throw new ClientFailure('data-dir', `The client folder ${dir} cannot be locked.`);
    }
  }
  const keyPath = join(dir, MASTER_KEY_FILE);
  try {
    if (!existsSync(keyPath)) throw new ClientFailure('master-key', `The client's master key (${keyPath}) is missing, so none of its PSRD or initial keys can be read; restore it from your backup. The client never makes a new one over an existing store.`);
    if ((statSync(keyPath).mode & 0o077) !== 0) throw new ClientFailure('master-key', `The client's master key file ${keyPath} is readable by others; set it to 0600.`);
    return { dir, master: FileMasterKey.open(keyPath), lock };
  } catch (e) {
    lock?.release();
    if (e instanceof ClientFailure) throw e;
    throw new ClientFailure('master-key', `The client's master key file ${keyPath} is not a usable 32-byte key.`);
  }
}
