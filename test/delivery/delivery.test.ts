// Allocation and delivery through the core (issue S6): a client created with initial keys from the
// pool, a package delivered to a file, verified, the station's copy destroyed, the report queued; and
// each refusal changing nothing.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPackage } from '../../src-shared/psrd/package-reader';
import { nobleCipher } from '../../src-shared/psrd/package-cipher';
import { FileCarrier } from '../../hardware/carriers/file';
import { allocate } from '../../src-main/station/delivery/allocate';
import { clientPackageStream } from '../../src-main/station/delivery/package-stream';
import { clientParts } from '../../src-main/station/clients/handlers';
import { OP, openTestStation, tempDir, type TestStation } from '../support/station';
import { enrolClient, keysIn } from '../support/enrol';
import { refusal as failure } from '../support/refusal';
import { shipWholePool } from '../support/server';

let ts: TestStation;
let out: string;
const h = (): TestStation['station']['handlers'] => ts.station.handlers;

beforeEach(async () => {
  ts = openTestStation();
  out = tempDir('dske-deliver-out-');
  await h().pool.generate({ bytes: 1 << 20, sources: ['os'] }, OP);
  await shipWholePool(ts.station);
});
afterEach(async () => ts.cleanup());

describe('delivery to a file', () => {
  it('creates a client, delivers a verified package, destroys the station copy and queues the report', async () => {
    const client = await enrolClient(ts.station, OP, { name: 'Ada Example', keysDir: join(out, 'keys') });
    expect(client.client).toBe('c-000001');
    expect((await h().clients.show({ client: client.client }, OP)).name).toBe('Ada Example');
    const before = ts.station.pool.status().unallocatedBytes;
    const r = await h().delivery.deliver({ client: client.client, bytes: 100_000, to: `file:${join(out, 'ada.pkg')}` }, OP);
    expect(r.bytes).toBe(100_000);
    expect(ts.station.pool.status().unallocatedBytes).toBe(before - 100_000);
    // The package opens with the client's initial keys (as exported on their own channel).
    const pkg = readFileSync(join(out, 'ada.pkg'));
    expect(pkg.length).toBe(r.packageBytes);
    const opened = openPackage(pkg, keysIn(readFileSync(client.keysFile)), nobleCipher);
    expect(opened.header.client).toBe('c-000001');
    expect(opened.psrd.length).toBe(100_000);
    // The station can no longer read what it delivered; reconcile, deep, finds nothing wrong.
    for (const range of r.ranges) expect(() => [...ts.station.pool.read(range.segment, range.offset, range.length)]).toThrow(/destroyed/);
    const rec = await h().delivery.reconcile({ deep: true }, OP);
    expect(rec.problems).toEqual([]);
    expect(rec).toMatchObject({ ok: true, deliveries: 2, voided: 0, bytesDelivered: 100_064, reportsQueued: 2 });
    const sync = await h().sync.status({}, OP);
    expect(sync.waiting.map((w) => w.kind)).toEqual(['initial-keys', 'delivered']);
    // No name in the ledger: only its HMAC.
    expect(ts.station.ledger.entries().filter((e) => JSON.stringify(e.data).includes('Ada Example')).map((e) => e.type)).toEqual([]);
    // After a restart the record is the same, and recovery has nothing to do.
    const n = ts.station.ledger.entries().length;
    await ts.reopen();
    expect((await ts.station.handlers.delivery.reconcile({ deep: true }, OP)).ok).toBe(true);
    expect(ts.station.ledger.entries().length).toBe(n);
  });

  it('delivers the exact pool bytes it reserved, and never the same byte twice', async () => {
    const { client } = await enrolClient(ts.station, OP, { keysDir: join(out, 'keys') });
    const a = await h().delivery.deliver({ client, bytes: 300_000, to: `file:${join(out, 'a.pkg')}` }, OP);
    const b = await h().delivery.deliver({ client, bytes: 300_000, to: `file:${join(out, 'b.pkg')}` }, OP);
    const key = (x: { segment: string; offset: number; length: number }): string => `${x.segment}:${x.offset}`;
    const seen = new Set(a.ranges.map(key));
    for (const r of b.ranges) expect(seen.has(key(r))).toBe(false);
    expect((await h().delivery.reconcile({ deep: true }, OP)).ok).toBe(true);
  });

  it('refuses a suspended client, an unknown client, an existing file and a relative path, changing nothing', async () => {
    const { client } = await enrolClient(ts.station, OP, { keysDir: join(out, 'keys') });
    writeFileSync(join(out, 'taken.pkg'), 'x');
    const n = (): number => ts.station.ledger.entries().filter((e) => e.type.startsWith('allocation.')).length;
    const before = n();
    expect((await failure(h().delivery.deliver({ client, bytes: 1000, to: `file:${join(out, 'taken.pkg')}` }, OP))).code).toBe('medium-not-allowed');
    expect((await failure(h().delivery.deliver({ client, bytes: 1000, to: 'file:relative.pkg' }, OP))).code).toBe('bad-request');
    expect((await failure(h().delivery.deliver({ client: 'c-999999', bytes: 1000, to: `file:${join(out, 'x.pkg')}` }, OP))).code).toBe('unknown-client');
    expect((await failure(h().delivery.deliver({ client, bytes: 10 << 20, to: `file:${join(out, 'big.pkg')}` }, OP))).code).toBe('pool-insufficient');
    await h().clients.suspend({ client, reason: 'badge lost' }, OP);
    expect((await failure(h().delivery.deliver({ client, bytes: 1000, to: `file:${join(out, 'y.pkg')}` }, OP))).code).toBe('client-suspended');
    expect(n()).toBe(before);
    expect(existsSync(join(out, 'y.pkg'))).toBe(false);
    await h().clients.resume({ client }, OP);
    await h().delivery.deliver({ client, bytes: 1000, to: `file:${join(out, 'y.pkg')}` }, OP);
  });

  it('a byte flipped on the medium before verification voids the range: destroyed here, reported voided, never allocated again', async () => {
    const { client } = await enrolClient(ts.station, OP, { keysDir: join(out, 'keys') });
    const core = clientParts(ts.station.core);
    const path = join(out, 'flip.pkg');
    const keys = Buffer.alloc(64, 7);
    const err = await failure(allocate(core, {
      client, purpose: 'psrd', bytes: 50_000, sink: FileCarrier.open(path), actor: { host: 'test' }, signal: new AbortController().signal,
      stream: (ranges, packageId) => clientPackageStream(ts.station.pool, { hub: 'hub', client, packageId, tableOffset: 0 }, ranges, keys),
      afterPhase: (phase) => {
        if (phase !== 'write') return;
        const fd = openSync(path, 'r+');
        writeSync(fd, Buffer.from([0x55]), 0, 1, 5000);
        closeSync(fd);
      },
    }));
    expect(err.code).toBe('verify-failed');
    const voided = [...ts.station.core.allocations.byId.values()].find((a) => a.phase === 'voided')!;
    expect(voided.code).toBe('verify-failed');
    const rec = await h().delivery.reconcile({ deep: true }, OP);
    expect(rec).toMatchObject({ ok: true, voided: 1, bytesVoided: 50_000 });
    expect((await h().sync.status({}, OP)).waiting.map((w) => w.kind)).toEqual(['initial-keys', 'voided']);
    const next = await h().delivery.deliver({ client, bytes: 50_000, to: `file:${join(out, 'next.pkg')}` }, OP);
    for (const r of next.ranges) for (const v of voided.ranges) expect(r.segment === v.segment && r.offset < v.offset + v.length && v.offset < r.offset + r.length).toBe(false);
  });

  it('a second delivery while one runs is refused as busy and leaves no lock; cancelling one mid-write voids its range', async () => {
    const { client } = await enrolClient(ts.station, OP, { keysDir: join(out, 'keys') });
    const first = h().delivery.deliver({ client, bytes: 600_000, to: `file:${join(out, 'first.pkg')}` }, OP);
    expect((await failure(h().delivery.deliver({ client, bytes: 1000, to: `file:${join(out, 'second.pkg')}` }, OP))).code).toBe('busy');
    await first;
    await h().delivery.deliver({ client, bytes: 1000, to: `file:${join(out, 'second.pkg')}` }, OP);
    // Cancel from the first write progress: the job stops, the range is voided, reconcile is clean.
    const off = ts.station.events.on('delivery.progress', (p) => {
      if (p.phase === 'write') ts.station.jobs.cancel(p.job);
    });
    const err = await failure(h().delivery.deliver({ client, bytes: 300_000, to: `file:${join(out, 'cancelled.pkg')}` }, OP));
    off();
    expect(err.code).toBe('cancelled');
    expect(existsSync(join(out, 'cancelled.pkg'))).toBe(false);
    const voided = [...ts.station.core.allocations.byId.values()].filter((a) => a.phase === 'voided');
    expect(voided.map((a) => a.code)).toEqual(['cancelled']);
    expect((await h().delivery.reconcile({ deep: true }, OP)).ok).toBe(true);
  });

  it('refuses a folder that does not exist, before reserving anything', async () => {
    const { client } = await enrolClient(ts.station, OP, { keysDir: join(out, 'keys') });
    const n = ts.station.ledger.entries().filter((e) => e.type === 'allocation.reserved').length;
    const err = await failure(h().delivery.deliver({ client, bytes: 1000, to: `file:${join(out, 'no-such-folder', 'x.pkg')}` }, OP));
    expect(err.code).toMatch(/^medium-/);
    expect(ts.station.ledger.entries().filter((e) => e.type === 'allocation.reserved').length).toBe(n);
  });

  it('someone deletes a client\'s keystore file: delivery is refused in plain words, and reconcile names it', async () => {
    const { client } = await enrolClient(ts.station, OP, { keysDir: join(out, 'keys') });
    rmSync(ts.station.core.keystore.path(client));
    const err = await failure(h().delivery.deliver({ client, bytes: 1000, to: `file:${join(out, 'k.pkg')}` }, OP));
    expect(err.code).toBe('keystore');
    expect(err.message).toMatch(new RegExp(client));
    const rec = await h().delivery.reconcile({}, OP);
    expect(rec.ok).toBe(false);
    expect(rec.problems.map((p) => p.kind)).toEqual(['keystore']);
  });

  it('attacks on the pool\'s files: a cut key table, a flipped chunk, a missing file — typed, voided at once, the station still starts', async () => {
    const { client } = await enrolClient(ts.station, OP, { keysDir: join(out, 'keys') });
    const pool = join(ts.dataDir, 'pool');
    const [s0, s1, s2] = ts.station.pool.state.unallocated();
    const unsettled = (): number => ts.station.core.allocations.unsettled.size;
    // A byte flipped in the second chunk of the first segment (chunks are 64 KiB; the initial keys took 64 bytes of the first).
    const fd = openSync(join(pool, `${s0.id}.seg`), 'r+');
    writeSync(fd, Buffer.from([0x55]), 0, 1, 32 + (64 * 1024 + 16) + 100);
    closeSync(fd);
    const flipped = await failure(h().delivery.deliver({ client, bytes: 100_000, to: `file:${join(out, 'f1.pkg')}` }, OP));
    expect(flipped.code).toBe('io');
    expect(flipped.message).toMatch(/integrity/);
    expect(unsettled()).toBe(0);
    // The damaged chunk went with the voided range (recorded), and the next delivery takes fresh bytes.
    await h().delivery.deliver({ client, bytes: 100_000, to: `file:${join(out, 'f2.pkg')}` }, OP);
    // A key table cut short, and a segment's key file gone: said as the pool's failure, never as the medium's.
    truncateSync(join(pool, `${s1.id}.keys`), 152);
    rmSync(join(pool, `${s2.id}.keys`));
    for (let i = 0; i < 3; i++) {
      const f = await failure(h().delivery.deliver({ client, bytes: 300_000, to: `file:${join(out, `k${i}.pkg`)}` }, OP)).catch((e: unknown) => e as Error);
      if ('code' in f) expect(f.code).not.toMatch(/^medium-/);
    }
    expect(unsettled()).toBe(0);
    const station = await ts.reopen();
    expect((await station.ledger.verify()).ok).toBe(true);
    expect((await station.handlers.delivery.reconcile({ deep: true }, OP)).problems).toEqual([]);
  });

  it('never writes PSRD into the station, a system folder, or the folder of its keys, however the path is spelt', async () => {
    const enrolled = await enrolClient(ts.station, OP, { keysDir: join(out, 'keys') });
    const keys = dirname(enrolled.keysFile);
    mkdirSync(join(keys, 'sub'));
    symlinkSync(keys, join(out, 'alias'));
    const n = ts.station.ledger.entries().filter((e) => e.type === 'allocation.reserved').length;
    for (const to of [`file:${keys}/./a.pkg`, `file:${keys}//b.pkg`, `file:${out}//keys/c.pkg`, `file:${out}/alias/d.pkg`, `file:${keys}/sub/e.pkg`, `qr:${keys}/f.pdf`]) {
      expect((await failure(h().delivery.deliver({ client: enrolled.client, bytes: 1000, to }, OP))).message).toMatch(/apart from them/);
    }
    for (const to of [`file:${ts.dataDir}/keystore/c-000002.ik`, `file:${ts.dataDir}/x.pkg`, 'file:/proc/x.pkg', 'file:/dev/zz.pkg']) {
      expect((await failure(h().delivery.deliver({ client: enrolled.client, bytes: 1000, to }, OP))).code).toBe('medium-not-allowed');
    }
    expect((await failure(h().delivery.deliver({ client: enrolled.client, bytes: 1000, to: 'nope' }, OP))).message).toMatch(/names no medium/);
    expect(ts.station.ledger.entries().filter((e) => e.type === 'allocation.reserved').length).toBe(n);
  });

  it('a failed write never removes a file someone else put at the target', async () => {
    const path = join(out, 'theirs.pkg');
    const carrier = FileCarrier.open(path);
    await carrier.preflight(1000);
    writeFileSync(path, 'someone else wrote this');
    const pkg = { hubId: 'hub', clientId: 'c-000001', packageId: `pkg-${'0'.repeat(32)}`, ranges: [], length: 4, async *pieces() { yield new Uint8Array(4); } };
    await expect(carrier.write(pkg, () => undefined, new AbortController().signal)).rejects.toThrow();
    await carrier.discard(pkg);
    expect(readFileSync(path, 'utf8')).toBe('someone else wrote this');
  });
});

