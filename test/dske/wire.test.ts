// The v1 wire codec (docs/wire-format.md): round trips, exact layout, and strict decoding that
// throws DskeDecodeError and nothing else, on random and on mutated bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DskeDecodeError } from '../../src-shared/dske/errors';
import {
  decodeEnvelope, decodeShareMessage, encodeEnvelope, encodeShareMessage, MAX_M, peekType, shareMessageLength,
  type Envelope, type ShareMessage,
} from '../../src-shared/dske/wire';
import { hex } from './helpers';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const msg = (maxM: number): fc.Arbitrary<ShareMessage> => fc
  .record({
    type: fc.constantFrom('request' as const, 'instruction' as const),
    kn: fc.tuple(fc.integer({ min: 1, max: 255 }), fc.integer({ min: 1, max: 255 })),
    m: maxM > 8 ? fc.oneof({ arbitrary: fc.integer({ min: 1, max: 8 }), weight: 9 }, { arbitrary: fc.constant(maxM), weight: 1 }) : fc.integer({ min: 1, max: maxM }),
    senderId: fc.nat({ max: 0xffffffff }),
    recipientIds: fc.uniqueArray(fc.nat({ max: 0xffffffff }), { minLength: 1, maxLength: 6 }),
    secretId: bytes(16),
    psrdIndex: fc.maxSafeNat(),
    expiresAt: fc.oneof(fc.constant(0), fc.maxSafeNat()),
    x: bytes(16).filter((x) => x.some((b) => b)),
    aad: fc.uint8Array({ maxLength: 40 }),
    tag: bytes(16),
  })
  .filter((r) => !r.recipientIds.includes(r.senderId))
  .chain((r) =>
    bytes((3 + r.m) * 16).map((share) => ({
      type: r.type, k: Math.min(...r.kn), n: Math.max(...r.kn), m: r.m, senderId: r.senderId, recipientIds: r.recipientIds,
      secretId: r.secretId, psrdIndex: r.psrdIndex, expiresAt: r.expiresAt, x: r.x, aad: r.aad, share, tag: r.tag,
    })),
  );
const MSG = msg(MAX_M);
const SMALL = msg(4);
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
  return out;
};
const ENV: fc.Arbitrary<Envelope> = fc.record({
  alg: fc.constantFrom('aes-256-gcm-siv' as const, 'aes-256-gcm' as const),
  keyId: bytes(8),
  nonce: bytes(12),
  sealed: fc.uint8Array({ minLength: 16, maxLength: 200 }),
});

/** Only DskeDecodeError may escape a decoder. */
function decodesOrRejects(f: () => unknown): 'ok' | 'rejected' {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (!(e instanceof DskeDecodeError) || e.code !== 'decode') throw e;
    return 'rejected';
  }
}

/** Mutations of valid frames: bit flips, byte writes, truncation, extension, splices. */
const mutate = (frame: Uint8Array) =>
  fc.oneof(
    fc.nat(frame.length * 8 - 1).map((b) => { const f = frame.slice(); f[b >> 3] ^= 1 << (b & 7); return f; }),
    fc.tuple(fc.nat(frame.length - 1), fc.nat(255)).map(([i, v]) => { const f = frame.slice(); f[i] = v; return f; }),
    fc.nat(frame.length - 1).map((n) => frame.slice(0, n)),
    fc.uint8Array({ minLength: 1, maxLength: 20 }).map((t) => cat(frame, t)),
    fc.tuple(fc.nat(frame.length), fc.uint8Array({ maxLength: 20 })).map(([i, t]) => cat(frame.subarray(0, i), t, frame.subarray(i))),
  );

describe('wire v1: key request / key instruction', () => {
  it('round-trips, and the length is as documented', () => {
    fc.assert(
      fc.property(MSG, (message) => {
        const enc = encodeShareMessage(message);
        expect(enc.length).toBe(shareMessageLength(message.m, message.recipientIds.length, message.aad.length));
        expect(decodeShareMessage(enc)).toEqual(message);
        expect(peekType(enc)).toBe(message.type);
      }),
      { numRuns: 100 },
    );
  });

  it('lays out the fields as docs/wire-format.md says', () => {
    const msg: ShareMessage = {
      type: 'request', k: 3, n: 5, m: 2, senderId: 0x01020304, recipientIds: [0x0a0b0c0d], secretId: new Uint8Array(16).fill(0x11),
      psrdIndex: 0x0102030405, expiresAt: 0, x: Uint8Array.of(5, ...new Array(15).fill(0)), aad: new Uint8Array(0),
      share: new Uint8Array(80).fill(0xee), tag: new Uint8Array(16).fill(0xff),
    };
    const enc = encodeShareMessage(msg);
    expect(enc.length).toBe(161); // n = 5, k = 3, one recipient, 256-bit key
    expect(hex(enc.subarray(0, 15))).toBe('0101' + '0305' + '0002' + '01020304' + '01' + '0a0b0c0d');
    expect(hex(enc.subarray(31, 47))).toBe('0000000102030405' + '0000000000000000');
    expect(hex(enc.subarray(47, 65))).toBe('05' + '00'.repeat(15) + '0000');
  });

  it('decoding random bytes never throws anything but DskeDecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => { decodesOrRejects(() => decodeShareMessage(b)); decodesOrRejects(() => peekType(b)); }), { numRuns: 2000 });
    // random bytes behind a plausible header reach the deeper checks
    fc.assert(
      fc.property(fc.constantFrom(1, 2), fc.uint8Array({ maxLength: 300 }), (t, rest) => {
        decodesOrRejects(() => decodeShareMessage(Uint8Array.from([1, t, ...rest])));
      }),
      { numRuns: 2000 },
    );
  });

  it('decoding mutated frames rejects with DskeDecodeError or yields a canonical frame', () => {
    fc.assert(
      fc.property(SMALL.chain((m) => mutate(encodeShareMessage(m))), (b) => {
        if (decodesOrRejects(() => decodeShareMessage(b)) === 'ok') expect(encodeShareMessage(decodeShareMessage(b))).toEqual(b);
      }),
      { numRuns: 1500 },
    );
  });

  it('rejects short, trailing, unknown-version and out-of-range frames', () => {
    const good = encodeShareMessage(fc.sample(MSG, { numRuns: 1, seed: 7 })[0]);
    const at = (i: number, v: number) => { const f = good.slice(); f[i] = v; return f; };
    const cases: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['short', good.slice(0, -1)],
      ['trailing', cat(good, new Uint8Array(1))],
      ['version 0', at(0, 0)],
      ['version 2', at(0, 2)],
      ['type 3', at(1, 3)],
      ['k = 0', at(2, 0)],
      ['k > n', (() => { const f = good.slice(); f[2] = 9; f[3] = 8; return f; })()],
      ['m = 0', (() => { const f = good.slice(); f[4] = 0; f[5] = 0; return f; })()],
      ['m > MAX_M', (() => { const f = good.slice(); f[4] = 0xff; return f; })()],
      ['no recipients', at(10, 0)],
    ];
    for (const [name, b] of cases) expect(decodesOrRejects(() => decodeShareMessage(b)), name).toBe('rejected');
    expect(decodesOrRejects(() => decodeShareMessage('x' as unknown as Uint8Array))).toBe('rejected');
    expect(decodesOrRejects(() => decodeShareMessage(good, good[1] === 1 ? 'instruction' : 'request'))).toBe('rejected');
  });

  it('rejects a zero coordinate, repeated recipients and indices beyond 2^53', () => {
    const base: ShareMessage = {
      type: 'instruction', k: 1, n: 1, m: 1, senderId: 1, recipientIds: [2, 3], secretId: new Uint8Array(16), psrdIndex: 0, expiresAt: 0,
      x: Uint8Array.of(1, ...new Array(15).fill(0)), aad: new Uint8Array(0), share: new Uint8Array(64), tag: new Uint8Array(16),
    };
    const enc = encodeShareMessage(base);
    const xOff = 11 + 8 + 16 + 16;
    const zeroX = enc.slice();
    zeroX[xOff] = 0;
    const dupR = enc.slice();
    dupR.set([0, 0, 0, 2], 15);
    const senderR = enc.slice();
    senderR.set([0, 0, 0, 1], 15);
    const bigIdx = enc.slice();
    bigIdx[11 + 8 + 16] = 0x00;
    bigIdx[11 + 8 + 16 + 1] = 0x20; // 2^53
    for (const b of [zeroX, dupR, senderR, bigIdx]) expect(decodesOrRejects(() => decodeShareMessage(b))).toBe('rejected');
    expect(() => encodeShareMessage({ ...base, x: new Uint8Array(16) })).toThrow(expect.objectContaining({ code: 'argument' }));
    expect(() => encodeShareMessage({ ...base, share: new Uint8Array(63) })).toThrow(expect.objectContaining({ code: 'length' }));
    expect(() => encodeShareMessage({ ...base, recipientIds: [1] })).toThrow(expect.objectContaining({ code: 'argument' }));
  });
});

describe('wire v1: AEAD envelope', () => {
  it('round-trips', () => {
    fc.assert(fc.property(ENV, (env) => { expect(decodeEnvelope(encodeEnvelope(env))).toEqual(env); }), { numRuns: 200 });
  });

  it('decoding random and mutated bytes never throws anything but DskeDecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (b) => { decodesOrRejects(() => decodeEnvelope(b)); }), { numRuns: 1000 });
    fc.assert(
      fc.property(ENV.chain((env) => mutate(encodeEnvelope(env))), (b) => {
        if (decodesOrRejects(() => decodeEnvelope(b)) === 'ok') expect(encodeEnvelope(decodeEnvelope(b))).toEqual(b);
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects a sealed part shorter than the AEAD tag and unknown algorithms', () => {
    const env = encodeEnvelope(fc.sample(ENV, { numRuns: 1, seed: 1 })[0]);
    expect(decodesOrRejects(() => decodeEnvelope(env.slice(0, 23 + 15)))).toBe('rejected');
    const alg = env.slice();
    alg[2] = 3;
    expect(decodesOrRejects(() => decodeEnvelope(alg))).toBe('rejected');
  });
});
