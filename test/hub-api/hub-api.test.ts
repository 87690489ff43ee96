// The contract between a client and its hub (issue S10; src-shared/hub-api): who spends which half of a
// client's PSRD table, the transport key and its ID, and the list of held key instructions (a decoder
// that throws its own error only).
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFetch, decodeInstructions, encodeFetch, encodeInstructions, InstructionListError } from '../../src-shared/hub-api/instruction-list';
import { halfOf, nextOnSide, onSide, type TablePackage } from '../../src-shared/hub-api/table-layout';
import { clientNumber, numberOfKeyId, transportKey, transportKeyId } from '../../src-shared/hub-api/transport-key';

describe('table layout', () => {
  const pkgs: TablePackage[] = [{ tableOffset: 0, bytes: 1001 }, { tableOffset: 1001, bytes: 4000 }];

  it('gives the client the first half of each package and the hub the rest, without overlap or gap', () => {
    expect(halfOf(pkgs[0], 'client')).toEqual({ offset: 0, length: 500 });
    expect(halfOf(pkgs[0], 'hub')).toEqual({ offset: 500, length: 501 });
    fc.assert(fc.property(fc.nat(1e9), fc.integer({ min: 1, max: 1e6 }), (o, b) => {
      const c = halfOf({ tableOffset: o, bytes: b }, 'client');
      const h = halfOf({ tableOffset: o, bytes: b }, 'hub');
      return c.offset === o && c.offset + c.length === h.offset && h.offset + h.length === o + b;
    }));
  });

  it('finds the lowest span that fits in one half, never straddling two packages, and says none when none is left', () => {
    expect(nextOnSide(pkgs, 'client', 0, 112)).toBe(0);
    expect(nextOnSide(pkgs, 'client', 400, 112)).toBe(1001); // 400 + 112 passes the first half's end (500)
    expect(nextOnSide(pkgs, 'hub', 0, 112)).toBe(500);
    expect(nextOnSide(pkgs, 'hub', 950, 112)).toBe(3001);
    expect(nextOnSide(pkgs, 'hub', 4950, 112)).toBeNull();
    expect(onSide(pkgs, 'client', 388, 112)).toBe(true);
    expect(onSide(pkgs, 'client', 389, 112)).toBe(false);
    expect(onSide(pkgs, 'hub', 388, 112)).toBe(false);
  });
});

describe('transport key', () => {
  it('names a client by its number, and derives a key per hub and client', () => {
    expect(clientNumber('c-000042')).toBe(42);
    expect(clientNumber('c-4294967296')).toBeNull();
    expect(clientNumber('x-1')).toBeNull();
    expect(numberOfKeyId(transportKeyId(42))).toBe(42);
    expect(numberOfKeyId(new Uint8Array(8))).toBeNull();
    const ik = randomBytes(64);
    expect(Buffer.from(transportKey(ik, 'hub-a', 'c-000001')).equals(Buffer.from(transportKey(ik, 'hub-a', 'c-000001')))).toBe(true);
    expect(Buffer.from(transportKey(ik, 'hub-a', 'c-000001')).equals(Buffer.from(transportKey(ik, 'hub-b', 'c-000001')))).toBe(false);
    expect(() => transportKey(randomBytes(32), 'hub-a', 'c-000001')).toThrow(RangeError);
  });
});

describe('the list of held key instructions', () => {
  it('round-trips, and refuses cut, extended or impossible lists with its own error only', () => {
    const list = [{ id: 1, frame: randomBytes(161) }, { id: 7, frame: randomBytes(0) }, { id: 2 ** 40, frame: randomBytes(300) }];
    const bytes = encodeInstructions(list);
    expect(decodeInstructions(bytes).map((i) => [i.id, Buffer.from(i.frame).toString('hex')])).toEqual(list.map((i) => [i.id, i.frame.toString('hex')]));
    expect(decodeFetch(encodeFetch(12345))).toBe(12345);
    for (let cut = 0; cut < bytes.length; cut++) expect(() => decodeInstructions(bytes.subarray(0, cut))).toThrow(InstructionListError);
    expect(() => decodeInstructions(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(InstructionListError);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (junk) => {
      try {
        decodeInstructions(junk);
      } catch (e) {
        return e instanceof InstructionListError;
      }
      return true;
    }));
    expect(() => decodeFetch(new Uint8Array(7))).toThrow(InstructionListError);
  });
});
