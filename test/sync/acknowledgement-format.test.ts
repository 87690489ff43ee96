// The Security Server's acknowledgement (src-shared/sync/acknowledgement.ts, issue S8): the three kinds
// round trip, the layout is HMAC-SHA-256 as node:crypto computes it, the MAC is checked before the
// header, every alteration is refused with a typed error, every field is checked, and the readers are
// fuzzed (SyncFormatError only).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHmac, randomBytes } from 'node:crypto';
import { SyncFormatError } from '../../src-shared/sync/errors';
import {
  openAcknowledgement, readAcknowledgementHeader, sealAcknowledgement, type Acknowledgement, type ReportsAcknowledgement, type ShipmentAcknowledgement,
  type StateAcknowledgement,
} from '../../src-shared/sync/acknowledgement';
import { code } from './support/sync-error-code';

const u8 = (b: Buffer): Uint8Array => new Uint8Array(b);
const STATION = 'ab'.repeat(32);
const SHP = `shp-${'5a'.repeat(16)}`;
const TIME = '2026-11-30T09:00:00.000Z';


const shipmentAck: ShipmentAcknowledgement = { format: 1, kind: 'shipment', hub: 'hub-1', station: STATION, shipment: SHP, segments: 64, bytes: 64 << 20, time: TIME };
const witnessed = { treeSize: 1234, rootHash: '01'.repeat(32), chainHead: '02'.repeat(32) };
const reportsAck: ReportsAcknowledgement = {
  format: 1, kind: 'reports', hub: 'hub-1', station: STATION, appliedUpTo: 40, witnessed,
  refused: { seq: 41, code: 'not-extending', reason: 'The checkpoint of size 1300 does not extend the witnessed one of size 1234.' }, time: TIME,
};
const stateAck: StateAcknowledgement = {
  format: 1, kind: 'state', hub: 'hub-1', station: STATION, appliedUpTo: 5, witnessed: null,
  shipments: [{ shipment: SHP, segments: 64, bytes: 64 << 20 }, { shipment: `shp-${'77'.repeat(16)}`, segments: 1, bytes: 1 }],
  reports: [
    { seq: 1, kind: 'initial-keys', client: 'c-000042', bytes: 64 },
    { seq: 2, kind: 'delivered', client: 'c-000042', package: `pkg-${'ab'.repeat(16)}`, bytes: 1 << 20 },
    { seq: 4, kind: 'package-lost', client: 'c-000042', package: `pkg-${'ab'.repeat(16)}`, bytes: 0 },
    { seq: 5, kind: 'revoked', client: 'c-000043', bytes: 0 },
  ],
  time: TIME,
};
const all: Acknowledgement[] = [shipmentAck, reportsAck, { ...reportsAck, witnessed: null, refused: null, appliedUpTo: 0 }, stateAck, { ...stateAck, shipments: [], reports: [] }];

/** An acknowledgement of any header text with a correct MAC (for headers the writer refuses). */
function rawAck(header: string | Uint8Array, key: Uint8Array): Uint8Array {
  const json = typeof header === 'string' ? Buffer.from(header, 'utf8') : Buffer.from(header);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length);
  const body = Buffer.concat([Buffer.from('DSKEACK1'), len, json]);
  return u8(Buffer.concat([body, createHmac('sha256', key).update(body).digest()]));
}

describe('acknowledgement', () => {
  const key = u8(randomBytes(32));

  it('opens to what was sealed, every kind, and routes without the key', () => {
    for (const a of all) {
      const b = sealAcknowledgement(a, key);
      expect(openAcknowledgement(b, key)).toEqual(a);
      expect(readAcknowledgementHeader(b)).toEqual({ hub: a.hub, station: a.station, kind: a.kind });
    }
  });

  it('is magic, length, the JSON header and HMAC-SHA-256 under the ack key over all before', () => {
    const b = sealAcknowledgement(reportsAck, key);
    expect(Buffer.from(b.subarray(0, 8)).toString()).toBe('DSKEACK1');
    const H = Buffer.from(b).readUInt32BE(8);
    expect(b.length).toBe(12 + H + 32);
    expect(JSON.parse(Buffer.from(b.subarray(12, 12 + H)).toString('utf8'))).toEqual(reportsAck);
    const mac = createHmac('sha256', key).update(b.subarray(0, 12 + H)).digest();
    expect(Buffer.from(b.subarray(12 + H)).equals(mac)).toBe(true);
    expect(code(() => openAcknowledgement(rawAck(JSON.stringify(reportsAck), key), key))).toBe('no error');
  });

  it('refuses another key as authentication-failed, before it looks at the header', () => {
    for (const a of all) expect(code(() => openAcknowledgement(sealAcknowledgement(a, key), u8(randomBytes(32))))).toBe('authentication-failed');
    const k2 = key.slice();
    k2[7] ^= 0x10;
    expect(code(() => openAcknowledgement(sealAcknowledgement(shipmentAck, key), k2))).toBe('authentication-failed');
    // A header the reader would refuse, under the wrong MAC: the MAC speaks first.
    expect(code(() => openAcknowledgement(rawAck('{"format":9}', u8(randomBytes(32))), key))).toBe('authentication-failed');
    expect(code(() => openAcknowledgement(rawAck('{"format":9}', key), key))).toBe('unsupported-version');
  });

  it('refuses every flipped byte', () => {
    for (const a of [shipmentAck, stateAck]) {
      const b = sealAcknowledgement(a, key);
      for (let i = 0; i < b.length; i++) {
        const bad = b.slice();
        bad[i] ^= 0x01;
        const c = code(() => openAcknowledgement(bad, key));
        if (i < 8) expect(c).toBe('bad-magic');
        else if (i < 12) expect(['truncated', 'trailing-bytes', 'malformed']).toContain(c);
        else expect(c).toBe('authentication-failed');
      }
    }
  });

  it('says truncated when cut and trailing-bytes when extended', () => {
    const b = sealAcknowledgement(stateAck, key);
    for (let cut = 0; cut < b.length; cut++) {
      expect(code(() => openAcknowledgement(b.subarray(0, cut), key))).toBe('truncated');
      expect(code(() => readAcknowledgementHeader(b.subarray(0, cut)))).toBe('truncated');
    }
    expect(code(() => openAcknowledgement(u8(Buffer.concat([b, Buffer.from([0])])), key))).toBe('trailing-bytes');
    expect(code(() => readAcknowledgementHeader(u8(Buffer.concat([b, randomBytes(40)]))))).toBe('trailing-bytes');
    expect(code(() => openAcknowledgement(u8(Buffer.from('DSKERPT1\0\0\0\x02{}')), key))).toBe('bad-magic');
  });

  it('checks every field of every kind, even under a correct MAC', () => {
    const withHeader = (x: unknown): string => code(() => openAcknowledgement(rawAck(JSON.stringify(x), key), key));
    const drop = (x: object, k: string): Record<string, unknown> => Object.fromEntries(Object.entries(x).filter(([f]) => f !== k));
    for (const a of all) {
      expect(withHeader(a)).toBe('no error');
      expect(withHeader({ ...a, format: 2 })).toBe('unsupported-version');
      expect(withHeader({ ...a, extra: 1 })).toBe('malformed');
      expect(withHeader({ ...a, hub: 'Hub 1' })).toBe('malformed');
      expect(withHeader({ ...a, station: 'ab' })).toBe('malformed');
      expect(withHeader({ ...a, time: 'now' })).toBe('malformed');
      expect(withHeader({ ...a, time: '2026-13-01T09:00:00Z' })).toBe('malformed');
      expect(withHeader({ ...a, kind: 'other' })).toBe('malformed');
      for (const k of Object.keys(a)) if (k !== 'format') expect(withHeader(drop(a, k))).toBe('malformed');
    }
    // shipment: the fields of one kind are not those of another.
    expect(withHeader({ ...shipmentAck, kind: 'reports' })).toBe('malformed');
    expect(withHeader({ ...stateAck, kind: 'reports' })).toBe('malformed');
    expect(withHeader({ ...shipmentAck, shipment: 'shp-1' })).toBe('malformed');
    expect(withHeader({ ...shipmentAck, segments: 0 })).toBe('malformed');
    expect(withHeader({ ...shipmentAck, segments: 10_001 })).toBe('malformed');
    expect(withHeader({ ...shipmentAck, segments: 3, bytes: 2 })).toBe('malformed');
    expect(withHeader({ ...shipmentAck, bytes: 1.5 })).toBe('malformed');
    expect(withHeader({ ...shipmentAck, bytes: '1' })).toBe('malformed');
    // reports
    expect(withHeader({ ...reportsAck, appliedUpTo: -1 })).toBe('malformed');
    expect(withHeader({ ...reportsAck, appliedUpTo: 2 ** 53 })).toBe('malformed');
    expect(withHeader({ ...reportsAck, witnessed: { ...witnessed, treeSize: 0 } })).toBe('malformed');
    expect(withHeader({ ...reportsAck, witnessed: { ...witnessed, rootHash: 'AB'.repeat(32) } })).toBe('malformed');
    expect(withHeader({ ...reportsAck, witnessed: { ...witnessed, chainHead: '02' } })).toBe('malformed');
    expect(withHeader({ ...reportsAck, witnessed: { ...witnessed, mac: '03'.repeat(32) } })).toBe('malformed');
    expect(withHeader({ ...reportsAck, witnessed: drop(witnessed, 'chainHead') })).toBe('malformed');
    expect(withHeader({ ...reportsAck, witnessed: [] })).toBe('malformed');
    const refused = reportsAck.refused as NonNullable<ReportsAcknowledgement['refused']>;
    expect(withHeader({ ...reportsAck, refused: { ...refused, seq: 0 } })).toBe('malformed');
    expect(withHeader({ ...reportsAck, refused: { ...refused, code: 'Not-Extending' } })).toBe('malformed');
    expect(withHeader({ ...reportsAck, refused: { ...refused, code: '' } })).toBe('malformed');
    expect(withHeader({ ...reportsAck, refused: { ...refused, code: 'a'.repeat(41) } })).toBe('malformed');
    expect(withHeader({ ...reportsAck, refused: { ...refused, code: 'a'.repeat(40) } })).toBe('no error');
    expect(withHeader({ ...reportsAck, refused: { ...refused, reason: 'x'.repeat(500) } })).toBe('no error');
    expect(withHeader({ ...reportsAck, refused: { ...refused, reason: 'x'.repeat(501) } })).toBe('malformed');
    expect(withHeader({ ...reportsAck, refused: { ...refused, reason: 5 } })).toBe('malformed');
    expect(withHeader({ ...reportsAck, refused: { ...refused, extra: 1 } })).toBe('malformed');
    // state
    const rs = stateAck.reports;
    expect(withHeader({ ...stateAck, reports: [rs[1], rs[0]] })).toBe('malformed');
    expect(withHeader({ ...stateAck, reports: [rs[0], rs[0]] })).toBe('malformed');
    expect(withHeader({ ...stateAck, appliedUpTo: 4 })).toBe('malformed');
    expect(withHeader({ ...stateAck, reports: [{ ...rs[0], kind: 'shipped' }] })).toBe('malformed');
    expect(withHeader({ ...stateAck, reports: [{ ...rs[0], client: 'c-42' }] })).toBe('malformed');
    expect(withHeader({ ...stateAck, reports: [{ ...rs[0], package: 'pkg-1' }] })).toBe('malformed');
    expect(withHeader({ ...stateAck, reports: [{ ...rs[0], package: null }] })).toBe('malformed');
    expect(withHeader({ ...stateAck, reports: [{ ...rs[0], bytes: 0 }] })).toBe('malformed');
    expect(withHeader({ ...stateAck, reports: [{ ...rs[3], bytes: 64 }] })).toBe('malformed');
    expect(withHeader({ ...stateAck, reports: [{ ...rs[0], ranges: [] }] })).toBe('malformed');
    expect(withHeader({ ...stateAck, reports: [{ ...rs[0], seq: 0 }] })).toBe('malformed');
    expect(withHeader({ ...stateAck, reports: {} })).toBe('malformed');
    expect(withHeader({ ...stateAck, shipments: [stateAck.shipments[0], stateAck.shipments[0]] })).toBe('malformed');
    expect(withHeader({ ...stateAck, shipments: [{ ...stateAck.shipments[0], extra: 1 }] })).toBe('malformed');
    expect(withHeader({ ...stateAck, shipments: [{ ...stateAck.shipments[0], bytes: 0 }] })).toBe('malformed');
    expect(withHeader({ ...stateAck, shipments: null })).toBe('malformed');
    expect(code(() => openAcknowledgement(rawAck('[1]', key), key))).toBe('malformed');
    expect(code(() => openAcknowledgement(rawAck('{"format":1,', key), key))).toBe('malformed');
    expect(code(() => openAcknowledgement(rawAck(u8(Buffer.from([0x22, 0xc0, 0xaf, 0x22])), key), key))).toBe('malformed');
  });

  it('takes 100,000 held reports and refuses 100,001', () => {
    const many = (n: number): StateAcknowledgement => ({
      ...stateAck, appliedUpTo: n, shipments: [], reports: Array.from({ length: n }, (_, i) => ({ seq: i + 1, kind: 'delivered' as const, client: 'c-000042', bytes: 1 })),
    });
    const b = sealAcknowledgement(many(100_000), key);
    expect((openAcknowledgement(b, key) as StateAcknowledgement).reports.length).toBe(100_000);
    expect(() => sealAcknowledgement(many(100_001), key)).toThrow(RangeError);
  });

  it('refuses to seal what it would not open, and a key of the wrong size (RangeError)', () => {
    expect(() => sealAcknowledgement({ ...shipmentAck, hub: 'Hub 1' }, key)).toThrow(RangeError);
    expect(() => sealAcknowledgement({ ...shipmentAck, shipment: 'shp-1' }, key)).toThrow(RangeError);
    expect(() => sealAcknowledgement({ ...reportsAck, appliedUpTo: -1 }, key)).toThrow(RangeError);
    expect(() => sealAcknowledgement({ ...reportsAck, refused: { seq: 1, code: 'X', reason: '' } }, key)).toThrow(RangeError);
    expect(() => sealAcknowledgement({ ...stateAck, appliedUpTo: 1 }, key)).toThrow(RangeError);
    expect(() => sealAcknowledgement({ ...stateAck, time: 'now' }, key)).toThrow(RangeError);
    expect(() => sealAcknowledgement({ ...shipmentAck, kind: 'other' } as unknown as Acknowledgement, key)).toThrow(RangeError);
    expect(() => sealAcknowledgement(shipmentAck, new Uint8Array(16))).toThrow(RangeError);
    expect(() => openAcknowledgement(sealAcknowledgement(shipmentAck, key), new Uint8Array(33))).toThrow(RangeError);
  });
});

describe('fuzzing the acknowledgement readers', () => {
  const key = u8(randomBytes(32));
  const sealed = all.map((a) => sealAcknowledgement(a, key));
  const onlyTyped = (b: Uint8Array): void => {
    for (const d of [(x: Uint8Array) => openAcknowledgement(x, key), readAcknowledgementHeader]) {
      try {
        d(b);
      } catch (e) {
        if (!(e instanceof SyncFormatError)) throw e;
      }
    }
  };

  it('throws nothing but SyncFormatError on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 800 }), (b) => onlyTyped(b)), { numRuns: 500 });
    const withMagic = fc.uint8Array({ maxLength: 600 }).map((b) => u8(Buffer.concat([Buffer.from('DSKEACK1'), b])));
    fc.assert(fc.property(withMagic, (b) => onlyTyped(b)), { numRuns: 500 });
  });

  it('throws nothing but SyncFormatError on mutated acknowledgements', () => {
    const mutation = fc.record({
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }),
      cut: fc.option(fc.nat()),
      extra: fc.uint8Array({ maxLength: 40 }),
    });
    fc.assert(
      fc.property(fc.constantFrom(...sealed), mutation, (file, m) => {
        const b = file.slice();
        for (const [at, x] of m.flips) b[at % b.length] ^= x;
        const cut = m.cut === null ? b : b.subarray(0, m.cut % (b.length + 1));
        onlyTyped(u8(Buffer.concat([cut, m.extra])));
      }),
      { numRuns: 1000 },
    );
  });

  it('throws nothing but SyncFormatError on correctly MACed headers of arbitrary JSON', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => onlyTyped(rawAck(JSON.stringify(v) ?? 'null', key))), { numRuns: 300 });
    fc.assert(
      fc.property(fc.constantFrom(...all), fc.dictionary(fc.constantFrom('kind', 'appliedUpTo', 'witnessed', 'refused', 'shipments', 'reports', 'segments', 'bytes', 'shipment'), fc.jsonValue()), (a, change) => {
        onlyTyped(rawAck(JSON.stringify({ ...a, ...change }), key));
      }),
      { numRuns: 500 },
    );
  });
});
