// The client's store (issue S10; spec §11.1 for initial keys, §11.4 for the PSRD index): per hub, its
// registration and its PSRD table, imported from client packages (each at its header's tableOffset) and
// handed out once: the client's halves for key requests (takeForRequest), the hub's halves at the
// indices of the hub's key instructions (takeAt). Both read the bytes, then mark them used in one
// atomic, fsynced write of the hub's state (which drops the keys of chunks wholly used in the same
// write), and only then return them: a crash at any point never hands a byte out twice.
// Every bad input is a ClientFailure thrown before anything on disk changes.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir, replaceFile } from '../../src-node/atomic-file';
import { ioReason } from '../../src-node/io-reason';
import { nodeCipher } from '../../src-node/psrd-store/package-cipher-node';
import { halfOf, nextOnSide, onSide } from '../../src-shared/hub-api/table-layout';
import { clientNumber, transportKey, transportKeyId } from '../../src-shared/hub-api/transport-key';
import { HUB_ID, PackageError } from '../../src-shared/psrd/package-format';
import { openPackage, readPackageHeader } from '../../src-shared/psrd/package-reader';
import { ClientFailure } from '../errors';
import { CHUNK_ID, chunkPath, eraseChunkFile, newChunkId, readChunk, writeChunk } from './chunk-file';
import { HUBS_DIR, initDataDir, openDataDir, type OpenedDir } from './data-dir';
import { parseInitialKeysFile } from './initial-keys-file';
import { CLAIM_ID, heldBytes, readState, sideBytes, spentChunk, writeState, type HeldChunk, type HubState } from './hub-state';
import { addSpan, firstOverlap } from './spans';
import { Vault } from '../keys/vault';

const ENDPOINT_FILE = 'endpoint.json';
import { readRegistration, unwrapKeys, writeRegistration } from './registration';

/** PSRD bytes per chunk at rest: the unit of crypto-erase. */
export const DEFAULT_STORE_CHUNK = 64 * 1024;

export interface StoreOptions {
  /** Open without the lock, to read status only. */
  readonly readOnly?: boolean;
  /** PSRD bytes per chunk file for new imports (default 64 KiB). */
  readonly chunkBytes?: number;
  /** For tests: called inside takeForRequest() and takeAt() after its bytes are durably marked used, before anything else. */
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
  /** Where the package begins in this client's PSRD table at the hub. */
  readonly tableOffset: number;
  /** PSRD of this hub available after the import (both halves). */
  readonly available: number;
}

/** One side's halves of a hub's table (table-layout.ts). */
export interface SideStatus {
  readonly heldBytes: number;
  readonly usedBytes: number;
  readonly availableBytes: number;
}

export interface HubStatus {
  readonly hub: string;
  readonly client: string;
  readonly checkValue: string;
  readonly packages: readonly string[];
  readonly heldBytes: number;
  readonly usedBytes: number;
  readonly availableBytes: number;
  /** The client's halves: spent by takeForRequest. */
  readonly forRequests: SideStatus;
  /** The hub's halves: spent by takeAt, at the indices of the hub's key instructions. */
  readonly forInstructions: SideStatus;
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

  /**
   * Opens a client package with its hub's initial keys and places its PSRD in that hub's table at the
   * header's tableOffset; a package that overlaps one already imported is refused (table-overlap).
   */
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
    const at = header.tableOffset;
    const clash = state.packages.find((p) => p.bytes > 0 && header.bytes > 0 && p.tableOffset < at + header.bytes && at < p.tableOffset + p.bytes);
    if (clash) throw new ClientFailure('table-overlap', `Package ${header.package} would occupy bytes ${at} to ${at + header.bytes} of this client's PSRD table at hub ${header.hub}, which package ${clash.package} (bytes ${clash.tableOffset} to ${clash.tableOffset + clash.bytes}) already holds; it is refused.`);
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
    const record = { package: header.package, tableOffset: at, bytes: psrd.length };
    try {
      // Chunks are cut within each half, so that the client's spending erases the client's chunks.
      for (const side of ['client', 'hub'] as const) {
        const h = halfOf(record, side);
        for (let off = h.offset; off < h.offset + h.length; off += this.chunkBytes) {
          const id = newChunkId();
          const plain = psrd.subarray(off - at, Math.min(off + this.chunkBytes, h.offset + h.length) - at);
          added.push({ id, offset: off, bytes: plain.length, key: writeChunk(chunksDir, header.hub, id, plain, this.d.master) });
        }
      }
      fsyncDir(chunksDir);
      writeState(dir, { ...state, packages: [...state.packages, record], chunks: [...state.chunks, ...added] });
    } catch (e) {
      for (const c of added) eraseChunkFile(chunksDir, c.id);
      if (e instanceof ClientFailure) throw e;
      throw new ClientFailure('io', `The PSRD of package ${header.package} could not be stored (${ioReason(e)}); nothing was kept.`);
    } finally {
      psrd.fill(0);
    }
    const after = heldBytes(state) + psrd.length - state.used.reduce((a, [x, y]) => a + y - x, 0);
    return { hub: header.hub, client: header.client, package: header.package, bytes: psrd.length, tableOffset: at, available: after };
  }

  private registered(hub: string): string {
    const dir = this.hubDir(hub);
    if (!HUB_ID.test(hub) || !readRegistration(dir, hub)) throw new ClientFailure('unknown-hub', `This client is not registered with hub ${hub}.`);
    return dir;
  }

  /**
   * PSRD for a key request (§11.4): the lowest n bytes free in the client's halves of the hub's table
   * that lie inside one half, with their table offset (the request's PSRD index). Marked used durably,
   * and chunks wholly used crypto-erased, before they are returned; refuses (handing out nothing) when
   * no such span is left.
   */
  takeForRequest(hub: string, n: number): { index: number; bytes: Uint8Array } {
    this.writable();
    wholeBytes(n);
    const dir = this.registered(hub);
    const s = readState(dir, hub);
    const index = this.freeForRequest(hub, n);
    if (index === null) {
      const { held, used } = sideBytes(s, 'client');
      throw new ClientFailure('used-up', `Hub ${hub} has no ${n} free bytes together in this client's halves of its PSRD table (${held - used} of ${held} unused); nothing was handed out. Import a new package.`);
    }
    return { index, bytes: this.spend(hub, dir, s, index, n) };
  }

  /**
   * The n bytes at `index` of the hub's table, for a key instruction the hub made (§11.4): they must lie
   * in one of the hub's halves (wrong-half), be held here (psrd-not-held) and never have been taken
   * (psrd-used). Marked used durably, and chunks wholly used crypto-erased, before they are returned.
   * With a `claim`, the span is recorded under it in the same write and its chunks are kept until
   * release(hub, claim): the same claim asking for exactly the same span again (after a crash between
   * taking the bytes and storing what was made of them) reads them again; anything else is psrd-used.
   */
  takeAt(hub: string, index: number, n: number, claim?: string): Uint8Array {
    this.writable();
    wholeBytes(n);
    if (!Number.isSafeInteger(index) || index < 0 || !Number.isSafeInteger(index + n)) throw new ClientFailure('bad-request', 'A PSRD index is a whole number of bytes from the start of the table.');
    if (claim !== undefined && !CLAIM_ID.test(claim)) throw new ClientFailure('bad-request', 'A claim is 1 to 200 printable ASCII characters.');
    const dir = this.registered(hub);
    const s = readState(dir, hub);
    // The same claim for exactly the same span: the taker reads again what it took (after a crash).
    if (claim !== undefined && s.claims.some((c) => c.claim === claim && c.offset === index && c.length === n)) return this.read(hub, dir, s, index, n);
    const inPackages = s.packages.reduce((a, p) => a + Math.max(0, Math.min(index + n, p.tableOffset + p.bytes) - Math.max(index, p.tableOffset)), 0);
    if (inPackages !== n) throw new ClientFailure('psrd-not-held', `Bytes ${index} to ${index + n} of this client's PSRD table at hub ${hub} are not all held here (import the package that holds them); nothing was handed out.`);
    if (!onSide(s.packages, 'hub', index, n)) throw new ClientFailure('wrong-half', `Bytes ${index} to ${index + n} of this client's PSRD table at hub ${hub} do not lie within one of the hub's halves; the hub may not choose them, and nothing was handed out.`);
    if (firstOverlap(s.used, index, index + n)) throw new ClientFailure('psrd-used', `Bytes ${index} to ${index + n} of this client's PSRD table at hub ${hub} were taken before; PSRD is used once, and nothing was handed out.`);
    return this.spend(hub, dir, s, index, n, claim);
  }

  /** Drops a claim (every span under it): their chunks, now wholly used, are crypto-erased. Unknown claims change nothing. */
  release(hub: string, claim: string): void {
    this.writable();
    const dir = this.registered(hub);
    const s = readState(dir, hub);
    if (!s.claims.some((c) => c.claim === claim)) return;
    const claims = s.claims.filter((c) => c.claim !== claim);
    const gone = s.chunks.filter((c) => spentChunk({ used: s.used, claims }, c));
    writeState(dir, { ...s, claims, erasedChunks: s.erasedChunks + gone.length, chunks: s.chunks.filter((c) => !gone.includes(c)) });
    for (const c of gone) eraseChunkFile(join(dir, 'chunks'), c.id);
  }

  /** The claims held at a hub (their spans are used; their chunks wait for release). */
  claims(hub: string): readonly { claim: string; index: number; length: number }[] {
    return readState(this.registered(hub), hub).claims.map((c) => ({ claim: c.claim, index: c.offset, length: c.length }));
  }

  /** Reads [index, index + n) from the chunks, or store-damaged. */
  private read(hub: string, dir: string, s: HubState, index: number, n: number): Uint8Array {
    const chunksDir = join(dir, 'chunks');
    const out = new Uint8Array(n);
    let got = 0;
    for (const c of [...s.chunks].sort((a, b) => a.offset - b.offset)) {
      const from = Math.max(index, c.offset);
      const to = Math.min(index + n, c.offset + c.bytes);
      if (from >= to) continue;
      const plain = readChunk(chunksDir, hub, c.id, c.bytes, c.key, this.d.master);
      if (typeof plain === 'string') {
        out.fill(0);
        throw new ClientFailure('store-damaged', `The PSRD store of hub ${hub} is damaged: ${plain}. Nothing was handed out.`);
      }
      out.set(plain.subarray(from - c.offset, to - c.offset), from - index);
      plain.fill(0);
      got += to - from;
    }
    if (got !== n) {
      out.fill(0);
      throw new ClientFailure('store-damaged', `The PSRD store of hub ${hub} is damaged: bytes ${index} to ${index + n} are neither used nor in a chunk. Nothing was handed out.`);
    }
    return out;
  }

  /** Reads [index, index + n), marks it used (dropping the chunks it finishes) in one atomic write, then returns it. */
  private spend(hub: string, dir: string, s: HubState, index: number, n: number, claim?: string): Uint8Array {
    const chunksDir = join(dir, 'chunks');
    const out = this.read(hub, dir, s, index, n);
    const used = addSpan(s.used, index, index + n);
    const claims = claim === undefined ? s.claims : [...s.claims, { claim, offset: index, length: n }];
    const gone = s.chunks.filter((c) => spentChunk({ used, claims }, c));
    const next: HubState = { ...s, used, claims, erasedChunks: s.erasedChunks + gone.length, chunks: s.chunks.filter((c) => !gone.includes(c)) };
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
      const side = (x: 'client' | 'hub'): SideStatus => {
        const b = sideBytes(s, x);
        return { heldBytes: b.held, usedBytes: b.used, availableBytes: b.held - b.used };
      };
      const client = side('client');
      const hubSide = side('hub');
      return {
        hub, client: reg.client, checkValue: reg.checkValue, packages: s.packages.map((p) => p.package),
        heldBytes: client.heldBytes + hubSide.heldBytes, usedBytes: client.usedBytes + hubSide.usedBytes, availableBytes: client.availableBytes + hubSide.availableBytes,
        forRequests: client, forInstructions: hubSide, chunks: s.chunks.length, erasedChunks: s.erasedChunks,
      };
    });
  }

  /** Where this client reaches a registered hub's key-instruction API (§11.4): http(s)://host[:port][/path]. */
  setHubUrl(hub: string, url: string): void {
    this.writable();
    const dir = this.registered(hub);
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new ClientFailure('bad-request', `${url} is not a URL.`);
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new ClientFailure('bad-request', `A hub is reached over https (or http on a trusted link), not ${u.protocol}.`);
    try {
      replaceFile(join(dir, ENDPOINT_FILE), Buffer.from(JSON.stringify({ format: 1, hub, url: u.href.replace(/\/$/, '') })), 0o600);
    } catch (e) {
      throw new ClientFailure('io', `The address of hub ${hub} could not be written (${ioReason(e)}).`);
    }
  }

  /** The URL set for a hub, or undefined. */
  hubUrl(hub: string): string | undefined {
    const path = join(this.registered(hub), ENDPOINT_FILE);
    if (!existsSync(path)) return undefined;
    try {
      const o = JSON.parse(readFileSync(path, 'utf8')) as { format?: unknown; hub?: unknown; url?: unknown };
      if (o.format === 1 && o.hub === hub && typeof o.url === 'string') return o.url;
    } catch {
      // below
    }
    throw new ClientFailure('store-damaged', `The address of hub ${hub} (${ENDPOINT_FILE}) is damaged.`);
  }

  /**
   * The §11.4 envelope's key with a hub (src-shared/hub-api/transport-key.ts): derived from the initial
   * keys, with its key ID (this client's number there). The caller wipes `key`.
   */
  transport(hub: string): { client: string; number: number; key: Uint8Array; keyId: Uint8Array } {
    if (this.closed) throw new ClientFailure('bad-request', 'This client store is closed.');
    const reg = readRegistration(this.registered(hub), hub)!;
    const number = clientNumber(reg.client);
    if (number === null) throw new ClientFailure('bad-request', `Client ID ${reg.client} at hub ${hub} has no number a DSKE message can carry.`);
    const keys = unwrapKeys(reg, this.d.master);
    try {
      return { client: reg.client, number, key: transportKey(keys, hub, reg.client), keyId: transportKeyId(number) };
    } finally {
      keys.fill(0);
    }
  }

  /** This client's ID at a registered hub. */
  clientAt(hub: string): string {
    return readRegistration(this.registered(hub), hub)!.client;
  }

  /** The table offset takeForRequest(hub, n) would hand out now, or null; takes nothing. */
  freeForRequest(hub: string, n: number): number | null {
    wholeBytes(n);
    const s = readState(this.registered(hub), hub);
    let from = 0;
    for (;;) {
      const index = nextOnSide(s.packages, 'client', from, n);
      if (index === null) return null;
      const hit = firstOverlap(s.used, index, index + n);
      if (!hit) return index;
      from = hit[1];
    }
  }

  /** Sealed files under the master key (src-client/keys). */
  get vault(): Vault {
    this.writable();
    return new Vault(this.d.dir, this.d.master);
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

function wholeBytes(n: number): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new ClientFailure('bad-request', 'PSRD is taken in whole bytes, at least 1.');
}

function asClientFailure(e: unknown): ClientFailure {
  if (e instanceof ClientFailure) return e;
  if (e instanceof PackageError) {
    if (e.code === 'authentication-failed') return new ClientFailure('authentication-failed', `${e.message} Nothing was imported.`);
    return new ClientFailure('bad-package', `${e.message} Nothing was imported.`);
  }
  throw e;
}
