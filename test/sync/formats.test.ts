// The sync file formats (src-shared/sync, issue S8): the registration file and the range-report batch.
// Round trips, the confirmation code, every alteration refused with a typed error, both decoders
// fuzzed on random and mutated input (SyncFormatError only), and the batch's witness: a consistency
// proof from the checkpoint the Security Server last witnessed.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { gcm } from '@noble/ciphers/aes.js';
import { SyncFormatError } from '../../src-shared/sync/errors';
import { confirmationCode, decodeRegistration, encodeRegistration, type Registration } from '../../src-shared/sync/registration-file';
import { openReportBatch, readReportBatchHeader, sealReportBatch, verifyWitness, type RangeReport, type ReportBatchHeader } from '../../src-shared/sync/report-batch';
import type { Checkpoint } from '../../src-shared/ledger/checkpoint';
import { consistencyProof, leafHash, rootHash } from '../../src-shared/ledger/merkle';
import { code } from './support/sync-error-code';


const u8 = (b: Buffer): Uint8Array => new Uint8Array(b);
const STATION = 'ab'.repeat(32);

const registration = (report = u8(randomBytes(32))): Registration => ({
  format: 1, hub: 'hub-1.example', station: STATION, createdAt: '2026-11-29T20:00:00.000Z',
  keys: { shipment: u8(randomBytes(32)), report, ack: u8(randomBytes(32)) },
});

/** A registration file with any header text and a correct digest (for headers the encoder refuses). */
function rawRegistration(headerText: string): Uint8Array {
  const json = Buffer.from(headerText, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length);
  const body = Buffer.concat([Buffer.from('DSKEREG1'), len, json, randomBytes(96)]);
  return u8(Buffer.concat([body, createHash('sha256').update(body).digest()]));
}

describe('registration file', () => {
  const r = registration();
  const file = encodeRegistration(r);

  it('decodes to what was encoded, its length is magic + length + header + keys + digest', () => {
    const back = decodeRegistration(file);
    expect(back).toEqual(r);
    expect(file.length).toBe(8 + 4 + JSON.stringify({ format: 1, hub: r.hub, station: r.station, createdAt: r.createdAt }).length + 96 + 32);
    expect(Buffer.from(file.subarray(0, 8)).toString()).toBe('DSKEREG1');
    const digest = createHash('sha256').update(file.subarray(0, file.length - 32)).digest();
    expect(Buffer.from(file.subarray(file.length - 32)).equals(digest)).toBe(true);
    expect(Buffer.from(file.subarray(file.length - 128, file.length - 96)).equals(Buffer.from(r.keys.shipment))).toBe(true);
    expect(Buffer.from(file.subarray(file.length - 96, file.length - 64)).equals(Buffer.from(r.keys.report))).toBe(true);
  });

  it('returns keys the caller can wipe without touching the file', () => {
    const back = decodeRegistration(file);
    back.keys.report.fill(0);
    expect(decodeRegistration(file).keys.report).toEqual(r.keys.report);
  });

  it('gives a stable 8-digit confirmation code, by RFC 4226 truncation of HMAC-SHA-256 under the report key', () => {
    const c = confirmationCode(r);
    expect(c).toMatch(/^[0-9]{8}$/);
    expect(confirmationCode(r)).toBe(c);
    expect(confirmationCode(decodeRegistration(file))).toBe(c);
    const mac = createHmac('sha256', Buffer.from(r.keys.report)).update(`dske registration|${r.hub}|${r.station}|${r.createdAt}`).digest();
    const at = mac[31] & 0x0f;
    expect(c).toBe(String((mac.readUInt32BE(at) & 0x7fffffff) % 100_000_000).padStart(8, '0'));
    expect(confirmationCode({ ...r, keys: { ...r.keys, report: u8(randomBytes(32)) } })).not.toBe(c);
    expect(confirmationCode({ ...r, createdAt: '2026-11-29T20:00:01.000Z' })).not.toBe(c);
    // The other keys do not enter it.
    expect(confirmationCode({ ...r, keys: { ...r.keys, shipment: u8(randomBytes(32)) } })).toBe(c);
  });

  it('refuses to encode what it would not decode', () => {
    expect(() => encodeRegistration({ ...r, hub: 'Hub 1' })).toThrow(RangeError);
    expect(() => encodeRegistration({ ...r, station: 'AB'.repeat(32) })).toThrow(RangeError);
    expect(() => encodeRegistration({ ...r, createdAt: '2026-11-29 20:00' })).toThrow(RangeError);
    expect(() => encodeRegistration({ ...r, keys: { ...r.keys, ack: new Uint8Array(31) } })).toThrow(RangeError);
  });

  it('says truncated when cut and trailing-bytes when extended', () => {
    for (let cut = 0; cut < file.length; cut++) expect(code(() => decodeRegistration(file.subarray(0, cut)))).toBe('truncated');
    expect(code(() => decodeRegistration(Buffer.concat([file, Buffer.from([0])])))).toBe('trailing-bytes');
    expect(code(() => decodeRegistration(Buffer.concat([file, randomBytes(100)])))).toBe('trailing-bytes');
  });

  it('refuses every flipped byte', () => {
    for (let i = 0; i < file.length; i++) {
      const bad = file.slice();
      bad[i] ^= 0x01;
      const c = code(() => decodeRegistration(bad));
      if (i < 8) expect(c).toBe('bad-magic');
      else if (i < 12) expect(['truncated', 'trailing-bytes', 'malformed']).toContain(c);
      else expect(c).toBe('malformed');
    }
  });

  it('refuses other formats, fields, ids and times, even with a correct digest', () => {
    const ok = { format: 1, hub: 'hub-1', station: STATION, createdAt: '2026-11-29T20:00:00Z' };
    expect(code(() => decodeRegistration(rawRegistration(JSON.stringify(ok))))).toBe('no error');
    expect(code(() => decodeRegistration(rawRegistration(JSON.stringify({ ...ok, format: 2 }))))).toBe('unsupported-version');
    expect(code(() => decodeRegistration(rawRegistration(JSON.stringify({ ...ok, extra: 1 }))))).toBe('malformed');
    expect(code(() => decodeRegistration(rawRegistration(JSON.stringify({ ...ok, hub: '' }))))).toBe('malformed');
    expect(code(() => decodeRegistration(rawRegistration(JSON.stringify({ ...ok, station: 'ab' }))))).toBe('malformed');
    expect(code(() => decodeRegistration(rawRegistration(JSON.stringify({ ...ok, createdAt: '2026-13-45T99:00:00Z' }))))).toBe('malformed');
    expect(code(() => decodeRegistration(rawRegistration('[1]')))).toBe('malformed');
    expect(code(() => decodeRegistration(rawRegistration('{"format":1,')))).toBe('malformed');
  });
});

const checkpoint = (station = STATION): Checkpoint => ({
  format: 'dske-ledger-checkpoint', version: 1, station, treeSize: 1234,
  rootHash: '01'.repeat(32), chainHead: '02'.repeat(32), time: '2026-11-29T20:00:00.000Z', mac: '03'.repeat(32),
});

const seg = (c: string): string => `seg-${c.repeat(24)}`;

const reports = (first: number): RangeReport[] => [
  { seq: first, kind: 'initial-keys', client: 'c-000042', ranges: [{ segment: seg('1'), offset: 0, length: 64 }], bytes: 64, time: '2026-11-29T19:00:00.000Z' },
  {
    seq: first + 1, kind: 'delivered', client: 'c-000042', package: `pkg-${'ab'.repeat(16)}`,
    ranges: [{ segment: seg('1'), offset: 64, length: 1000 }, { segment: seg('2'), offset: 0, length: 24 }], bytes: 1024, tableOffset: 4096, time: '2026-11-29T19:01:00.000Z',
  },
  { seq: first + 2, kind: 'voided', client: 'c-000043', ranges: [{ segment: seg('3'), offset: 5, length: 7 }], bytes: 7, time: '2026-11-29T19:02:00.000Z' },
  { seq: first + 3, kind: 'package-lost', client: 'c-000042', package: `pkg-${'ab'.repeat(16)}`, ranges: [], bytes: 0, time: '2026-11-29T19:03:00.000Z' },
  { seq: first + 4, kind: 'revoked', client: 'c-000043', ranges: [{ segment: seg('3'), offset: 5, length: 7 }], bytes: 0, time: '2026-11-29T19:04:00.000Z' },
];

const batchHeader = (first: number, count: number): ReportBatchHeader => ({ format: 1, hub: 'hub-1', station: STATION, first, last: first + count - 1, checkpoint: checkpoint(), witness: null });

/** Seals any header and body text the way the format does, for inputs the writer refuses. */
function rawBatch(headerText: string, bodyText: string, key: Uint8Array): Uint8Array {
  const h = Buffer.from(headerText, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(h.length);
  const aad = Buffer.concat([Buffer.from('DSKERPT1'), len, h, randomBytes(12)]);
  return u8(Buffer.concat([aad, gcm(key, aad.subarray(aad.length - 12), aad).encrypt(Buffer.from(bodyText, 'utf8'))]));
}

describe('range-report batch', () => {
  const key = u8(randomBytes(32));
  const rs = reports(41);
  const h = batchHeader(41, rs.length);
  const batch = sealReportBatch(h, rs, key, u8(randomBytes(12)));

  it('opens with the report key to the same header and reports', () => {
    const opened = openReportBatch(batch, key);
    expect(opened.header).toEqual(h);
    expect(opened.reports).toEqual(rs);
    expect(readReportBatchHeader(batch)).toEqual(h);
    expect(Buffer.from(batch.subarray(0, 8)).toString()).toBe('DSKERPT1');
  });

  it('keeps the reports secret and the header in clear', () => {
    const text = Buffer.from(batch).toString('latin1');
    expect(text).toContain(STATION);
    expect(text).not.toContain('c-000042');
    expect(text).not.toContain(seg('1'));
  });

  it('refuses another key as authentication-failed', () => {
    expect(code(() => openReportBatch(batch, u8(randomBytes(32))))).toBe('authentication-failed');
    const k2 = key.slice();
    k2[31] ^= 0x80;
    expect(code(() => openReportBatch(batch, k2))).toBe('authentication-failed');
  });

  it('refuses every flipped byte', () => {
    const headerEnd = 12 + new DataView(batch.buffer, batch.byteOffset).getUint32(8, false);
    const seen = new Set<string>();
    for (let i = 0; i < batch.length; i++) {
      const bad = batch.slice();
      bad[i] ^= 0x01;
      const c = code(() => openReportBatch(bad, key));
      seen.add(c);
      if (i < 8) expect(c).toBe('bad-magic');
      else if (i < 12) expect(['truncated', 'malformed']).toContain(c);
      else if (i < headerEnd) expect(['malformed', 'unsupported-version', 'authentication-failed']).toContain(c);
      else expect(c).toBe('authentication-failed');
    }
    expect(seen.has('authentication-failed')).toBe(true);
  });

  it('refuses a cut or extended batch (truncated before the sealed body, authentication-failed inside it)', () => {
    const bodyStart = 12 + new DataView(batch.buffer, batch.byteOffset).getUint32(8, false) + 12;
    for (let cut = 0; cut < batch.length; cut++) {
      const c = code(() => openReportBatch(batch.subarray(0, cut), key));
      expect(c).toBe(cut < bodyStart + 16 ? 'truncated' : 'authentication-failed');
      if (cut < bodyStart - 12) expect(code(() => readReportBatchHeader(batch.subarray(0, cut)))).toBe('truncated');
    }
    expect(code(() => openReportBatch(Buffer.concat([batch, Buffer.from([0])]), key))).toBe('authentication-failed');
  });

  it('refuses gaps and repeats in the sequence numbers, and a count other than first … last', () => {
    const body = (list: unknown[]): string => JSON.stringify({ reports: list });
    const hj = (first: number, last: number): string => JSON.stringify({ ...batchHeader(first, 1), last });
    expect(code(() => openReportBatch(rawBatch(hj(41, 45), body(rs), key), key))).toBe('no error');
    const gap = rs.map((r, i) => (i >= 2 ? { ...r, seq: r.seq + 1 } : r));
    expect(code(() => openReportBatch(rawBatch(hj(41, 45), body(gap), key), key))).toBe('malformed');
    expect(code(() => openReportBatch(rawBatch(hj(41, 46), body(gap), key), key))).toBe('malformed');
    const repeat = rs.map((r, i) => (i === 2 ? { ...r, seq: r.seq - 1 } : r));
    expect(code(() => openReportBatch(rawBatch(hj(41, 45), body(repeat), key), key))).toBe('malformed');
    const swapped = [rs[1], rs[0], ...rs.slice(2)];
    expect(code(() => openReportBatch(rawBatch(hj(41, 45), body(swapped), key), key))).toBe('malformed');
    expect(code(() => openReportBatch(rawBatch(hj(41, 44), body(rs), key), key))).toBe('malformed');
    expect(code(() => openReportBatch(rawBatch(hj(42, 46), body(rs), key), key))).toBe('malformed');
    expect(code(() => openReportBatch(rawBatch(hj(41, 40), body([]), key), key))).toBe('malformed');
    expect(() => sealReportBatch(h, gap, key, u8(randomBytes(12)))).toThrow(RangeError);
    expect(() => sealReportBatch(batchHeader(41, 4), rs, key, u8(randomBytes(12)))).toThrow(RangeError);
  });

  it('checks every report field and the header', () => {
    const hj = JSON.stringify(h);
    const one = (change: Record<string, unknown>, drop?: string): string => {
      const list = rs.map((r) => ({ ...r })) as Record<string, unknown>[];
      Object.assign(list[1], change);
      if (drop) delete list[1][drop];
      return code(() => openReportBatch(rawBatch(hj, JSON.stringify({ reports: list }), key), key));
    };
    expect(one({})).toBe('no error');
    expect(one({}, 'package')).toBe('no error');
    expect(one({ client: 'c-42' })).toBe('malformed');
    expect(one({ package: 'pkg-1' })).toBe('malformed');
    expect(one({ package: null })).toBe('malformed');
    expect(one({ kind: 'shipped' })).toBe('malformed');
    expect(one({ bytes: 1023 })).toBe('malformed');
    expect(one({ ranges: [], bytes: 0 })).toBe('malformed');
    expect(one({ ranges: [{ segment: 'seg-1', offset: 0, length: 1024 }] })).toBe('malformed');
    expect(one({ ranges: [{ segment: seg('1'), offset: -1, length: 1024 }] })).toBe('malformed');
    expect(one({ ranges: [{ segment: seg('1'), offset: 0, length: 0 }], bytes: 0 })).toBe('malformed');
    expect(one({ ranges: [{ segment: seg('1'), offset: 0, length: 1024, extra: 1 }] })).toBe('malformed');
    expect(one({ time: 'yesterday' })).toBe('malformed');
    expect(one({ extra: 1 })).toBe('malformed');
    expect(one({}, 'time')).toBe('malformed');
    expect(one({ kind: 'package-lost', bytes: 0, tableOffset: undefined })).toBe('no error');
    expect(one({ kind: 'revoked', ranges: [], bytes: 0, tableOffset: undefined })).toBe('no error');
    expect(one({ kind: 'revoked', ranges: [], bytes: 1024, tableOffset: undefined })).toBe('malformed');
    expect(one({ kind: 'package-lost', tableOffset: undefined })).toBe('malformed');
    // A delivered report places its package in the client's table; no other kind does.
    expect(one({}, 'tableOffset')).toBe('malformed');
    expect(one({ tableOffset: -1 })).toBe('malformed');
    expect(one({ tableOffset: 1.5 })).toBe('malformed');
    expect(one({ kind: 'voided' })).toBe('malformed');
    expect(one({ kind: 'voided', tableOffset: undefined })).toBe('no error');
    const body = JSON.stringify({ reports: rs });
    const withHeader = (x: unknown): string => code(() => openReportBatch(rawBatch(JSON.stringify(x), body, key), key));
    expect(withHeader({ ...h, checkpoint: checkpoint('cd'.repeat(32)) })).toBe('malformed');
    expect(withHeader({ ...h, station: 'cd'.repeat(32), checkpoint: checkpoint('cd'.repeat(32)) })).toBe('no error');
    expect(withHeader({ ...h, checkpoint: { ...checkpoint(), mac: 'x' } })).toBe('malformed');
    expect(withHeader({ ...h, checkpoint: { ...checkpoint(), extra: 1 } })).toBe('malformed');
    expect(withHeader({ ...h, format: 2 })).toBe('unsupported-version');
    expect(withHeader({ ...h, extra: 1 })).toBe('malformed');
    expect(withHeader({ ...h, hub: 'HUB' })).toBe('malformed');
    expect(withHeader({ ...h, first: 0, last: 4 })).toBe('malformed');
    const { witness: _w, ...noWitness } = h;
    expect(withHeader(noWitness)).toBe('malformed');
    const w = (witness: unknown): string => withHeader({ ...h, witness });
    expect(w({ from: 1, proof: [] })).toBe('no error');
    expect(w({ from: 1234, proof: [] })).toBe('no error');
    expect(w({ from: 1000, proof: Array.from({ length: 64 }, () => 'ee'.repeat(32)) })).toBe('no error');
    expect(w({ from: 0, proof: [] })).toBe('malformed');
    expect(w({ from: 1235, proof: [] })).toBe('malformed');
    expect(w({ from: 1.5, proof: [] })).toBe('malformed');
    expect(w({ from: '1', proof: [] })).toBe('malformed');
    expect(w({ from: 1000, proof: Array.from({ length: 65 }, () => 'ee'.repeat(32)) })).toBe('malformed');
    expect(w({ from: 1000, proof: ['EE'.repeat(32)] })).toBe('malformed');
    expect(w({ from: 1000, proof: ['ee'.repeat(31)] })).toBe('malformed');
    expect(w({ from: 1000, proof: [1] })).toBe('malformed');
    expect(w({ from: 1000, proof: 'ee' })).toBe('malformed');
    expect(w({ from: 1000 })).toBe('malformed');
    expect(w({ from: 1000, proof: [], extra: 1 })).toBe('malformed');
    expect(w([])).toBe('malformed');
    expect(w(1000)).toBe('malformed');
    expect(code(() => openReportBatch(rawBatch(JSON.stringify(h), '{"reports":[],"x":1}', key), key))).toBe('malformed');
    expect(code(() => openReportBatch(rawBatch(JSON.stringify(h), '\u00ff\u00fe', key), key))).toBe('malformed');
  });

  it('refuses a wrong key or nonce size as a programming error', () => {
    expect(() => sealReportBatch(h, rs, new Uint8Array(16), u8(randomBytes(12)))).toThrow(RangeError);
    expect(() => sealReportBatch(h, rs, key, new Uint8Array(8))).toThrow(RangeError);
    expect(() => openReportBatch(batch, new Uint8Array(16))).toThrow(RangeError);
  });
});

describe('the batch’s witness (an RFC 9162 consistency proof from the checkpoint last witnessed)', () => {
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  const ledger = Array.from({ length: 300 }, () => leafHash(u8(randomBytes(32))));
  const at = (leaves: Uint8Array[], n: number): Checkpoint => ({ ...checkpoint(), treeSize: n, rootHash: hex(rootHash(leaves, n)), chainHead: '02'.repeat(32) });
  const witnessed = (leaves: Uint8Array[], n: number) => ({ treeSize: n, rootHash: hex(rootHash(leaves, n)) });
  /** The header a station with `leaves` seals at size n, proving from size m. */
  const sealed = (leaves: Uint8Array[], m: number, n = leaves.length): ReportBatchHeader => ({
    ...batchHeader(1, 5), checkpoint: at(leaves, n), witness: { from: m, proof: consistencyProof(leaves, m, n).map(hex) },
  });
  const key = u8(randomBytes(32));

  it('travels in the clear header and comes back as it went', () => {
    const h = sealed(ledger, 123);
    const b = sealReportBatch(h, reports(1), key, u8(randomBytes(12)));
    expect(readReportBatchHeader(b)).toEqual(h);
    expect(openReportBatch(b, key).header).toEqual(h);
    expect(h.witness?.proof.length).toBeGreaterThan(0);
  });

  it('verifies from every earlier size of a ledger that only grew, and from the same size', () => {
    for (let m = 1; m <= ledger.length; m++) {
      expect(verifyWitness(sealed(ledger, m), witnessed(ledger, m))).toEqual({ ok: true });
    }
    for (const n of [1, 2, 64, 65, 127, 128, 200]) {
      for (const m of [1, Math.max(1, n >> 1), n]) expect(verifyWitness(sealed(ledger, m, n), witnessed(ledger, m))).toEqual({ ok: true });
    }
  });

  it('lets anything through while the server has witnessed nothing', () => {
    expect(verifyWitness(batchHeader(1, 5), null)).toEqual({ ok: true });
    expect(verifyWitness({ ...sealed(ledger, 10), witness: { from: 10, proof: [] } }, null)).toEqual({ ok: true });
  });

  it('says not-extending when the ledger was rewritten below the witnessed checkpoint', () => {
    for (const changed of [0, 49, 99]) {
      const rewritten = ledger.slice();
      rewritten[changed] = leafHash(u8(randomBytes(32)));
      const v = verifyWitness(sealed(rewritten, 100), witnessed(ledger, 100));
      expect(v.ok).toBe(false);
      if (!v.ok) {
        expect(v.code).toBe('not-extending');
        expect(v.reason).toContain('rewritten');
      }
    }
    // A change above the witnessed size is growth, not a rewrite.
    const grown = ledger.slice();
    grown[150] = leafHash(u8(randomBytes(32)));
    expect(verifyWitness(sealed(grown, 100), witnessed(ledger, 100))).toEqual({ ok: true });
    // Equal sizes need equal roots.
    expect(verifyWitness(sealed(grown, 300), witnessed(ledger, 300))).toMatchObject({ ok: false, code: 'not-extending' });
  });

  it('says not-extending for a proof that is altered, cut, extended or for another size', () => {
    const h = sealed(ledger, 100);
    const w = witnessed(ledger, 100);
    const proof = h.witness?.proof ?? [];
    const withProof = (p: string[]): ReportBatchHeader => ({ ...h, witness: { from: 100, proof: p } });
    for (let i = 0; i < proof.length; i++) {
      const p = [...proof];
      p[i] = (p[i][0] === '0' ? '1' : '0') + p[i].slice(1);
      expect(verifyWitness(withProof(p), w)).toMatchObject({ ok: false, code: 'not-extending' });
    }
    expect(verifyWitness(withProof(proof.slice(1)), w)).toMatchObject({ ok: false, code: 'not-extending' });
    expect(verifyWitness(withProof(proof.slice(0, -1)), w)).toMatchObject({ ok: false, code: 'not-extending' });
    expect(verifyWitness(withProof([...proof, 'ee'.repeat(32)]), w)).toMatchObject({ ok: false, code: 'not-extending' });
    expect(verifyWitness(withProof([]), w)).toMatchObject({ ok: false, code: 'not-extending' });
    expect(verifyWitness({ ...h, checkpoint: at(ledger, 299) }, w)).toMatchObject({ ok: false, code: 'not-extending' });
    expect(verifyWitness({ ...h, checkpoint: { ...h.checkpoint, rootHash: w.rootHash } }, w)).toMatchObject({ ok: false, code: 'not-extending' });
    expect(verifyWitness(h, { ...w, rootHash: hex(rootHash(ledger, 101)) })).toMatchObject({ ok: false, code: 'not-extending' });
  });

  it('says stale-witness when the proof starts anywhere but the witnessed size, or is missing', () => {
    for (const from of [1, 99, 101, 200, 300]) {
      const v = verifyWitness(sealed(ledger, from), witnessed(ledger, 100));
      expect(v).toMatchObject({ ok: false, code: 'stale-witness' });
    }
    expect(verifyWitness(batchHeader(1, 5), witnessed(ledger, 100))).toMatchObject({ ok: false, code: 'stale-witness' });
  });

  it('refuses a witnessed checkpoint that is not one as the caller’s error', () => {
    const h = sealed(ledger, 100);
    expect(() => verifyWitness(h, { treeSize: 0, rootHash: '00'.repeat(32) })).toThrow(RangeError);
    expect(() => verifyWitness(h, { treeSize: 100, rootHash: 'xyz' })).toThrow(RangeError);
  });
});

describe('fuzzing the sync decoders', () => {
  const key = u8(randomBytes(32));
  const reg = encodeRegistration(registration());
  const batch = sealReportBatch(batchHeader(7, 5), reports(7), key, u8(randomBytes(12)));
  const witnessed = sealReportBatch({ ...batchHeader(7, 5), witness: { from: 1000, proof: ['0f'.repeat(32), 'f0'.repeat(32)] } }, reports(7), key, u8(randomBytes(12)));
  const decoders: ((b: Uint8Array) => unknown)[] = [decodeRegistration, readReportBatchHeader, (b) => openReportBatch(b, key)];
  const onlyTyped = (b: Uint8Array): void => {
    for (const d of decoders) {
      try {
        d(b);
      } catch (e) {
        if (!(e instanceof SyncFormatError)) throw e;
      }
    }
  };

  it('throws nothing but SyncFormatError on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 800 }), (b) => onlyTyped(b)), { numRuns: 500 });
    const withMagic = (magic: string) => fc.uint8Array({ maxLength: 600 }).map((b) => u8(Buffer.concat([Buffer.from(magic), b])));
    fc.assert(fc.property(fc.oneof(withMagic('DSKEREG1'), withMagic('DSKERPT1')), (b) => onlyTyped(b)), { numRuns: 500 });
  });

  it('throws nothing but SyncFormatError on mutated valid files', () => {
    const mutation = fc.record({
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }),
      cut: fc.option(fc.nat()),
      extra: fc.uint8Array({ maxLength: 40 }),
    });
    fc.assert(
      fc.property(fc.constantFrom(reg, batch, witnessed), mutation, (file, m) => {
        const b = file.slice();
        for (const [at, x] of m.flips) b[at % b.length] ^= x;
        const cut = m.cut === null ? b : b.subarray(0, m.cut % (b.length + 1));
        onlyTyped(u8(Buffer.concat([cut, m.extra])));
      }),
      { numRuns: 1000 },
    );
  });

  it('throws nothing but SyncFormatError on well-sealed batches of arbitrary JSON', () => {
    const h = JSON.stringify(batchHeader(1, 1));
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (v, wrap) => {
        const b = rawBatch(h, JSON.stringify(wrap ? { reports: [v] } : v) ?? 'null', key);
        expect(code(() => openReportBatch(b, key))).not.toBe('authentication-failed');
        onlyTyped(b);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        onlyTyped(rawBatch(JSON.stringify(v) ?? 'null', '{"reports":[]}', key));
        onlyTyped(rawRegistration(JSON.stringify(v) ?? 'null'));
      }),
      { numRuns: 300 },
    );
  });
});
