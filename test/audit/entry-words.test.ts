// Every entry type of the catalogue in plain words (src-shared/ledger/entry-words.ts): one realistic
// entry per type, checked against the catalogue first, then its sentence — a sentence (not the fallback),
// naming the entry's identifiers and people, with no "undefined" or "[object" left in it. Unknown types
// and data of the wrong shape fall back to the type and its keys.
import { describe, expect, it } from 'vitest';
import { cataloguedTypes, validateEntry, type CataloguedType, type EntryDataOf } from '../../src-shared/ledger/catalogue';
import { entryInWords, factsLine, grouped, hasWords, sizeInWords } from '../../src-shared/ledger/entry-words';

const actor = { host: 'electron', operator: 'Otto Operator', approver: 'Sam Second' };
const seg = 'seg-0123456789abcdef01234567';
const job = 'job-0123456789abcdef';
const alc = 'alc-0123456789abcdef';
const pkg = 'pkg-0123456789abcdef0123456789abcdef';
const shp = 'shp-0123456789abcdef0123456789abcdef';
const app = 'app-0123456789abcdef';
const blk = 'blk-0123456789abcdef';
const h64 = 'ab'.repeat(32);
const usb = { kind: 'usb' as const, target: '/dev/sdb', serial: '4C530001' };

/** One entry of every type, as the station writes them; with the words each sentence must hold. */
const samples: { readonly [T in CataloguedType]: readonly [EntryDataOf<T>, ...string[]] } = {
  'station.created': [{ masterKey: { description: 'a key file, 0600', check: 'AAAA', digest: h64 } }, 'created', 'a key file'],
  'station.sources-configured': [{ sources: ['os', 'hwrng'], actor }, 'os, hwrng', 'Otto Operator'],
  'ledger.torn-tail-removed': [{ bytes: 17 }, '17 bytes'],
  'operator.created': [{ name: 'Ava Auditor', roles: ['auditor'], actor }, 'Ava Auditor', 'auditor'],
  'operator.disabled': [{ name: 'Ava Auditor', actor }, 'disabled', 'Ava Auditor'],
  'operator.enabled': [{ name: 'Ava Auditor', actor }, 'enabled'],
  'operator.passphrase-set': [{ name: 'Ava Auditor', reason: 'reset by an administrator', actor }, 'reset by an administrator'],
  'operator.sign-in-refused': [{ name: 'Mallory', reason: 'wrong passphrase', failures: 3, host: 'electron' }, 'Mallory', 'wrong passphrase', '3 failures'],
  'operator.locked-out': [{ name: 'Mallory', reason: 'too many failures', failures: 5, host: 'electron', until: '2026-11-29T10:15:00Z' }, '2026-11-29T10:15:00Z', '5 failed sign-ins'],
  'job.started': [{ job, kind: 'generate', title: 'Generating 4 GiB of PSRD', resources: ['pool'], resumable: true, actor }, job, 'Generating 4 GiB of PSRD'],
  'job.ended': [{ job, outcome: 'cancelled' }, job, 'cancelled'],
  'job.interrupted': [{ job, kind: 'generate', resolution: 'resumable' }, 'can be resumed'],
  'pool.generation-started': [{ job, bytes: 4 * 2 ** 30, sources: ['os'], label: 'computational', actor }, '4 GiB', 'computational'],
  'pool.segment-added': [{ segment: seg, bytes: 2 ** 26, chunkBytes: 2 ** 20, job, label: 'information-theoretic', sources: ['hwrng'], provenance: { conditioner: 'hmac-sha512' } }, seg, '64 MiB', 'information-theoretic'],
  'pool.generation-finished': [{ job, bytes: 2 ** 27, segments: 2 }, '128 MiB', '2 segments'],
  'pool.generation-failed': [{ job, bytesDone: 2 ** 26, bytesRemaining: 2 ** 26, segments: 1, code: 'disk-full', reason: 'The disk filled up', notRemoved: [] }, 'disk-full', 'The disk filled up'],
  'pool.generation-interrupted': [{ job, bytesDone: 1536, bytesRemaining: 2048 }, '1.50 KiB (1,536 bytes)', '2 KiB'],
  'pool.partial-segment-discarded': [{ segment: seg, job, reason: 'the station stopped' }, seg, 'the station stopped'],
  'pool.segment-lost': [{ segment: seg, bytes: 1024, reason: 'its file is gone' }, 'lost', 'its file is gone'],
  'pool.segment-destroyed': [{ segment: seg, bytes: 1024, reason: 'past its refresh age', method: 'crypto-erase', actor }, 'crypto-erase', 'past its refresh age'],
  'pool.range-destroyed': [{ segment: seg, offset: 1048576, length: 4096, reason: 'delivered', method: 'crypto-erase', allocation: alc }, '1,048,576', alc, '4 KiB'],
  'pool.destruction-done': [{ entries: [4, 5, 6] }, '3 range destructions'],
  'pool.scrubbed': [{ segments: 3, chunks: 192, bytes: 3 * 2 ** 26, damaged: [], damagedCount: 0, actor }, 'nothing damaged', '192 chunks'],
  'pool.scrub-stopped': [{ segments: 1, chunks: 64, bytes: 2 ** 26, damaged: [{ segment: seg, chunk: 3, offset: 3 * 2 ** 20, reason: 'tag mismatch' }], damagedCount: 1, code: 'cancelled' }, 'cancelled', '1 chunk damaged'],
  'entropy.source-failed': [
    { source: 'file:/dev/stuck', label: 'stuck device', device: 'file:/dev/stuck', deviceKeys: ['file:/dev/stuck'], test: 'rct', code: 'rct-failed', reason: 'the same sample 41 times', sampleIndex: 1200, droppedBytes: 4096 },
    'rct', 'latched FAILED', 'file:/dev/stuck',
  ],
  'entropy.source-warning': [{ source: 'hwrng', label: 'Hardware RNG', warnings: ['slow', 'warm'] }, 'slow; warm'],
  'entropy.source-acknowledged': [{ source: 'file:/dev/stuck', device: 'file:/dev/stuck', latchedAs: 'file:/dev/stuck', actor, failureSeq: 12 }, 'Sam Second', 'acknowledged'],
  'allocation.reserved': [{ allocation: alc, client: 'c-000042', purpose: 'psrd', package: pkg, ranges: [{ segment: seg, offset: 0, length: 2 ** 20 }], bytes: 2 ** 20, medium: usb, actor }, 'c-000042', '1 MiB', 'PSRD', '/dev/sdb'],
  'allocation.written': [{ allocation: alc, packageBytes: 2 ** 20 + 512, medium: usb }, alc, '1,049,088 bytes'],
  'allocation.verified': [{ allocation: alc, method: 'read back by value' }, 'read back by value'],
  'allocation.delivered': [{ allocation: alc, report: 1234 }, 'delivered', '#1,234'],
  'allocation.sheet-destroyed': [{ allocation: alc, target: '/run/user/1000/s.pdf', found: true, actor }, 'overwritten and removed'],
  'allocation.voided': [{ allocation: alc, code: 'medium-unplugged', reason: 'the stick was pulled', report: 7, actor }, 'voided', 'medium-unplugged'],
  'client.created': [{ client: 'c-000042', allocation: alc, checkValue: '0a1b2c3d', actor }, 'c-000042', '0a1b2c3d'],
  'client.suspended': [{ client: 'c-000042', reason: 'badge lost', actor }, 'suspended', 'badge lost'],
  'client.resumed': [{ client: 'c-000042', actor }, 'resumed'],
  'client.revoked': [{ client: 'c-000042', reason: 'left', report: 9, actor }, 'revoked', '#9'],
  'client.package-lost': [{ client: 'c-000042', package: pkg, reason: 'stick lost', report: 10, actor }, pkg, 'stick lost'],
  'client.initial-keys-exported': [{ client: 'c-000042', medium: { kind: 'file', target: '/media/k.keys' }, actor }, '/media/k.keys'],
  'sync.registered': [{ station: h64, hub: 'hub-one', createdAt: '2026-11-29T10:00:00Z', keysCheck: '01234567', actor }, 'hub-one', '01234567'],
  'sync.exported': [{ first: 1, last: 12, reports: 12, digest: h64, path: '/media/r.dskerpt', actor }, '#1 to #12', '/media/r.dskerpt'],
  'sync.shipment-started': [{ shipment: shp, segments: [seg], bytes: 2 ** 26, chunkBytes: 2 ** 20, createdAt: '2026-11-29T10:00:00Z', path: '/media/p.dskeshp', actor }, shp, '1 segment'],
  'sync.shipment-written': [{ shipment: shp, fileBytes: 2 ** 26 + 4096, digest: h64, path: '/media/p.dskeshp' }, 'written'],
  'sync.shipment-acknowledged': [{ shipment: shp, segments: 1, bytes: 2 ** 26, serverTime: '2026-11-29T10:00:00Z', via: 'file' }, 'acknowledged', shp],
  'sync.acknowledged': [{ appliedUpTo: 12, witnessedTreeSize: 400, refusedSeq: 13, refusedCode: 'not-in-pool', refusedReason: 'bytes already given', serverTime: '2026-11-29T10:00:00Z', via: 'online' }, '#12', 'not-in-pool', '400 ledger entries'],
  'sync.acknowledgement-refused': [{ kind: 'reports', reason: 'witnessed another ledger', via: 'file' }, 'refused', 'witnessed another ledger'],
  'sync.shipment-abandoned': [{ shipment: shp, reason: 'the stick died', actor }, 'abandoned', 'the stick died'],
  'enrolment.applied': [{ application: app, medium: 'usb', nameHmac: h64, actor }, app],
  'enrolment.identity-checked': [{ application: app, document: 'passport', last4: '1234', numberHmac: h64, checks: ['photo-matches', 'not-expired'], outcome: 'accepted', checkedBy: 'Dee Desk', actor }, 'passport ending 1234', 'accepted', 'Dee Desk'],
  'enrolment.bulk-started': [{ bulk: blk, digest: h64, rows: 200, actor }, '200 rows'],
  'enrolment.bulk-row': [{ bulk: blk, row: 17, application: app }, 'Row 17'],
  'enrolment.bulk-finished': [{ bulk: blk, enrolled: 198, refused: 1, failed: 1, actor }, '198 enrolled'],
  'enrolment.registered': [{ application: app, client: 'c-000042', actor }, 'c-000042'],
  'enrolment.keys-handed-over': [{ application: app, client: 'c-000042', medium: { kind: 'file', target: '/media/envelope/c-000042.keys' }, actor }, 'handed over', '/media/envelope/c-000042.keys'],
  'enrolment.present': [{ application: app, client: 'c-000042', actor }, 'present'],
  'enrolment.receipt-issued': [{ application: app, client: 'c-000042', package: pkg, receipt: 'rcp-0123456789abcdef', hmac: h64, actor }, 'rcp-0123456789abcdef'],
  'enrolment.personal-data-erased': [{ application: app, client: 'c-000042', actor }, 'erased'],
  'enrolment.withdrawn': [{ application: app, reason: 'changed their mind', actor }, 'withdrawn', 'changed their mind'],
  'delivery.range-delivered': [
    { client: 'c-000042', package: 'pkg-1', segment: seg, offset: 4096, length: 4194304, medium: 'usb', drive: { vendorId: '0781', productId: '5583', serial: '4C530001', sizeBytes: 31914983424 }, verified: 'read back', actor },
    '4 MiB', 'c-000042', '4C530001',
  ],
};

describe('every entry type in plain words', () => {
  it('has a sample for every catalogued type and no sample for a type it does not know', () => {
    expect(Object.keys(samples).sort()).toEqual([...cataloguedTypes].sort());
  });

  for (const type of cataloguedTypes) {
    it(type, () => {
      const [data, ...mustSay] = samples[type];
      expect(validateEntry(type, data)).toEqual({ ok: true });
      expect(hasWords(type)).toBe(true);
      const words = entryInWords({ type, data });
      expect(words).toMatch(/^[A-Z0-9].*\.$/s);
      expect(words).not.toMatch(/undefined|\[object|NaN|not an entry the catalogue/);
      expect(words.startsWith(`${type}:`)).toBe(false);
      for (const w of mustSay) expect(words).toContain(w);
      // The actor, wherever there is one, is named (as recorded: never from anything but the entry).
      if ('actor' in data && (data as { actor?: { operator?: string } }).actor?.operator) expect(words).toContain('Otto Operator');
    });
  }
});

describe('the fallback', () => {
  it('names an unknown type and its keys', () => {
    expect(entryInWords({ type: 'future.thing', data: { alpha: 1, beta: 'x' } })).toBe('future.thing (not an entry the catalogue can read): alpha, beta.');
    expect(entryInWords({ type: 'test.note', data: { n: 1 } })).toBe('test.note: n.');
  });

  it('does not guess at data of the wrong shape', () => {
    expect(entryInWords({ type: 'job.ended', data: { job: 'job-1', outcome: 'exploded' } })).toBe('job.ended (not an entry the catalogue can read): job, outcome.');
  });
});

describe('numbers and sizes', () => {
  it('groups digits and gives sizes exactly', () => {
    expect(grouped(1234567)).toBe('1,234,567');
    expect(grouped(999)).toBe('999');
    expect(grouped(-1000)).toBe('-1,000');
    expect(sizeInWords(1)).toBe('1 byte');
    expect(sizeInWords(1023)).toBe('1,023 bytes');
    expect(sizeInWords(2 * 2 ** 20)).toBe('2 MiB');
    expect(sizeInWords(2 ** 20 + 1)).toBe('1.00 MiB (1,048,577 bytes)');
    expect(factsLine({ bytes: 2097152, sources: ['os'] })).toBe('bytes: 2097152 · sources: ["os"]');
  });
});
