// The bulk shipment (src-shared/sync/shipment.ts, issue S8): the layout checked against the spec with
// node:crypto alone, round trips for any chunk size and slicing, a resumed write equal to an
// uninterrupted one, every alteration (bit flips, cuts, extension, reordering, another header or key)
// refused with a typed error and no piece past the fault, both ciphers agreeing, the reader fuzzed
// (SyncFormatError only), and a 64 MiB shipment read with one chunk buffered.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { SyncFormatError } from '../../src-shared/sync/errors';
import {
  ShipmentReader, chunkPlace, encodeShipment, encodeShipmentHeader, openShipment, readShipmentHeader, shipmentChunkCount, shipmentLength,
  validShipmentPrefix, type ShipmentHeader, type ShipmentPiece, type ShipmentSegment,
} from '../../src-shared/sync/shipment';
import { nobleCipher } from '../../src-shared/psrd/package-cipher';
import type { ChunkCipher } from '../../src-shared/psrd/package-format';
import { nodeCipher } from '../../src-node/psrd-store/package-cipher-node';
import { code } from './support/sync-error-code';

const u8 = (b: Buffer): Uint8Array => new Uint8Array(b);
const STATION = 'ab'.repeat(32);
const seg = (i: number): string => `seg-${i.toString(16).padStart(24, '0')}`;
const SHP = `shp-${'5a'.repeat(16)}`;

function header(sizes: number[], chunkBytes = 4096, shipment = SHP): ShipmentHeader {
  return {
    format: 1, hub: 'hub-1.example', station: STATION, shipment, createdAt: '2026-11-30T08:00:00.000Z', chunkBytes,
    segments: sizes.map((bytes, i) => ({ segment: seg(i + 1), bytes })), bytes: sizes.reduce((a, b) => a + b, 0),
  };
}

/** Each segment's bytes, random. */
const poolOf = (h: ShipmentHeader): Map<string, Uint8Array> => new Map(h.segments.map((s) => [s.segment, u8(randomBytes(s.bytes))]));

/** A data source over `pool` in pieces of `piece` bytes (or the sizes `cuts` gives, in turn). */
function source(pool: Map<string, Uint8Array>, piece: number | ((i: number) => number), asked: string[] = []) {
  return function* (s: ShipmentSegment): Iterable<Uint8Array> {
    asked.push(s.segment);
    const b = pool.get(s.segment) as Uint8Array;
    let i = 0;
    for (let at = 0; at < b.length; i++) {
      const n = Math.max(1, typeof piece === 'number' ? piece : piece(i));
      yield b.slice(at, at + n);
      at += n;
    }
  };
}

async function encode(h: ShipmentHeader, key: Uint8Array, pool: Map<string, Uint8Array>, cipher: ChunkCipher = nodeCipher, piece: number | ((i: number) => number) = 1000, fromChunk?: number): Promise<Uint8Array> {
  const out: Buffer[] = [];
  for await (const c of encodeShipment(h, key, source(pool, piece), cipher, fromChunk === undefined ? {} : { fromChunk })) out.push(Buffer.from(c));
  return u8(Buffer.concat(out));
}

/** Pushes `file` in slices, collecting pieces until a fault; returns them and the fault's code. */
function read(file: Uint8Array, key: Uint8Array, slice: number | ((i: number) => number) = 777, cipher: ChunkCipher = nodeCipher): { pieces: ShipmentPiece[]; code: string; message: string; reader: ShipmentReader } {
  const reader = new ShipmentReader(key, cipher);
  const pieces: ShipmentPiece[] = [];
  try {
    let i = 0;
    for (let at = 0; at < file.length; i++) {
      const n = Math.max(1, typeof slice === 'number' ? slice : slice(i));
      pieces.push(...reader.push(file.subarray(at, at + n)));
      at += n;
    }
    reader.end();
  } catch (e) {
    if (e instanceof SyncFormatError) return { pieces, code: e.code, message: e.message, reader };
    throw e;
  }
  return { pieces, code: 'no error', message: '', reader };
}

/** The segments put back together from pieces (checking each piece against chunkPlace). */
function assemble(h: ShipmentHeader, pieces: ShipmentPiece[]): Map<string, Uint8Array> {
  const out = new Map(h.segments.map((s) => [s.segment, new Uint8Array(s.bytes)]));
  pieces.forEach((p, i) => {
    expect(p.index).toBe(i);
    const place = chunkPlace(h, p.index);
    expect({ segment: p.segment, offset: p.offset, length: p.bytes.length }).toEqual(place);
    out.get(p.segment)?.set(p.bytes, p.offset);
  });
  return out;
}

const same = (a: Map<string, Uint8Array>, b: Map<string, Uint8Array>): boolean =>
  a.size === b.size && [...a].every(([k, v]) => Buffer.from(v).equals(Buffer.from(b.get(k) ?? new Uint8Array(0))));


/** Where chunk i starts in the file, for every i, and the end. */
function boundaries(h: ShipmentHeader): number[] {
  const at = [encodeShipmentHeader(h).length];
  for (let i = 0; i < shipmentChunkCount(h); i++) at.push(at[i] + chunkPlace(h, i).length + 16);
  return at;
}

describe('bulk shipment: layout', () => {
  const key = u8(randomBytes(32));
  const h = header([5000, 4096, 300, 8192 + 1]);
  const pool = poolOf(h);

  it('counts and places chunks per segment, never across one', () => {
    expect(shipmentChunkCount(h)).toBe(2 + 1 + 1 + 3);
    expect([0, 1, 2, 3, 4, 5, 6].map((i) => chunkPlace(h, i))).toEqual([
      { segment: seg(1), offset: 0, length: 4096 }, { segment: seg(1), offset: 4096, length: 904 },
      { segment: seg(2), offset: 0, length: 4096 }, { segment: seg(3), offset: 0, length: 300 },
      { segment: seg(4), offset: 0, length: 4096 }, { segment: seg(4), offset: 4096, length: 4096 }, { segment: seg(4), offset: 8192, length: 1 },
    ]);
    for (const bad of [-1, 7, 1.5, NaN]) expect(() => chunkPlace(h, bad)).toThrow(RangeError);
  });

  it('is the spec’s layout: a clear header, then AES-256-GCM chunks under HKDF of the shipment key, checked with node:crypto alone', async () => {
    const file = await encode(h, key, pool);
    expect(file.length).toBe(shipmentLength(h));
    const H = Buffer.from(file).readUInt32BE(8);
    expect(Buffer.from(file.subarray(0, 8)).toString()).toBe('DSKESHP1');
    const json = JSON.parse(Buffer.from(file.subarray(12, 12 + H)).toString('utf8')) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['format', 'hub', 'station', 'shipment', 'createdAt', 'chunkBytes', 'segments', 'bytes']);
    expect(json).toEqual({ ...h, segments: h.segments.map((s) => ({ ...s })) });
    const digest = createHash('sha256').update(file.subarray(0, 12 + H)).digest();
    const k = Buffer.from(hkdfSync('sha256', key, digest, `dske shipment|${h.hub}|${h.station}|${h.shipment}`, 32));
    let at = 12 + H;
    const n = shipmentChunkCount(h);
    for (let i = 0; i < n; i++) {
      const { segment, offset, length } = chunkPlace(h, i);
      const nonce = Buffer.alloc(12);
      nonce.writeBigUInt64BE(BigInt(i), 4);
      const aad = Buffer.concat([digest, Buffer.from([i >>> 24, (i >>> 16) & 255, (i >>> 8) & 255, i & 255, i === n - 1 ? 1 : 0])]);
      const d = createDecipheriv('aes-256-gcm', k, nonce);
      d.setAAD(aad);
      d.setAuthTag(file.subarray(at + length, at + length + 16));
      const plain = Buffer.concat([d.update(file.subarray(at, at + length)), d.final()]);
      expect(plain.equals(Buffer.from((pool.get(segment) as Uint8Array).subarray(offset, offset + length)))).toBe(true);
      at += length + 16;
    }
    expect(at).toBe(file.length);
    // No PSRD in clear.
    expect(Buffer.from(file).indexOf(Buffer.from((pool.get(seg(1)) as Uint8Array).subarray(0, 16)))).toBe(-1);
  });

  it('reads the header back from any prefix long enough, and asks for more before', async () => {
    const enc = encodeShipmentHeader(h);
    for (let cut = 0; cut < enc.length; cut++) expect(readShipmentHeader(enc.subarray(0, cut))).toBe('need-more');
    expect(readShipmentHeader(enc)).toEqual({ header: h, headerLength: enc.length });
    const file = await encode(h, key, pool);
    expect(readShipmentHeader(file)).toEqual({ header: h, headerLength: enc.length });
    expect(code(() => readShipmentHeader(u8(Buffer.from('DSKEX'))))).toBe('bad-magic');
    expect(code(() => readShipmentHeader(u8(Buffer.from('X'))))).toBe('bad-magic');
    expect(code(() => readShipmentHeader(u8(Buffer.from('DSKEPKG1\0\0\0\x05'))))).toBe('bad-magic');
    expect(code(() => readShipmentHeader(u8(Buffer.from('DSKESHP1\0\0\0\0'))))).toBe('malformed');
    expect(code(() => readShipmentHeader(u8(Buffer.from('DSKESHP1\0\x20\0\x01'))))).toBe('malformed');
  });
});

/** A framed header of any text (for headers the encoder refuses). */
function rawHeader(text: string): Uint8Array {
  const json = Buffer.from(text, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length);
  return u8(Buffer.concat([Buffer.from('DSKESHP1'), len, json]));
}

describe('bulk shipment: the caller’s key', () => {
  it('is never wiped by the reader or the writer, even as a Node Buffer (whose slice() is a view)', async () => {
    const key = randomBytes(32);
    const kept = Buffer.from(key);
    const h = header([10_000, 5000]);
    const file = await encode(h, key, poolOf(h));
    const r = read(file, key);
    expect(r.code).toBe('no error');
    expect(key.equals(kept)).toBe(true);
    // A second reader with the same key still reads it: the first did not wipe it through a view.
    expect(read(file, key).code).toBe('no error');
  });
});

describe('bulk shipment: the header’s fields', () => {
  const ok = header([5000, 300]);
  const withHeader = (x: unknown): string => code(() => readShipmentHeader(rawHeader(JSON.stringify(x))));
  /** Fields the writer never writes (it writes the typed fields only), so only the reader can refuse them. */
  const readerOnly = new Set(['an extra field', 'a segment with an extra field']);
  const cases: [string, Record<string, unknown>, string][] = [
    ['as written', {}, 'no error'],
    ['format 2', { format: 2 }, 'unsupported-version'],
    ['an extra field', { extra: 1 }, 'malformed'],
    ['a hub', { hub: 'Hub 1' }, 'malformed'],
    ['a station', { station: 'AB'.repeat(32) }, 'malformed'],
    ['a shipment ID', { shipment: 'shp-1' }, 'malformed'],
    ['a shipment ID of a package', { shipment: `pkg-${'5a'.repeat(16)}` }, 'malformed'],
    ['a time', { createdAt: '2026-11-30 08:00' }, 'malformed'],
    ['a chunk size below 4 KiB', { chunkBytes: 2048 }, 'malformed'],
    ['a chunk size above 16 MiB', { chunkBytes: 1 << 25 }, 'malformed'],
    ['a chunk size not a power of two', { chunkBytes: 3 * 4096 }, 'malformed'],
    ['a chunk size that is text', { chunkBytes: '4096' }, 'malformed'],
    ['no segments', { segments: [], bytes: 0 }, 'malformed'],
    ['a segment twice', { segments: [ok.segments[0], ok.segments[0]], bytes: 10_000 }, 'malformed'],
    ['a segment of 0 bytes', { segments: [{ segment: seg(1), bytes: 0 }], bytes: 0 }, 'malformed'],
    ['a segment of 1.5 bytes', { segments: [{ segment: seg(1), bytes: 1.5 }], bytes: 1.5 }, 'malformed'],
    ['a segment ID', { segments: [{ segment: 'seg-1', bytes: 5 }], bytes: 5 }, 'malformed'],
    ['a segment with an extra field', { segments: [{ segment: seg(1), bytes: 5, offset: 0 }], bytes: 5 }, 'malformed'],
    ['a sum that is not the sum', { bytes: 5299 }, 'malformed'],
    ['exactly 2^32 chunks', { chunkBytes: 4096, segments: [{ segment: seg(1), bytes: 2 ** 44 }], bytes: 2 ** 44 }, 'no error'],
    ['more than 2^32 chunks', { chunkBytes: 4096, segments: [{ segment: seg(1), bytes: 2 ** 44 + 1 }], bytes: 2 ** 44 + 1 }, 'malformed'],
    ['sizes past 2^53', { segments: [{ segment: seg(1), bytes: 2 ** 52 }, { segment: seg(2), bytes: 2 ** 52 }], bytes: 2 ** 53 }, 'malformed'],
  ];
  for (const [what, change, expected] of cases) {
    it(`${expected === 'no error' ? 'takes' : 'refuses'} ${what}`, () => {
      expect(withHeader({ ...ok, ...change })).toBe(expected);
      if (expected === 'no error' || readerOnly.has(what)) expect(() => encodeShipmentHeader({ ...ok, ...change } as ShipmentHeader)).not.toThrow();
      else expect(() => encodeShipmentHeader({ ...ok, ...change } as ShipmentHeader)).toThrow(RangeError);
    });
  }

  it('takes 10,000 segments and refuses 10,001', () => {
    const many = (n: number): ShipmentHeader => header(Array.from({ length: n }, () => 1 << 20));
    expect(readShipmentHeader(encodeShipmentHeader(many(10_000)))).not.toBe('need-more');
    expect(withHeader(many(10_001))).toBe('malformed');
    expect(() => encodeShipmentHeader(many(10_001))).toThrow(RangeError);
  });

  it('refuses a header that is not a JSON object', () => {
    expect(code(() => readShipmentHeader(rawHeader('[1]')))).toBe('malformed');
    expect(code(() => readShipmentHeader(rawHeader('{"format":1,')))).toBe('malformed');
    const bad = rawHeader('{"x":"\u00e9"}');
    bad[bad.length - 3] = 0xff;
    expect(code(() => readShipmentHeader(bad))).toBe('malformed');
  });
});

describe('bulk shipment: round trips', () => {
  const key = u8(randomBytes(32));

  it('reads back what was written, whatever the chunk size, the data pieces and the push slices', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 20_000 }), { minLength: 1, maxLength: 5 }),
        fc.constantFrom(4096, 8192, 16384),
        fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        async (sizes, chunkBytes, pieces, slices, noble) => {
          const h = header(sizes, chunkBytes);
          const pool = poolOf(h);
          const file = await encode(h, key, pool, noble ? nobleCipher : nodeCipher, (i) => pieces[i % pieces.length]);
          expect(file.length).toBe(shipmentLength(h));
          const r = read(file, key, (i) => slices[i % slices.length], noble ? nodeCipher : nobleCipher);
          expect(r.code).toBe('no error');
          expect(r.reader.header).toEqual(h);
          expect(r.pieces.length).toBe(shipmentChunkCount(h));
          for (const p of r.pieces) expect(p.bytes.length).toBeLessThanOrEqual(chunkBytes);
          expect(same(assemble(h, r.pieces), pool)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('node:crypto and @noble/ciphers produce and accept the same bytes', async () => {
    const h = header([10_000, 4096, 1]);
    const pool = poolOf(h);
    const a = await encode(h, key, pool, nodeCipher, 333);
    const b = await encode(h, key, pool, nobleCipher, 4096);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(same(assemble(h, read(a, key, 5000, nobleCipher).pieces), pool)).toBe(true);
    expect(same(assemble(h, read(b, key, 5000, nodeCipher).pieces), pool)).toBe(true);
  });

  it('streams through openShipment: the header first, then every piece', async () => {
    const h = header([9000, 5]);
    const pool = poolOf(h);
    const file = await encode(h, key, pool);
    async function* slices(): AsyncIterable<Uint8Array> {
      for (let at = 0; at < file.length; at += 1500) yield file.subarray(at, at + 1500);
    }
    const kinds: string[] = [];
    const pieces: ShipmentPiece[] = [];
    for await (const e of openShipment(slices(), key, nobleCipher)) {
      kinds.push(e.kind);
      if (e.kind === 'header') expect(e.header).toEqual(h);
      else pieces.push({ segment: e.segment, offset: e.offset, bytes: e.bytes, index: e.index });
    }
    expect(kinds).toEqual(['header', 'piece', 'piece', 'piece', 'piece']);
    expect(same(assemble(h, pieces), pool)).toBe(true);
  });

  it('refuses a wrong key size, a header the reader would refuse, and data of the wrong size (RangeError)', async () => {
    const h = header([5000, 300]);
    const pool = poolOf(h);
    await expect(encode(h, new Uint8Array(16), pool)).rejects.toThrow(RangeError);
    await expect(encode({ ...h, bytes: 5301 }, key, pool)).rejects.toThrow(RangeError);
    const long = new Map(pool);
    long.set(seg(2), u8(randomBytes(301)));
    await expect(encode(h, key, long)).rejects.toThrow(/more data than segment/);
    const short = new Map(pool);
    short.set(seg(1), u8(randomBytes(4999)));
    await expect(encode(h, key, short)).rejects.toThrow(/ended after 4999 of 5000/);
    short.set(seg(1), u8(randomBytes(4096)));
    await expect(encode(h, key, short, nodeCipher, 4096)).rejects.toThrow(RangeError);
    expect(() => new ShipmentReader(new Uint8Array(31), nobleCipher)).toThrow(RangeError);
    expect(() => validShipmentPrefix(new Uint8Array(0), new Uint8Array(33), nobleCipher)).toThrow(RangeError);
  });
});

describe('bulk shipment: resuming a write', () => {
  const key = u8(randomBytes(32));
  const h = header([5000, 4096, 300, 8192 + 1], 4096);
  const pool = poolOf(h);
  const n = shipmentChunkCount(h);
  const at = boundaries(h);

  it('from chunk k yields exactly the rest of an uninterrupted write, asking only for the segments from k’s', async () => {
    const full = await encode(h, key, pool);
    for (let k = 0; k <= n; k++) {
      for (const piece of [1, 777, 4096, 100_000]) {
        const asked: string[] = [];
        const rest: Buffer[] = [];
        for await (const c of encodeShipment(h, key, source(pool, piece, asked), nobleCipher, { fromChunk: k })) rest.push(Buffer.from(c));
        const resumed = Buffer.concat([full.subarray(0, k === 0 ? 0 : at[k]), ...rest]);
        expect(resumed.equals(Buffer.from(full))).toBe(true);
        const first = k === n ? h.segments.length : h.segments.findIndex((s) => s.segment === chunkPlace(h, k).segment);
        expect(asked).toEqual(h.segments.slice(first).map((s) => s.segment));
      }
    }
  });

  it('finds the whole chunks of a torn write, and a write resumed there equals an uninterrupted one', async () => {
    const full = await encode(h, key, pool);
    for (let cut = 0; cut <= full.length; cut += cut < 400 ? 1 : 97) {
      const p = validShipmentPrefix(full.subarray(0, cut), key, nobleCipher);
      if (cut < at[0]) {
        expect(p).toBeNull();
        continue;
      }
      const chunks = at.filter((b) => b <= cut).length - 1;
      const length = chunks === 0 ? 0 : at[chunks];
      expect(p).toEqual({ header: h, chunks, length });
      const rest: Buffer[] = [];
      for await (const c of encodeShipment(h, key, source(pool, 1000), nodeCipher, { fromChunk: chunks })) rest.push(Buffer.from(c));
      expect(Buffer.concat([full.subarray(0, length), ...rest]).equals(Buffer.from(full))).toBe(true);
    }
  });

  it('stops the valid prefix at damage, leaves out bytes past the end, and finds nothing under another key', async () => {
    const full = await encode(h, key, pool);
    for (let j = 0; j < n; j++) {
      const bad = full.slice();
      bad[at[j] + 3] ^= 0x40;
      expect(validShipmentPrefix(bad, key, nobleCipher)).toEqual({ header: h, chunks: j, length: j === 0 ? 0 : at[j] });
    }
    expect(validShipmentPrefix(u8(Buffer.concat([full, randomBytes(10)])), key, nobleCipher)).toEqual({ header: h, chunks: n, length: full.length });
    expect(validShipmentPrefix(full, u8(randomBytes(32)), nobleCipher)).toEqual({ header: h, chunks: 0, length: 0 });
    const badHeader = full.slice();
    badHeader[20] ^= 0x80;
    expect(validShipmentPrefix(badHeader, key, nobleCipher)).toBeNull();
    expect(validShipmentPrefix(u8(Buffer.from('not a shipment at all')), key, nobleCipher)).toBeNull();
  });

  it('refuses a fromChunk out of range', async () => {
    for (const k of [-1, n + 1, 0.5]) await expect(encode(h, key, pool, nodeCipher, 1000, k)).rejects.toThrow(RangeError);
    expect((await encode(h, key, pool, nodeCipher, 1000, n)).length).toBe(0);
  });
});

describe('bulk shipment: alterations', () => {
  const key = u8(randomBytes(32));
  const h = header([4096 + 10, 7], 4096);
  const pool = poolOf(h);
  const at = boundaries(h);
  const n = shipmentChunkCount(h);
  let file: Uint8Array = new Uint8Array(0);
  const ready = encode(h, key, pool).then((f) => {
    file = f;
  });

  /** The chunk a byte belongs to (−1 for the header). */
  const chunkOf = (i: number): number => at.findIndex((b) => b > i) - 1;

  it('refuses every single-bit flip, with no piece from the damaged chunk on', async () => {
    await ready;
    const seen = new Set<string>();
    for (let i = 0; i < file.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = file.slice();
        bad[i] ^= 1 << bit;
        const r = read(bad, key, 1024);
        seen.add(r.code);
        const c = chunkOf(i);
        if (c >= 0) {
          expect(r.code).toBe('authentication-failed');
          expect(r.message).toContain(`Chunk ${c + 1} of ${n} (segment ${chunkPlace(h, c).segment}`);
          expect(r.pieces.map((p) => p.index)).toEqual(Array.from({ length: c }, (_, k) => k));
        } else {
          if (i < 8) expect(r.code).toBe('bad-magic');
          else if (i < 12) expect(['malformed', 'truncated', 'trailing-bytes', 'authentication-failed']).toContain(r.code);
          else expect(['malformed', 'unsupported-version', 'authentication-failed']).toContain(r.code);
          expect(r.pieces).toEqual([]);
        }
      }
    }
    expect(['authentication-failed', 'malformed', 'bad-magic', 'unsupported-version'].every((c) => seen.has(c))).toBe(true);
  });

  it('says truncated for a cut anywhere, at chunk boundaries too, with the whole chunks before it read', async () => {
    await ready;
    for (let cut = 0; cut < file.length; cut++) {
      for (const slice of [1, 1000, file.length]) {
        const r = read(file.subarray(0, cut), key, slice);
        expect(r.code).toBe('truncated');
        expect(r.pieces.length).toBe(Math.max(0, at.filter((b) => b <= cut).length - 1));
      }
    }
    expect(read(file.subarray(0, at[n - 1]), key).message).toContain(`${n - 1} of ${n} chunks`);
  });

  it('says trailing-bytes for anything after the last chunk, after yielding every piece', async () => {
    await ready;
    for (const extra of [Buffer.from([0]), randomBytes(16), randomBytes(5000)]) {
      for (const slice of [1, 333, 100_000]) {
        const r = read(u8(Buffer.concat([file, extra])), key, slice);
        expect(r.code).toBe('trailing-bytes');
        expect(r.pieces.length).toBe(n);
      }
    }
  });

  it('refuses reordered, dropped or repeated chunks', async () => {
    const g = header([3 * 4096], 4096);
    const gp = poolOf(g);
    const f = await encode(g, key, gp);
    const b = boundaries(g);
    const c = (i: number): Uint8Array => f.subarray(b[i], b[i + 1]);
    const head = f.subarray(0, b[0]);
    const variants: [Uint8Array[], number][] = [
      [[head, c(1), c(0), c(2)], 0],
      [[head, c(0), c(2), c(1)], 1],
      [[head, c(0), c(2)], 1],
      [[head, c(0), c(0), c(1)], 1],
      [[head, c(0), c(1), c(1)], 2],
      [[head, c(2), c(1), c(0)], 0],
    ];
    for (const [parts, fault] of variants) {
      const r = read(u8(Buffer.concat(parts)), key, 5000);
      expect(r.code).toBe('authentication-failed');
      expect(r.pieces.length).toBe(fault);
    }
    // Cut at the boundary before the last chunk: the next-to-last is not marked last.
    expect(read(u8(Buffer.concat([head, c(0), c(1)])), key).code).toBe('truncated');
  });

  it('refuses a header swapped under another body, and another shipment’s chunks', async () => {
    await ready;
    const other = { ...h, shipment: `shp-${'77'.repeat(16)}` };
    const otherFile = await encode(other, key, pool);
    const otherAt = boundaries(other);
    expect(otherAt[0]).toBe(at[0]);
    const swapped = u8(Buffer.concat([file.subarray(0, at[0]), otherFile.subarray(at[0])]));
    const r = read(swapped, key);
    expect(r.code).toBe('authentication-failed');
    expect(r.pieces).toEqual([]);
    const spliced = u8(Buffer.concat([file.subarray(0, at[1]), otherFile.subarray(at[1])]));
    const s = read(spliced, key);
    expect(s.code).toBe('authentication-failed');
    expect(s.pieces.length).toBe(1);
    // Same shipment, later createdAt: a different header digest, so a different key and AAD.
    const later = await encode({ ...h, createdAt: '2026-11-30T08:00:01.000Z' }, key, pool);
    expect(read(u8(Buffer.concat([later.subarray(0, at[0]), file.subarray(at[0])])), key).code).toBe('authentication-failed');
  });

  it('refuses another key, and another station’s or hub’s shipment key derivation', async () => {
    await ready;
    const r = read(file, u8(randomBytes(32)));
    expect(r.code).toBe('authentication-failed');
    expect(r.pieces).toEqual([]);
    const k2 = key.slice();
    k2[0] ^= 1;
    expect(read(file, k2).code).toBe('authentication-failed');
  });

  it('returns the pieces before a fault in the same slice and throws it next, keeps throwing it, and takes nothing after end()', async () => {
    await ready;
    const bad = file.slice();
    bad[at[1] + 1] ^= 1;
    const reader = new ShipmentReader(key, nobleCipher);
    expect(reader.push(bad).map((p) => p.index)).toEqual([0]);
    expect(reader.chunks).toBe(1);
    expect(reader.validLength).toBe(at[1]);
    expect(code(() => reader.push(new Uint8Array(1)))).toBe('authentication-failed');
    expect(code(() => reader.push(new Uint8Array(1)))).toBe('authentication-failed');
    expect(code(() => reader.end())).toBe('authentication-failed');
    const first = new ShipmentReader(key, nobleCipher);
    const worse = file.slice();
    worse[at[0] + 1] ^= 1;
    expect(code(() => first.push(worse))).toBe('authentication-failed');
    expect(first.chunks).toBe(0);
    expect(first.validLength).toBe(0);
    expect(code(() => first.end())).toBe('authentication-failed');
    const done = new ShipmentReader(key, nobleCipher);
    done.push(file);
    done.end();
    expect(() => done.push(new Uint8Array(1))).toThrow(RangeError);
  });

  it('stops openShipment at the fault, after the pieces before it', async () => {
    await ready;
    const bad = file.slice();
    bad[at[1] + 1] ^= 1;
    async function* slices(): AsyncIterable<Uint8Array> {
      yield bad;
    }
    const kinds: string[] = [];
    let fault: unknown;
    try {
      for await (const e of openShipment(slices(), key, nodeCipher)) kinds.push(e.kind === 'piece' ? `piece ${e.index}` : e.kind);
    } catch (e) {
      fault = e;
    }
    expect(kinds).toEqual(['header', 'piece 0']);
    expect(fault).toBeInstanceOf(SyncFormatError);
    expect((fault as SyncFormatError).code).toBe('authentication-failed');
    async function* cut(): AsyncIterable<Uint8Array> {
      yield file.subarray(0, file.length - 1);
    }
    await expect((async () => {
      for await (const _ of openShipment(cut(), key, nodeCipher)) { /* drain */ }
    })()).rejects.toMatchObject({ code: 'truncated' });
  });
});

describe('fuzzing the shipment reader', () => {
  const key = u8(randomBytes(32));
  const h = header([4096 + 10, 7], 4096);
  const pool = poolOf(h);
  const ready = encode(h, key, pool);

  const onlyTyped = (b: Uint8Array, slices: number[] = [b.length || 1]): void => {
    const r = read(b, key, (i) => slices[i % slices.length]);
    expect(typeof r.code).toBe('string');
    try {
      readShipmentHeader(b);
    } catch (e) {
      if (!(e instanceof SyncFormatError)) throw e;
    }
    validShipmentPrefix(b, key, nobleCipher);
  };

  it('throws nothing but SyncFormatError on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 800 }), (b) => onlyTyped(b)), { numRuns: 500 });
    const withMagic = fc.uint8Array({ maxLength: 600 }).map((b) => u8(Buffer.concat([Buffer.from('DSKESHP1'), b])));
    fc.assert(fc.property(withMagic, fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 4 }), (b, s) => onlyTyped(b, s)), { numRuns: 500 });
  });

  it('throws nothing but SyncFormatError on mutated shipments', async () => {
    const file = await ready;
    const mutation = fc.record({
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }),
      cut: fc.option(fc.nat()),
      extra: fc.uint8Array({ maxLength: 40 }),
      slices: fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 4 }),
    });
    fc.assert(
      fc.property(mutation, (m) => {
        const b = file.slice();
        for (const [i, x] of m.flips) b[i % b.length] ^= x;
        const cut = m.cut === null ? b : b.subarray(0, m.cut % (b.length + 1));
        onlyTyped(u8(Buffer.concat([cut, m.extra])), m.slices);
      }),
      { numRuns: 1000 },
    );
  });

  it('throws nothing but SyncFormatError on well-framed headers of arbitrary JSON', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => onlyTyped(rawHeader(JSON.stringify(v) ?? 'null'))), { numRuns: 300 });
    const fields = fc.record({
      segments: fc.array(fc.record({ segment: fc.oneof(fc.constant(seg(1)), fc.constant(seg(2)), fc.string()), bytes: fc.oneof(fc.integer(), fc.double()) }), { maxLength: 3 }),
      bytes: fc.oneof(fc.integer(), fc.double()),
      chunkBytes: fc.oneof(fc.integer(), fc.constant(4096)),
    });
    fc.assert(fc.property(fields, fc.uint8Array({ maxLength: 200 }), (f, body) => onlyTyped(u8(Buffer.concat([rawHeader(JSON.stringify({ ...h, ...f })), body])))), { numRuns: 300 });
  });
});

describe('bulk shipment: bounded memory', () => {
  it('reads a 64 MiB shipment in 64 KiB slices holding at most one chunk', async () => {
    const key = u8(randomBytes(32));
    const MiB = 1 << 20;
    const h = header(Array.from({ length: 64 }, () => MiB), MiB);
    const base = u8(randomBytes(MiB));
    const dataOf = (s: ShipmentSegment): Uint8Array => {
      const b = base.slice();
      b.set(Buffer.from(s.segment), 0);
      return b;
    };
    const headerBytes = encodeShipmentHeader(h).length;
    const reader = new ShipmentReader(key, nodeCipher);
    let pending = Buffer.alloc(0);
    let maxBuffered = 0;
    let pieces = 0;
    let total = 0;
    const feed = (slice: Uint8Array): void => {
      for (const p of reader.push(slice)) {
        expect(p.bytes.length).toBeLessThanOrEqual(h.chunkBytes);
        expect(p.index).toBe(pieces);
        if (p.index % 16 === 0) expect(Buffer.from(p.bytes).equals(Buffer.from(dataOf({ segment: p.segment, bytes: MiB })))).toBe(true);
        p.bytes.fill(0);
        pieces++;
      }
      maxBuffered = Math.max(maxBuffered, reader.buffered);
      expect(reader.buffered).toBeLessThanOrEqual(headerBytes + h.chunkBytes + 16);
    };
    for await (const c of encodeShipment(h, key, (s) => [dataOf(s)], nodeCipher)) {
      expect(c.length).toBeLessThanOrEqual(Math.max(headerBytes, h.chunkBytes + 16));
      total += c.length;
      pending = Buffer.concat([pending, c]);
      while (pending.length >= 64 * 1024) {
        feed(pending.subarray(0, 64 * 1024));
        pending = pending.subarray(64 * 1024);
      }
    }
    feed(pending);
    reader.end();
    expect(total).toBe(shipmentLength(h));
    expect(pieces).toBe(64);
    expect(maxBuffered).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThanOrEqual(h.chunkBytes + 16);
  }, 120_000);
});
