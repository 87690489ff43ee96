// The client's store (issue S10, part 2; spec §11.1 for initial keys): per hub, its registration and
// its PSRD, imported from client packages and handed out once. take() reads the next bytes, then marks
// them used in one atomic, fsynced write of the hub's state (which drops the keys of chunks wholly used
// in the same write), and only then returns them: a crash at any point never hands a byte out twice.
// Every bad input is a ClientFailure thrown before anything on disk changes.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir } from '../../src-node/atomic-file';
import { ioReason } from '../../src-node/io-reason';
import { nodeCipher } from '../../src-node/psrd-store/package-cipher-node';
import { HUB_ID, PackageError } from '../../src-shared/psrd/package-format';
import { openPackage, readPackageHeader } from '../../src-shared/psrd/package-reader';
import { ClientFailure } from '../errors';
import { CHUNK_ID, chunkPath, eraseChunkFile, newChunkId, readChunk, writeChunk } from './chunk-file';
import { HUBS_DIR, initDataDir, openDataDir, type OpenedDir } from './data-dir';
import { parseInitialKeysFile } from './initial-keys-file';
import { readState, writeState, type HeldChunk, type HubState } from './hub-state';
import { readRegistration, unwrapKeys, writeRegistration } from './registration';

/** PSRD bytes per chunk at rest: the unit of crypto-erase. */
export const DEFAULT_STORE_CHUNK = 64 * 1024;

export interface StoreOptions {
  /** Open without the lock, to read status only. */
  readonly readOnly?: boolean;
  /** PSRD bytes per chunk file for new imports (default 64 KiB). */
  readonly chunkBytes?: number;
  /** For tests: called inside take() after its bytes are durably marked used, before anything else. */
  readonly afterMark?: () => void;
}

export interface Registered {
  readonly hub: string;
  readonly client: string;
  readonly checkValue: string;
  /** False when the same registration was already held (nothing changed). */
  readonly added: boolean;
}

export interface Imported {
  readonly hub: string;
  readonly client: string;
  readonly package: string;
  readonly bytes: number;
  /** PSRD of this hub available after the import. */
  readonly available: number;
}

export interface HubStatus {
  readonly hub: string;
  readonly client: string;
  readonly checkValue: string;
  readonly packages: readonly string[];
  readonly heldBytes: number;
  readonly usedBytes: number;
  readonly availableBytes: number;
  /** Chunk files still held (each with its key), and chunks crypto-erased once wholly used. */
  readonly chunks: number;
  readonly erasedChunks: number;
}

export class ClientStore {
  private closed = false;
  private readonly chunkBytes: number;

  private constructor(
    private readonly d: OpenedDir,
    private readonly opts: StoreOptions,
  ) {
    this.chunkBytes = opts.chunkBytes ?? DEFAULT_STORE_CHUNK;
  }

  /** Makes a new client data directory (refuses one that exists and is not empty). */
  static init(dir: string): void {
    initDataDir(dir);
  }

  static open(dir: string, opts: StoreOptions = {}): ClientStore {
    if (opts.chunkBytes !== undefined && (!Number.isSafeInteger(opts.chunkBytes) || opts.chunkBytes < 1)) throw new ClientFailure('bad-request', 'A store chunk holds at least one byte.');
    const store = new ClientStore(openDataDir(dir, opts.readOnly), opts);
    if (!opts.readOnly) store.removeLeftovers();
    return store;
  }

  get dir(): string {
    return this.d.dir;
  }

  private hubDir(hub: string): string {
    return join(this.d.dir, HUBS_DIR, hub);
  }

  private writable(): void {
    if (this.closed) throw new ClientFailure('bad-request', 'This client store is closed.');
    if (this.opts.readOnly) throw new ClientFailure('bad-request', 'This client store was opened to read only.');
  }

  hubs(): string[] {
    try {
      return readdirSync(join(this.d.dir, HUBS_DIR)).filter((h) => HUB_ID.test(h) && existsSync(join(this.hubDir(h), 'registration.json'))).sort();
    } catch (e) {
      throw new ClientFailure('io', `The client folder ${this.d.dir} cannot be read (${ioReason(e)}).`);
    }
  }

  /** Chunk files no state refers to (an import that crashed before its state was written, an erase cut short). */
  private removeLeftovers(): void {
    for (const hub of this.hubs()) {
      const chunks = join(this.hubDir(hub), 'chunks');
      const known = new Set(readState(this.hubDir(hub), hub).chunks.map((c) => c.id));
      let names: string[] = [];
      try {
        names = readdirSync(chunks);
      } catch {
        continue;
      }
      for (const n of names) {
        const id = n.replace(/\.psrd$/, '');
        if (n.endsWith('.psrd') && CHUNK_ID.test(id) && !known.has(id)) eraseChunkFile(chunks, id);
      }
    }
  }

  /** Imports the initial keys file the station exported (§11.1). The same registration again changes nothing; another one for the hub is refused. */
  registerKeys(fileBytes: Uint8Array): Registered {
    this.writable();
    const ik = parseInitialKeysFile(fileBytes);
    try {
      const dir = this.hubDir(ik.hub);
      const had = readRegistration(dir, ik.hub);
      if (had) {
        const keys = unwrapKeys(had, this.d.master);
        const same = had.client === ik.client && Buffer.compare(Buffer.from(keys), Buffer.from(ik.keys)) === 0;
        keys.fill(0);
        if (!same) throw new ClientFailure('registration-conflict', `This client is already registered with hub ${ik.hub} as ${had.client} (check value ${had.checkValue}); a second, different registration (${ik.client}, check value ${ik.checkValue}) is refused.`);
        return { hub: ik.hub, client: ik.client, checkValue: ik.checkValue, added: false };
      }
      writeRegistration(dir, ik, ik.keys, this.d.master);
      fsyncDir(join(this.d.dir, HUBS_DIR));
      return { hub: ik.hub, client: ik.client, checkValue: ik.checkValue, added: true };
    } finally {
      ik.keys.fill(0);
    }
  }

  /** Opens a client package with its hub's initial keys and appends its PSRD to that hub's store. */
  importPackage(bytes: Uint8Array): Imported {
    this.writable();
    let header;
    try {
      header = readPackageHeader(bytes).header;
    } catch (e) {
      throw asClientFailure(e);
    }
    const dir = this.hubDir(header.hub);
    const reg = HUB_ID.test(header.hub) ? readRegistration(dir, header.hub) : undefined;
    if (!reg) throw new ClientFailure('unknown-hub', `This package is from hub ${header.hub}, with which this client is not registered; register its initial keys first.`);
    if (reg.client !== header.client) throw new ClientFailure('wrong-client', `This package is for client ${header.client}; at hub ${header.hub} this client is ${reg.client}.`);
    const state = readState(dir, header.hub);
    if (state.packages.some((p) => p.package === header.package)) throw new ClientFailure('package-seen', `Package ${header.package} was imported already; a package is taken once.`);
    const keys = unwrapKeys(reg, this.d.master);
    let psrd: Uint8Array;
    try {
      psrd = openPackage(bytes, keys, nodeCipher).psrd;
    } catch (e) {
      throw asClientFailure(e);
    } finally {
      keys.fill(0);
    }
    const chunksDir = join(dir, 'chunks');
    const added: HeldChunk[] = [];
    try {
      for (let at = 0; at < psrd.length; at += this.chunkBytes) {
        const id = newChunkId();
        const plain = psrd.subarray(at, Math.min(at + this.chunkBytes, psrd.length));
        added.push({ id, bytes: plain.length, key: writeChunk(chunksDir, header.hub, id, plain, this.d.master) });
      }
      fsyncDir(chunksDir);
      writeState(dir, { ...state, packages: [...state.packages, { package: header.package, bytes: psrd.length }], held: state.held + psrd.length, chunks: [...state.chunks, ...added] });
    } catch (e) {
      for (const c of added) eraseChunkFile(chunksDir, c.id);
      if (e instanceof ClientFailure) throw e;
      throw new ClientFailure('io', `The PSRD of package ${header.package} could not be stored (${ioReason(e)}); nothing was kept.`);
    } finally {
      psrd.fill(0);
    }
    return { hub: header.hub, client: header.client, package: header.package, bytes: psrd.length, available: state.held + psrd.length - state.used };
  }

  /**
   * The next n unused PSRD bytes of the hub, in order; durably marked used before they are returned, and
   * chunks wholly used crypto-erased. Refuses (handing out nothing) when fewer than n are held.
   */
  take(hub: string, n: number): Uint8Array {
    this.writable();
    if (!Number.isSafeInteger(n) || n < 1) throw new ClientFailure('bad-request', 'PSRD is taken in whole bytes, at least 1.');
    const dir = this.hubDir(hub);
    if (!HUB_ID.test(hub) || !readRegistration(dir, hub)) throw new ClientFailure('unknown-hub', `This client is not registered with hub ${hub}.`);
    const s = readState(dir, hub);
    const available = s.held - s.used;
    if (n > available) throw new ClientFailure('used-up', `Hub ${hub} has ${available} unused bytes of PSRD here; ${n} were asked for. Nothing was handed out; import a new package.`);
    const chunksDir = join(dir, 'chunks');
    const out = new Uint8Array(n);
    let start = s.base; // stream offset of chunk i
    let got = 0;
    let spent = 0; // chunks wholly used after this take
    for (const c of s.chunks) {
      if (got === n) break;
      const end = start + c.bytes;
      const from = s.used + got;
      if (from < end) {
        const plain = readChunk(chunksDir, hub, c.id, c.bytes, c.key, this.d.master);
        if (typeof plain === 'string') {
          out.fill(0);
          throw new ClientFailure('store-damaged', `The PSRD store of hub ${hub} is damaged: ${plain}. Nothing was handed out.`);
        }
        const len = Math.min(end - from, n - got);
        out.set(plain.subarray(from - start, from - start + len), got);
        plain.fill(0);
        got += len;
      }
      if (s.used + got >= end) spent++;
      start = end;
    }
    const gone = s.chunks.slice(0, spent);
    const next: HubState = { ...s, used: s.used + n, base: s.base + gone.reduce((a, c) => a + c.bytes, 0), erasedChunks: s.erasedChunks + spent, chunks: s.chunks.slice(spent) };
    try {
      writeState(dir, next);
    } catch (e) {
      out.fill(0);
      throw e;
    }
    this.opts.afterMark?.();
    for (const c of gone) eraseChunkFile(chunksDir, c.id);
    return out;
  }

  status(): HubStatus[] {
    if (this.closed) throw new ClientFailure('bad-request', 'This client store is closed.');
    return this.hubs().map((hub) => {
      const dir = this.hubDir(hub);
      const reg = readRegistration(dir, hub)!;
      const s = readState(dir, hub);
      return {
        hub, client: reg.client, checkValue: reg.checkValue, packages: s.packages.map((p) => p.package),
        heldBytes: s.held, usedBytes: s.used, availableBytes: s.held - s.used, chunks: s.chunks.length, erasedChunks: s.erasedChunks,
      };
    });
  }

  /** Where a chunk's file is (for tests and audits). */
  chunkFile(hub: string, id: string): string {
    return chunkPath(join(this.hubDir(hub), 'chunks'), id);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.d.master.close();
    this.d.lock?.release();
  }
}

function asClientFailure(e: unknown): ClientFailure {
  if (e instanceof ClientFailure) return e;
  if (e instanceof PackageError) {
    if (e.code === 'authentication-failed') return new ClientFailure('authentication-failed', `${e.message} Nothing was imported.`);
    return new ClientFailure('bad-package', `${e.message} Nothing was imported.`);
  }
  throw e;
}
