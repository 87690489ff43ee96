// App. A end to end, in memory: clients, hubs and PSRD tables as plain objects; no I/O.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seal, open } from '../../src-shared/dske/aead';
import { DskeError } from '../../src-shared/dske/errors';
import {
  acceptRequest, decodeInstruction, decodeRequest, instruct, openInstruction, psrdBytesPerHub, receive, recover, send,
  type ReceivedShare,
} from '../../src-shared/dske/appendix-a';
import { WORD } from '../../src-shared/dske/gf128';
import { ReplayGuard } from '../../src-shared/dske/replay';
import { encodeShareMessage } from '../../src-shared/dske/wire';
import { seeded } from './helpers';

/** A PSRD table shared by one client and one hub: both ends hold the same bytes (§10.3: two copies). */
class Table {
  readonly bytes: Uint8Array;
  next = 0;
  constructor(size: number, random: (n: number) => Uint8Array) {
    this.bytes = random(size);
  }
  /** Allocate the next len bytes (the side that chooses the index). */
  take(len: number): { index: number; psrd: Uint8Array } {
    const index = this.next;
    this.next += len;
    return { index, psrd: this.at(index, len) };
  }
  at(index: number, len: number): Uint8Array {
    if (index + len > this.bytes.length) throw new DskeError('argument', 'PSRD index out of range');
    return this.bytes.slice(index, index + len);
  }
}

/** n hubs, each with a table per client, and client IDs assigned independently by each hub (§11.1). */
function world(n: number, clients: string[], seed = 1) {
  const random = seeded(seed);
  const hubs = Array.from({ length: n }, (_, h) => ({
    ids: new Map(clients.map((c, i) => [c, 100 * (h + 1) + i * 7 + 3])),
    tables: new Map(clients.map((c) => [c, new Table(1 << 14, random)])),
  }));
  return { hubs, random };
}

type World = ReturnType<typeof world>;

/** Alice sends through all hubs; each hub relays to every recipient. Returns Alice's secret and per-recipient instructions. */
function establish(w: World, from: string, to: string[], opts: { k: number; m: number; secret?: Uint8Array; secretId?: Uint8Array; expiresAt?: number }) {
  const m = opts.m;
  const len = psrdBytesPerHub(m);
  const secretId = opts.secretId ?? w.random(16);
  const sent = send({
    k: opts.k, m, secretId, secret: opts.secret, expiresAt: opts.expiresAt,
    hubs: w.hubs.map((h) => {
      const { index, psrd } = h.tables.get(from)!.take(len);
      return { senderId: h.ids.get(from)!, recipientIds: to.map((r) => h.ids.get(r)!), psrdIndex: index, psrd };
    }),
  });
  const instructions = new Map<string, Uint8Array[]>(to.map((r) => [r, []]));
  w.hubs.forEach((h, i) => {
    const req = decodeRequest(sent.requests[i]);
    const sender = [...h.ids].find(([, id]) => id === req.senderId)![0];
    const held = acceptRequest(req, h.tables.get(sender)!.at(req.psrdIndex, len));
    for (const r of to) {
      const { index, psrd } = h.tables.get(r)!.take(len);
      instructions.get(r)!.push(instruct(held, { recipientId: h.ids.get(r)!, psrdIndex: index, psrd }));
    }
  });
  return { sent, instructions, secretId };
}

function psrdFor(w: World, client: string) {
  return (hub: number, msg: { psrdIndex: number; m: number }) => w.hubs[hub].tables.get(client)!.at(msg.psrdIndex, psrdBytesPerHub(msg.m));
}

/** A hub that lies: a well-tagged instruction whose share is wrong (it holds the recipient's PSRD). */
function lie(w: World, hub: number, client: string, instruction: Uint8Array, random: (n: number) => Uint8Array): Uint8Array {
  const msg = decodeInstruction(instruction);
  const psrd = w.hubs[hub].tables.get(client)!.at(msg.psrdIndex, psrdBytesPerHub(msg.m));
  const held = { request: { ...msg, type: 'request' as const }, share: random(msg.share.length) };
  return instruct(held, { recipientId: w.hubs[hub].ids.get(client)!, psrdIndex: msg.psrdIndex, psrd });
}

const K256 = 2; // words

describe('App. A key establishment end to end', () => {
  it('two clients, n = 5, k = 3, one hub sending garbage: both hold the same 256-bit key', () => {
    const w = world(5, ['alice', 'bob']);
    const { sent, instructions } = establish(w, 'alice', ['bob'], { k: 3, m: K256 });
    const incoming = instructions.get('bob')!.map((bytes, hub) => ({ hub, bytes }));
    incoming[2] = { hub: 2, bytes: w.random(incoming[2].bytes.length) }; // garbage
    const got = receive(incoming, psrdFor(w, 'bob'));
    expect(sent.secret).toHaveLength(32);
    expect(got.secret).toEqual(sent.secret);
    expect(got.rejected.map((r) => r.hub)).toEqual([2]);
    expect(got.hubs.sort()).toEqual([0, 1, 3, 4]);
  });

  it('one hub lying with a valid tag is named, and the key still agrees', () => {
    const w = world(5, ['alice', 'bob'], 2);
    const { sent, instructions } = establish(w, 'alice', ['bob'], { k: 3, m: K256 });
    const incoming = instructions.get('bob')!.map((bytes, hub) => ({ hub, bytes }));
    incoming[0] = { hub: 0, bytes: lie(w, 0, 'bob', incoming[0].bytes, w.random) };
    const got = receive(incoming, psrdFor(w, 'bob'));
    expect(got.rejected).toEqual([]);
    expect(got.secret).toEqual(sent.secret);
    expect(got.bad).toEqual([0]);
  });

  it('three hubs lying: a typed error and no key', () => {
    const w = world(5, ['alice', 'bob'], 3);
    const { instructions } = establish(w, 'alice', ['bob'], { k: 3, m: K256 });
    const incoming = instructions.get('bob')!.map((bytes, hub) => ({ hub, bytes }));
    for (const h of [1, 2, 4]) incoming[h] = { hub: h, bytes: lie(w, h, 'bob', incoming[h].bytes, w.random) };
    let err: unknown;
    let key: unknown;
    try {
      key = receive(incoming, psrdFor(w, 'bob')).secret;
    } catch (e) {
      err = e;
    }
    expect(key).toBeUndefined();
    expect(err).toBeInstanceOf(DskeError);
    expect((err as DskeError).code).toBe('secret-tag-mismatch');
  });

  it('three hubs sending garbage: not enough shares', () => {
    const w = world(5, ['alice', 'bob'], 4);
    const { instructions } = establish(w, 'alice', ['bob'], { k: 3, m: K256 });
    const incoming = instructions.get('bob')!.map((bytes, hub) => ({ hub, bytes: hub < 3 ? w.random(bytes.length) : bytes }));
    expect(() => receive(incoming, psrdFor(w, 'bob'))).toThrow(expect.objectContaining({ code: 'not-enough-shares' }));
  });

  it('secret transmission: the given secret arrives', () => {
    const w = world(4, ['alice', 'bob'], 5);
    const given = w.random(3 * WORD);
    const { sent, instructions } = establish(w, 'alice', ['bob'], { k: 2, m: 3, secret: given });
    expect(sent.secret).toEqual(given);
    const got = receive(instructions.get('bob')!.map((bytes, hub) => ({ hub, bytes })), psrdFor(w, 'bob'));
    expect(got.secret).toEqual(given);
  });

  it('multi-recipient keys (§8): every recipient recovers the same key', () => {
    const w = world(5, ['alice', 'bob', 'carol', 'dave'], 6);
    const { sent, instructions } = establish(w, 'alice', ['bob', 'carol', 'dave'], { k: 3, m: K256 });
    for (const r of ['bob', 'carol', 'dave']) {
      const got = receive(instructions.get(r)!.map((bytes, hub) => ({ hub, bytes })), psrdFor(w, r));
      expect(got.secret, r).toEqual(sent.secret);
    }
  });

  it('the k unaltered hubs carry zero pads except the adjusted d word (§11.4)', () => {
    const w = world(5, ['alice', 'bob'], 7);
    const { sent } = establish(w, 'alice', ['bob'], { k: 3, m: K256 });
    const z = sent.requests.map((r) => decodeRequest(r).share);
    expect(z[0].every((b) => b === 0)).toBe(true);
    expect(z[1].every((b) => b === 0)).toBe(true);
    expect(z[2].subarray(0, WORD).every((b) => b === 0)).toBe(true); // c
    expect(z[2].subarray(2 * WORD).every((b) => b === 0)).toBe(true); // e, y1, y2
    expect(z[3].some((b) => b !== 0) && z[4].some((b) => b !== 0)).toBe(true);
  });

  it('any k of the n verified shares recover the key', () => {
    const w = world(5, ['alice', 'bob'], 8);
    const { sent, instructions } = establish(w, 'alice', ['bob'], { k: 3, m: K256 });
    const all = instructions.get('bob')!.map((bytes, hub) => {
      const msg = decodeInstruction(bytes);
      return openInstruction(hub, msg, psrdFor(w, 'bob')(hub, msg));
    });
    for (const idx of [[0, 1, 2], [0, 3, 4], [1, 2, 4], [2, 3, 4]]) {
      expect(recover(idx.map((i) => all[i])).secret).toEqual(sent.secret);
    }
    expect(() => recover(all.slice(0, 2))).toThrow(expect.objectContaining({ code: 'not-enough-shares' }));
  });

  it('a hub that verifies a forged request refuses it', () => {
    const w = world(3, ['alice', 'bob'], 9);
    const { sent } = establish(w, 'alice', ['bob'], { k: 2, m: 1 });
    const req = decodeRequest(sent.requests[0]);
    const psrd = w.hubs[0].tables.get('alice')!.at(req.psrdIndex, psrdBytesPerHub(1));
    const forged = decodeRequest(encodeShareMessage({ ...req, k: 1 }));
    expect(() => acceptRequest(forged, psrd)).toThrow(expect.objectContaining({ code: 'tag-mismatch' }));
    expect(() => acceptRequest(req, psrd)).not.toThrow();
  });

  it('a single flipped bit anywhere in a request or an instruction is detected', () => {
    const w = world(3, ['alice', 'bob'], 10);
    const { sent, instructions } = establish(w, 'alice', ['bob'], { k: 2, m: K256 });
    const req = sent.requests[1];
    const ins = instructions.get('bob')![1];
    const len = psrdBytesPerHub(K256);
    const reqPsrd = w.hubs[1].tables.get('alice')!.at(decodeRequest(req).psrdIndex, len);
    const insPsrd = psrdFor(w, 'bob')(1, decodeInstruction(ins));
    const rejected = (f: () => unknown) => {
      try {
        f();
        return false;
      } catch (e) {
        return e instanceof DskeError && (e.code === 'decode' || e.code === 'tag-mismatch');
      }
    };
    fc.assert(
      fc.property(fc.nat(req.length * 8 - 1), fc.nat(ins.length * 8 - 1), (bitR, bitI) => {
        const r = req.slice();
        r[bitR >> 3] ^= 1 << (bitR & 7);
        const i = ins.slice();
        i[bitI >> 3] ^= 1 << (bitI & 7);
        expect(rejected(() => acceptRequest(decodeRequest(r), reqPsrd))).toBe(true);
        expect(rejected(() => openInstruction(1, decodeInstruction(i), insPsrd))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('a flipped bit in a decrypted share is caught by the secret tag (σ ≠ 0)', () => {
    const w = world(3, ['alice', 'bob'], 11);
    const { instructions } = establish(w, 'alice', ['bob'], { k: 3, m: K256 });
    const shares = instructions.get('bob')!.map((bytes, hub) => {
      const msg = decodeInstruction(bytes);
      return openInstruction(hub, msg, psrdFor(w, 'bob')(hub, msg));
    });
    fc.assert(
      fc.property(fc.nat(2), fc.nat(shares[0].share.length * 8 - 1), (which, bit) => {
        const bent: ReceivedShare[] = shares.map((s, i) => {
          if (i !== which) return s;
          const share = s.share.slice();
          share[bit >> 3] ^= 1 << (bit & 7);
          return { ...s, share };
        });
        expect(() => recover(bent)).toThrow(expect.objectContaining({ code: 'secret-tag-mismatch' }));
      }),
      { numRuns: 200 },
    );
  });

  it('random n, k, m and recipients establish the same key (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 3 }), fc.nat(), (n0, k0, m, r, seed) => {
        const n = Math.max(n0, k0), k = Math.min(n0, k0);
        const names = ['a', 'b', 'c', 'd'].slice(0, r + 1);
        const w = world(n, names, seed + 1);
        const { sent, instructions } = establish(w, 'a', names.slice(1), { k, m });
        for (const to of names.slice(1)) {
          // kMin: 1 here on purpose (random k includes 1); the default floor is tested below.
          expect(receive(instructions.get(to)!.map((bytes, hub) => ({ hub, bytes })), psrdFor(w, to), { kMin: 1 }).secret).toEqual(sent.secret);
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('inputs that are Node Buffers', () => {
  it('give every recipient the same key (a Buffer slice is a view, not a copy)', () => {
    const w = world(5, ['alice', 'bob', 'carol'], 31);
    const { sent, instructions } = establish(w, 'alice', ['bob', 'carol'], { k: 3, m: K256 });
    for (const to of ['bob', 'carol']) {
      const incoming = instructions.get(to)!.map((bytes, hub) => ({ hub, bytes: Buffer.from(bytes) }));
      expect(receive(incoming, psrdFor(w, to)).secret).toEqual(sent.secret);
    }
  });
});

describe('§11.6 replay, expiry and receiver policy', () => {
  it('refuses a threshold below two by default: one hub cannot make itself the whole secret', () => {
    const w = world(3, ['alice', 'bob'], 41);
    const { instructions } = establish(w, 'alice', ['bob'], { k: 1, m: K256 });
    const incoming = instructions.get('bob')!.map((bytes, hub) => ({ hub, bytes }));
    expect(() => receive(incoming, psrdFor(w, 'bob'))).toThrow(expect.objectContaining({ code: 'policy' }));
    expect(receive(incoming, psrdFor(w, 'bob'), { kMin: 1 }).secret).toBeDefined();
  });

  const setup = (expiresAt?: number) => {
    const w = world(3, ['alice', 'bob'], 20);
    const { sent, instructions, secretId } = establish(w, 'alice', ['bob'], { k: 2, m: K256, expiresAt });
    return { w, sent, secretId, incoming: instructions.get('bob')!.map((bytes, hub) => ({ hub, bytes })) };
  };

  it('refuses a secret ID from the same sender it has already reconstructed', () => {
    const { w, sent, incoming } = setup();
    const guard = new ReplayGuard();
    const opts = { replay: { guard, sender: 'alice' }, now: 1000 };
    expect(receive(incoming, psrdFor(w, 'bob'), opts).secret).toEqual(sent.secret);
    expect(() => receive(incoming, psrdFor(w, 'bob'), opts)).toThrow(expect.objectContaining({ code: 'replay' }));
    // the same secret ID from another sender is another secret
    expect(receive(incoming, psrdFor(w, 'bob'), { replay: { guard, sender: 'eve' } }).secret).toEqual(sent.secret);
  });

  it('refuses a secret past its expiry time, and needs a clock when one is set', () => {
    const { w, sent, incoming } = setup(5000);
    expect(receive(incoming, psrdFor(w, 'bob'), { now: 5000 }).secret).toEqual(sent.secret);
    expect(() => receive(incoming, psrdFor(w, 'bob'), { now: 5001 })).toThrow(expect.objectContaining({ code: 'expired' }));
    expect(() => receive(incoming, psrdFor(w, 'bob'))).toThrow(expect.objectContaining({ code: 'argument' }));
  });

  it('enforces k_min and n_max', () => {
    const { w, incoming } = setup();
    expect(() => receive(incoming, psrdFor(w, 'bob'), { kMin: 3 })).toThrow(expect.objectContaining({ code: 'policy' }));
    expect(() => receive(incoming, psrdFor(w, 'bob'), { nMax: 2 })).toThrow(expect.objectContaining({ code: 'policy' }));
  });

  it('sets aside shares for another secret ID or from an unexpected sender', () => {
    const { w, sent, secretId, incoming } = setup();
    const got = receive(incoming, psrdFor(w, 'bob'), { secretId, senderIdAt: (hub) => (hub === 1 ? 999 : w.hubs[hub].ids.get('alice')) });
    expect(got.secret).toEqual(sent.secret);
    expect(got.bad).toEqual([1]);
    expect(() => receive(incoming, psrdFor(w, 'bob'), { secretId: new Uint8Array(16) })).toThrow(expect.objectContaining({ code: 'not-enough-shares' }));
  });
});

describe('§11.4 AEAD wrapping around App. A messages', () => {
  it('a request sealed for its hub opens there and nowhere else', () => {
    const w = world(2, ['alice', 'bob'], 30);
    const { sent } = establish(w, 'alice', ['bob'], { k: 1, m: 1 });
    const key = w.random(32), other = w.random(32), keyId = w.random(8);
    const env = seal(key, keyId, sent.requests[0]);
    expect(open((id) => (id.every((b, i) => b === keyId[i]) ? key : undefined), env).plaintext).toEqual(sent.requests[0]);
    expect(() => open(other, env)).toThrow(expect.objectContaining({ code: 'aead' }));
  });
});
