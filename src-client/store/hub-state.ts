// A hub's PSRD store state at the client (issue S10): hubs/<hub>/state.json, replaced whole and
// atomically (src-node/atomic-file.ts) at every import and every take, so that a crash leaves the
// state before or after, never a mix. Each imported package occupies [tableOffset, tableOffset + bytes)
// of the client's PSRD table at that hub (src-shared/hub-api/table-layout.ts): the first half is the
// client's to spend for key requests, the second the hub's (the PSRD index of the key instructions it
// holds for this client). `used` is the set of table bytes handed out, as merged spans. Chunks are cut
// within one half of one package; a chunk wholly used is dropped from `chunks` together with its wrapped
// key in the same write that marks its last bytes used: one rename both spends and crypto-erases them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFile } from '../../src-node/atomic-file';
import { ioReason } from '../../src-node/io-reason';
import { WRAPPED_KEY_BYTES } from '../../src-node/psrd-store/master-key';
import { halfOf, type TablePackage, type TableSide } from '../../src-shared/hub-api/table-layout';
import { PACKAGE_ID } from '../../src-shared/psrd/package-format';
import { ClientFailure } from '../errors';
import { CHUNK_ID } from './chunk-file';
import { covers, isCanonical, measureWithin, type Interval } from './spans';

export const STATE_FILE = 'state.json';
export const STATE_FORMAT = 2;

export interface HeldChunk {
  readonly id: string;
  /** Where the chunk begins in the hub's PSRD table. */
  readonly offset: number;
  readonly bytes: number;
  /** The chunk's data key, wrapped by the client master key. */
  readonly key: Uint8Array;
}

export interface PackageRecord extends TablePackage {
  readonly package: string;
}

/**
 * A span taken by takeAt under a claim: used, but its chunks are kept (not crypto-erased) until the
 * claim is released, so that the same taker can read it again after a crash between taking the bytes
 * and storing what it made of them. Only the same claim, for exactly the same span, reads it again.
 */
export interface Claim {
  readonly claim: string;
  readonly offset: number;
  readonly length: number;
}

export const CLAIM_ID = /^[\x21-\x7e]{1,200}$/;

export interface HubState {
  readonly hub: string;
  /** Every package imported (its ID is refused if seen again), with its place in the table. */
  readonly packages: readonly PackageRecord[];
  /** Table bytes handed out (and so never again): sorted, disjoint, merged spans. */
  readonly used: readonly Interval[];
  readonly erasedChunks: number;
  readonly chunks: readonly HeldChunk[];
  /** Used spans whose chunks are kept for their taker (absent in older files: none). */
  readonly claims: readonly Claim[];
}

export const emptyState = (hub: string): HubState => ({ hub, packages: [], used: [], erasedChunks: 0, chunks: [], claims: [] });

/** Whether a chunk may be crypto-erased: every byte used, and no claim on any of them. */
export const spentChunk = (s: Pick<HubState, 'used' | 'claims'>, c: HeldChunk): boolean =>
  covers(s.used, c.offset, c.offset + c.bytes) && !s.claims.some((k) => k.offset < c.offset + c.bytes && c.offset < k.offset + k.length);

export const heldBytes = (s: HubState): number => s.packages.reduce((a, p) => a + p.bytes, 0);

/** Bytes of a side's halves held, and how many of them are used. */
export function sideBytes(s: HubState, side: TableSide): { held: number; used: number } {
  let held = 0;
  let used = 0;
  for (const p of s.packages) {
    const h = halfOf(p, side);
    held += h.length;
    used += measureWithin(s.used, h.offset, h.offset + h.length);
  }
  return { held, used };
}

export function writeState(hubDir: string, s: HubState): void {
  const body = JSON.stringify({
    format: STATE_FORMAT, hub: s.hub, packages: s.packages.map((p) => ({ package: p.package, tableOffset: p.tableOffset, bytes: p.bytes })),
    used: s.used, erasedChunks: s.erasedChunks, ...(s.claims.length > 0 ? { claims: s.claims } : {}),
    chunks: s.chunks.map((c) => ({ id: c.id, offset: c.offset, bytes: c.bytes, key: Buffer.from(c.key).toString('base64') })),
  });
  try {
    replaceFile(join(hubDir, STATE_FILE), Buffer.from(body), 0o600);
  } catch (e) {
    throw new ClientFailure('io', `The PSRD store of hub ${s.hub} could not be updated (${ioReason(e)}); nothing was changed.`);
  }
}

const nat = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

export function readState(hubDir: string, hub: string): HubState {
  const path = join(hubDir, STATE_FILE);
  if (!existsSync(path)) return emptyState(hub);
  const bad = (why: string): never => {
    throw new ClientFailure('store-damaged', `The PSRD store of hub ${hub} is damaged (${why}); nothing was handed out.`);
  };
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return bad('its state is not JSON');
  }
  if (typeof o !== 'object' || o === null || o.hub !== hub) bad('its state is not for this hub');
  if (o.format === 1) {
    throw new ClientFailure('store-damaged', `The PSRD store of hub ${hub} was written by an earlier client (format 1), which did not record where each package lies in the PSRD table; import the packages into a new data directory. Nothing was handed out.`);
  }
  if (o.format !== STATE_FORMAT) bad(`its state is of format ${String(o.format)}, not ${STATE_FORMAT}`);
  if (!nat(o.erasedChunks)) bad('a counter is not a whole number');
  if (!Array.isArray(o.packages) || !Array.isArray(o.chunks) || !Array.isArray(o.used)) bad('its lists are missing');
  const packages = (o.packages as unknown[]).map((p) => {
    const r = p as Record<string, unknown>;
    if (typeof r?.package !== 'string' || !PACKAGE_ID.test(r.package) || !nat(r.bytes) || !nat(r.tableOffset) || !nat((r.tableOffset as number) + (r.bytes as number))) bad('a package record is malformed');
    return { package: r.package as string, tableOffset: r.tableOffset as number, bytes: r.bytes as number };
  });
  const used = (o.used as unknown[]).map((u): Interval => {
    if (!Array.isArray(u) || u.length !== 2 || !nat(u[0]) || !nat(u[1])) bad('a used span is malformed');
    return [(u as number[])[0]!, (u as number[])[1]!];
  });
  const chunks = (o.chunks as unknown[]).map((c) => {
    const r = c as Record<string, unknown>;
    if (typeof r?.id !== 'string' || !CHUNK_ID.test(r.id) || !nat(r.offset) || !nat(r.bytes) || (r.bytes as number) < 1 || typeof r.key !== 'string') bad('a chunk record is malformed');
    const key = Buffer.from(r.key as string, 'base64');
    if (key.length !== WRAPPED_KEY_BYTES) bad('a chunk key has the wrong length');
    return { id: r.id as string, offset: r.offset as number, bytes: r.bytes as number, key };
  });
  if (o.claims !== undefined && !Array.isArray(o.claims)) bad('its claims are not a list');
  const claims = ((o.claims as unknown[] | undefined) ?? []).map((c) => {
    const r = c as Record<string, unknown>;
    if (typeof r?.claim !== 'string' || !CLAIM_ID.test(r.claim) || !nat(r.offset) || !nat(r.length) || (r.length as number) < 1) bad('a claim is malformed');
    return { claim: r.claim as string, offset: r.offset as number, length: r.length as number };
  });
  const s: HubState = { hub, packages, used, erasedChunks: o.erasedChunks as number, chunks, claims };
  if (claims.some((c) => !covers(used, c.offset, c.offset + c.length))) bad('a claim is on bytes not used');
  // Packages apart; used spans canonical and inside packages; chunks apart, each inside one half of
  // one package and not wholly used; and every byte held either in a chunk or used.
  const byOffset = [...packages].sort((a, b) => a.tableOffset - b.tableOffset);
  if (byOffset.some((p, i) => i > 0 && byOffset[i - 1]!.tableOffset + byOffset[i - 1]!.bytes > p.tableOffset)) bad('two packages overlap in the table');
  const held: Interval[] = byOffset.filter((p) => p.bytes > 0).map((p) => [p.tableOffset, p.tableOffset + p.bytes]);
  if (!isCanonical(used)) bad('its used spans are not in order');
  if (used.some(([a, b]) => byOffset.reduce((n, p) => n + Math.max(0, Math.min(b, p.tableOffset + p.bytes) - Math.max(a, p.tableOffset)), 0) !== b - a)) bad('a used span lies outside the packages');
  const chunkSet = [...chunks].sort((a, b) => a.offset - b.offset);
  if (chunkSet.some((c, i) => i > 0 && chunkSet[i - 1]!.offset + chunkSet[i - 1]!.bytes > c.offset)) bad('two chunks overlap');
  const inHalf = (c: HeldChunk): boolean => packages.some((p) => (['client', 'hub'] as const).some((side) => {
    const h = halfOf(p, side);
    return c.offset >= h.offset && c.offset + c.bytes <= h.offset + h.length;
  }));
  if (!chunks.every(inHalf)) bad('a chunk lies outside the halves of the packages');
  if (chunks.some((c) => spentChunk(s, c))) bad('a used-up chunk is still listed');
  if (claims.some((k) => chunks.reduce((a, c) => a + Math.max(0, Math.min(c.offset + c.bytes, k.offset + k.length) - Math.max(c.offset, k.offset)), 0) !== k.length)) bad('a claimed span is no longer held');
  const usedBytes = used.reduce((a, [x, y]) => a + y - x, 0);
  const usedInChunks = chunks.reduce((a, c) => a + measureWithin(used, c.offset, c.offset + c.bytes), 0);
  const inChunks = chunks.reduce((a, c) => a + c.bytes, 0);
  if (inChunks + usedBytes - usedInChunks !== held.reduce((a, [x, y]) => a + y - x, 0)) bad('its chunks and used spans do not add up to what it holds');
  return s;
}
