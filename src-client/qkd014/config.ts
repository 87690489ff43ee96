// The configuration of a client's ETSI GS QKD 014 service (issue S10, part 3): this client acts as the
// KME of its own SAEs; each peer KME is another client, named by its client ID at each hub, with the
// SAEs it serves. Key sizes are in bits.
import { CLIENT_ID } from '../../src-shared/psrd/package-format';
import { ClientFailure } from '../errors';

export interface PeerKme {
  readonly kmeId: string;
  /** The SAEs the peer serves. */
  readonly saes: readonly string[];
  /** The peer client's ID at each hub (its peer identity there). */
  readonly clients: Readonly<Record<string, string>>;
}

export interface KmeConfig {
  /** This KME's ID (source_KME_ID on its status answers; part of every key_ID it derives). */
  readonly kmeId: string;
  /** The SAEs registered with this KME: the CN of their client certificates. */
  readonly saes: readonly string[];
  readonly peers: readonly PeerKme[];
  /** The hubs keys are established through, in order, and the threshold k. */
  readonly hubs: readonly string[];
  readonly k: number;
  readonly keySize: number;
  readonly minKeySize: number;
  readonly maxKeySize: number;
  readonly maxKeyPerRequest: number;
  readonly maxKeyCount: number;
}

export type KmeConfigInput = Pick<KmeConfig, 'kmeId' | 'saes' | 'peers' | 'hubs' | 'k'> & Partial<KmeConfig>;

export const DEFAULTS = { keySize: 256, minKeySize: 64, maxKeySize: 8192, maxKeyPerRequest: 128, maxKeyCount: 100_000 } as const;
const SAE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

function bad(why: string): never {
  throw new ClientFailure('bad-request', `QKD 014 configuration: ${why}.`);
}

const whole = (v: unknown, name: string, min: number): number => {
  if (!Number.isSafeInteger(v) || (v as number) < min) bad(`${name} must be a whole number of at least ${min}`);
  return v as number;
};

/** A checked configuration, the defaults filled in. */
export function kmeConfig(c: KmeConfigInput): KmeConfig {
  if (!SAE_ID.test(c.kmeId)) bad('kmeId is missing or malformed');
  const seen = new Set<string>();
  const sae = (id: string): void => {
    if (typeof id !== 'string' || !SAE_ID.test(id)) bad(`SAE ID ${String(id)} is malformed`);
    if (seen.has(id)) bad(`SAE ID ${id} is named twice`);
    seen.add(id);
  };
  c.saes.forEach(sae);
  const hubs = [...c.hubs];
  if (hubs.length < 1 || new Set(hubs).size !== hubs.length) bad('name each hub once, at least one');
  const k = whole(c.k, 'k', 1);
  if (k > hubs.length) bad(`k (${k}) is more than the number of hubs (${hubs.length})`);
  const peerIds = new Set<string>();
  for (const p of c.peers) {
    if (!SAE_ID.test(p.kmeId) || p.kmeId === c.kmeId || peerIds.has(p.kmeId)) bad(`peer KME ID ${p.kmeId} is malformed, repeated or this KME's own`);
    peerIds.add(p.kmeId);
    p.saes.forEach(sae);
    for (const h of hubs) if (typeof p.clients[h] !== 'string' || !CLIENT_ID.test(p.clients[h])) bad(`peer ${p.kmeId} has no client ID at hub ${h}`);
  }
  const keySize = whole(c.keySize ?? DEFAULTS.keySize, 'keySize', 8);
  const minKeySize = whole(c.minKeySize ?? Math.min(DEFAULTS.minKeySize, keySize), 'minKeySize', 8);
  const maxKeySize = whole(c.maxKeySize ?? Math.max(DEFAULTS.maxKeySize, keySize), 'maxKeySize', 8);
  for (const [n, v] of [['keySize', keySize], ['minKeySize', minKeySize], ['maxKeySize', maxKeySize]] as const) if (v % 8 !== 0) bad(`${n} must be a multiple of 8 bits`);
  if (!(minKeySize <= keySize && keySize <= maxKeySize)) bad('minKeySize ≤ keySize ≤ maxKeySize does not hold');
  if (maxKeySize / 8 > 0xffff) bad('maxKeySize is at most 524280 bits');
  const maxKeyPerRequest = whole(c.maxKeyPerRequest ?? DEFAULTS.maxKeyPerRequest, 'maxKeyPerRequest', 1);
  const maxKeyCount = whole(c.maxKeyCount ?? DEFAULTS.maxKeyCount, 'maxKeyCount', 1);
  if (maxKeyPerRequest > maxKeyCount) bad('maxKeyPerRequest is more than maxKeyCount');
  if (maxKeyPerRequest > 0xffff) bad('maxKeyPerRequest is at most 65535');
  return { kmeId: c.kmeId, saes: [...c.saes], peers: c.peers.map((p) => ({ kmeId: p.kmeId, saes: [...p.saes], clients: { ...p.clients } })), hubs, k, keySize, minKeySize, maxKeySize, maxKeyPerRequest, maxKeyCount };
}

/** The peer KME serving `sae`, or undefined. */
export function peerOf(c: KmeConfig, sae: string): PeerKme | undefined {
  return c.peers.find((p) => p.saes.includes(sae));
}
