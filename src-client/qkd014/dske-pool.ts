// A KeyPool over DSKE (issue S10, part 3; §11.4, App. A): the master's KME establishes a secret with the
// slave's client through the configured hubs (k of n) and cuts it into keys; the slave's KME recovers the
// secret (fetchAndRecover) and cuts it the same way.
//
// One secret of m words carries every key of a request (App. A batching: m words per execution). Its
// 16-byte secret ID says how to cut it and for which pair of SAEs:
//   bytes 0..3   SHA-256("dske-qkd014-pair\0" master SAE "\0" slave SAE), first 4 bytes
//   bytes 4..5   key size in bytes (big-endian)
//   bytes 6..7   number of keys (big-endian)
//   bytes 8..15  random
// Key i is bytes [i·size, (i+1)·size) of the secret; its key_ID is keyIdOf(master KME ID, secret ID, i),
// so both ends derive the same ID. The slave's KME keeps recovered keys sealed under the master key until
// its SAE fetches them, then deletes them.
import { createHash, randomBytes } from 'node:crypto';
import { psrdBytesPerHub } from '../../src-shared/dske/appendix-a';
import { MAX_M } from '../../src-shared/dske/wire';
import { clientNumber } from '../../src-shared/hub-api/transport-key';
import { ClientFailure } from '../errors';
import { KEYS, KeyClient, type FetchReport, type KeyClientOptions } from '../keys/key-client';
import type { ClientStore } from '../store/client-store';
import { peerOf, type KmeConfig, type PeerKme } from './config';
import { KeyPoolError, keyIdOf, type KeyPool, type PoolKey } from './key-pool';

export const QKD_KEYS = 'qkd014/keys.sealed';
const WORD = 16;

interface HeldKey {
  readonly master: string;
  readonly slave: string;
  readonly key: string; // base64
}
interface HeldFile {
  format: 1;
  keys: Record<string, HeldKey>;
  /** `sender|secret ID` of every received secret already cut into keys here (each is cut once). */
  ingested: string[];
}
/** What this module reads of the key client's kept keys (keys.sealed). */
interface KeptReceived {
  readonly role: string;
  readonly peer: string;
  readonly secretId: string;
  readonly key: string;
}

export function pairTag(master: string, slave: string): Buffer {
  return createHash('sha256').update(`dske-qkd014-pair\0${master}\0${slave}`).digest().subarray(0, 4);
}

export function secretIdFor(master: string, slave: string, sizeBytes: number, count: number): Buffer {
  const id = Buffer.alloc(16);
  pairTag(master, slave).copy(id, 0);
  id.writeUInt16BE(sizeBytes, 4);
  id.writeUInt16BE(count, 6);
  randomBytes(8).copy(id, 8);
  return id;
}

export class DskeKeyPool implements KeyPool {
  private readonly client: KeyClient;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: ClientStore,
    private readonly config: KmeConfig,
    opts: KeyClientOptions = {},
    /** Told of every fetch from the hubs: the secrets recovered, and the hubs that lied, failed or were down (for the KME's log). */
    private readonly onFetch?: (report: FetchReport) => void,
  ) {
    this.client = new KeyClient(store, opts);
  }

  /** One operation at a time: the key client's sealed files are read and written around each exchange. */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.queue.then(f, f);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private read(): HeldFile {
    const o = this.store.vault.read(QKD_KEYS) as HeldFile | undefined;
    if (o === undefined) return { format: 1, keys: {}, ingested: [] };
    if (typeof o !== 'object' || o === null || o.format !== 1 || typeof o.keys !== 'object' || !Array.isArray(o.ingested)) throw new ClientFailure('store-damaged', `${QKD_KEYS} in the client folder does not hold what it should.`);
    return o;
  }

  private peer(sae: string): PeerKme {
    const p = peerOf(this.config, sae);
    if (!p) throw new KeyPoolError(400, `SAE ${sae} is not an SAE this KME shares keys with.`);
    return p;
  }

  take(master: string, slave: string, number: number, sizeBits: number): Promise<PoolKey[]> {
    return this.serial(async () => {
      const peer = this.peer(slave);
      const size = sizeBits / 8;
      if (!Number.isSafeInteger(size) || size < 1 || size > 0xffff || !Number.isSafeInteger(number) || number < 1 || number > 0xffff) throw new KeyPoolError(400, 'The key size or number is out of range.');
      const perSecret = Math.min(0xffff, Math.floor((MAX_M * WORD) / size));
      const out: PoolKey[] = [];
      for (let left = number; left > 0;) {
        const count = Math.min(left, perSecret);
        const secretId = secretIdFor(master, slave, size, count);
        let secret: Uint8Array;
        try {
          secret = (await this.client.establish({ peers: peer.clients, hubs: this.config.hubs, k: this.config.k, m: Math.ceil((count * size) / WORD), secretId })).key;
        } catch (e) {
          if (!(e instanceof ClientFailure)) throw e;
          for (const k of out) k.key.fill(0);
          throw new KeyPoolError(503, `No key could be established with ${peer.kmeId} for ${slave}: ${e.message}`, [{ code: e.code }]);
        }
        const sid = secretId.toString('hex');
        for (let i = 0; i < count; i++) out.push({ keyId: keyIdOf(this.config.kmeId, sid, i), key: secret.slice(i * size, (i + 1) * size) });
        secret.fill(0);
        // Handed to the master SAE now: the key client's copy goes (a key exists once on each side).
        this.client.forget(sid, 'sent');
        left -= count;
      }
      return out;
    });
  }

  /** The peer KME and SAE pair a recovered secret belongs to, or undefined (not a QKD 014 secret for this KME). */
  private place(r: { readonly sender: string; readonly secretId: string; readonly key: Uint8Array }): { peer: PeerKme; master: string; slave: string; size: number; count: number } | undefined {
    const labels = r.sender.split(',').map((l) => {
      const i = l.lastIndexOf('/');
      return { hub: l.slice(0, i), number: Number(l.slice(i + 1)) };
    });
    const peer = this.config.peers.find((p) => labels.every((l) => p.clients[l.hub] !== undefined && clientNumber(p.clients[l.hub]!) === l.number));
    if (!peer) return undefined;
    const id = Buffer.from(r.secretId, 'hex');
    if (id.length !== 16) return undefined;
    const size = id.readUInt16BE(4);
    const count = id.readUInt16BE(6);
    if (size < 1 || count < 1 || size * count > r.key.length) return undefined;
    for (const master of peer.saes) for (const slave of this.config.saes) if (pairTag(master, slave).equals(id.subarray(0, 4))) return { peer, master, slave, size, count };
    return undefined;
  }

  get(master: string, slave: string, keyIds: readonly string[]): Promise<PoolKey[]> {
    return this.serial(async () => {
      this.peer(master);
      let held = this.ingest();
      let missing = keyIds.filter((id) => !held.keys[id]);
      if (missing.length > 0) {
        const report = await this.client.fetchAndRecover();
        this.onFetch?.(report);
        for (const r of report.recovered) r.key.fill(0);
        held = this.ingest();
        missing = keyIds.filter((id) => !held.keys[id]);
        if (missing.length > 0) {
          const down = report.hubs.filter((h) => !h.ok);
          const waiting = report.waiting.length;
          if (down.length > 0 || waiting > 0) {
            const why = [
              ...down.map((h) => (h.ok ? '' : `hub ${h.hub}: ${h.reason}`)),
              ...(waiting > 0 ? [`${waiting} secret${waiting > 1 ? 's wait' : ' waits'} for shares from more hubs`] : []),
            ].join('; ');
            throw new KeyPoolError(503, `Key ${missing.join(', ')} cannot be delivered now: the hubs have not delivered enough shares (${why}).`, missing.map((key_ID) => ({ key_ID })));
          }
          throw new KeyPoolError(400, `No key is held with key_ID ${missing.join(', ')}.`, missing.map((key_ID) => ({ key_ID })));
        }
      }
      const foreign = keyIds.filter((id) => held.keys[id]!.master !== master || held.keys[id]!.slave !== slave);
      if (foreign.length > 0) throw new KeyPoolError(401, `Key ${foreign.join(', ')} was not taken by ${master} for ${slave}.`, foreign.map((key_ID) => ({ key_ID })));
      const out = keyIds.map((id) => ({ keyId: id, key: new Uint8Array(Buffer.from(held.keys[id]!.key, 'base64')) }));
      for (const id of keyIds) delete held.keys[id];
      this.store.vault.write(QKD_KEYS, held);
      return out;
    });
  }

  /**
   * Cuts every received secret the key client keeps that was not cut before (whoever fetched it: this
   * pool, or `dske-client fetch` while the service was stopped) into keys, and records it as cut; a crash
   * between the key client's write and this one loses nothing.
   */
  private ingest(): HeldFile {
    const held = this.read();
    const kept = this.store.vault.read(KEYS) as { keys?: KeptReceived[] } | undefined;
    const done = new Set(held.ingested);
    const cut: { secretId: string; peer: string }[] = [];
    let changed = false;
    for (const k of kept?.keys ?? []) {
      const tag = `${k.peer}|${k.secretId}`;
      if (k.role !== 'received' || done.has(tag)) continue;
      const key = Buffer.from(k.key, 'base64');
      const at = this.place({ sender: k.peer, secretId: k.secretId, key });
      if (at) {
        for (let i = 0; i < at.count; i++) held.keys[keyIdOf(at.peer.kmeId, k.secretId, i)] = { master: at.master, slave: at.slave, key: key.subarray(i * at.size, (i + 1) * at.size).toString('base64') };
        cut.push({ secretId: k.secretId, peer: k.peer });
      }
      key.fill(0);
      held.ingested.push(tag);
      done.add(tag);
      changed = true;
    }
    if (changed) this.store.vault.write(QKD_KEYS, held);
    // Cut into keys (and recorded as cut first): the key client's copy goes, so each key is held once, here,
    // until its slave SAE takes it.
    for (const c of cut) this.client.forget(c.secretId, 'received', c.peer);
    return held;
  }

  /** Keys of sizeBits the PSRD left for requests at the k-th best hub allows, one execution each (batching gives more). */
  stored(_master: string, _slave: string, sizeBits: number): number {
    const words = Math.max(1, Math.ceil(sizeBits / 8 / WORD));
    const avail = this.store.status().filter((s) => this.config.hubs.includes(s.hub)).map((s) => s.forRequests.availableBytes).sort((a, b) => b - a);
    const kth = avail[this.config.k - 1] ?? 0;
    return Math.floor(kth / psrdBytesPerHub(words));
  }
}
