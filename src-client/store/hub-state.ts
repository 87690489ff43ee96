// A hub's PSRD store state at the client (issue S10, part 2): hubs/<hub>/state.json, replaced whole and
// atomically (src-node/atomic-file.ts) at every import and every take(), so that a crash leaves the
// state before or after, never a mix. The PSRD of every imported package is one stream, in import
// order; `used` is how far into it has been handed out, `base` where the first chunk still held
// begins. A chunk wholly used is dropped from `chunks` together with its wrapped key in the same write
// that marks its bytes used: one rename both spends and crypto-erases them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFile } from '../../src-node/atomic-file';
import { ioReason } from '../../src-node/io-reason';
import { WRAPPED_KEY_BYTES } from '../../src-node/psrd-store/master-key';
import { PACKAGE_ID } from '../../src-shared/psrd/package-format';
import { ClientFailure } from '../errors';
import { CHUNK_ID } from './chunk-file';

export const STATE_FILE = 'state.json';

export interface HeldChunk {
  readonly id: string;
  readonly bytes: number;
  /** The chunk's data key, wrapped by the client master key. */
  readonly key: Uint8Array;
}

export interface HubState {
  readonly hub: string;
  /** Every package imported, in order: its ID (refused if seen again) and its PSRD bytes. */
  readonly packages: readonly { readonly package: string; readonly bytes: number }[];
  /** PSRD bytes ever imported. */
  readonly held: number;
  /** PSRD bytes handed out (and so never again). */
  readonly used: number;
  /** Stream offset where chunks[0] begins: every byte before it is used and erased. */
  readonly base: number;
  readonly erasedChunks: number;
  readonly chunks: readonly HeldChunk[];
}

export const emptyState = (hub: string): HubState => ({ hub, packages: [], held: 0, used: 0, base: 0, erasedChunks: 0, chunks: [] });

export function writeState(hubDir: string, s: HubState): void {
  const body = JSON.stringify({
    format: 1, hub: s.hub, packages: s.packages, held: s.held, used: s.used, base: s.base, erasedChunks: s.erasedChunks,
    chunks: s.chunks.map((c) => ({ id: c.id, bytes: c.bytes, key: Buffer.from(c.key).toString('base64') })),
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
  if (typeof o !== 'object' || o === null || o.format !== 1 || o.hub !== hub) bad('its state is not of format 1 for this hub');
  if (!nat(o.held) || !nat(o.used) || !nat(o.base) || !nat(o.erasedChunks)) bad('a counter is not a whole number');
  if (!Array.isArray(o.packages) || !Array.isArray(o.chunks)) bad('its lists are missing');
  const packages = (o.packages as unknown[]).map((p) => {
    const r = p as Record<string, unknown>;
    if (typeof r?.package !== 'string' || !PACKAGE_ID.test(r.package) || !nat(r.bytes)) bad('a package record is malformed');
    return { package: r.package as string, bytes: r.bytes as number };
  });
  const chunks = (o.chunks as unknown[]).map((c) => {
    const r = c as Record<string, unknown>;
    if (typeof r?.id !== 'string' || !CHUNK_ID.test(r.id) || !nat(r.bytes) || (r.bytes as number) < 1 || typeof r.key !== 'string') bad('a chunk record is malformed');
    const key = Buffer.from(r.key as string, 'base64');
    if (key.length !== WRAPPED_KEY_BYTES) bad('a chunk key has the wrong length');
    return { id: r.id as string, bytes: r.bytes as number, key };
  });
  const s: HubState = { hub, packages, held: o.held as number, used: o.used as number, base: o.base as number, erasedChunks: o.erasedChunks as number, chunks };
  const inChunks = chunks.reduce((a, c) => a + c.bytes, 0);
  if (packages.reduce((a, p) => a + p.bytes, 0) !== s.held) bad('its packages do not add up to what it holds');
  if (s.base + inChunks !== s.held || s.base > s.used || s.used > s.held) bad('its counters disagree');
  if (chunks.length > 0 && s.used - s.base >= chunks[0]!.bytes) bad('a used-up chunk is still listed');
  return s;
}
