// The enrolment rules (issue S7, part 2), through the core API: each refusal with its code and nothing
// changed; the desk's steps in order; what the ledger keeps of a person (IDs and HMACs, never a name,
// a document number or PSRD); and a person's record erased on request with the ledger still verifying.
import { readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Ctx } from '../../src-main/station/core';
import { presenceCode } from '../../src-shared/enrolment/presence-code';
import { openPackage } from '../../src-shared/psrd/package-reader';
import { nobleCipher } from '../../src-shared/psrd/package-cipher';
import { OP, openTestStation, tempDir, type TestStation } from '../support/station';
import { enrolClient, keysIn, PASSPORT_CHECKS } from '../support/enrol';
import { refusal } from '../support/refusal';
import { shipWholePool } from '../support/server';

let ts: TestStation;
let out: string;
const h = (): TestStation['station']['handlers'] => ts.station.handlers;
const clerk: Ctx = { ...OP, operator: { name: 'Dee Desk', roles: ['desk'] } };
const second: Ctx = { ...OP, operator: { name: 'Otto Operator', roles: ['operator'] } };
const ledgerSize = (): number => ts.station.ledger.entries().length;

beforeEach(async () => {
  out = tempDir('dske-enrol-out-');
  const dataDir = tempDir('dske-enrol-');
  writeFileSync(join(dataDir, 'station.json'), JSON.stringify({ delivery: { twoPersonAboveBytes: 100_000 } }));
  ts = openTestStation({ dataDir });
  await h().pool.generate({ bytes: 2 << 20, sources: ['os'] }, OP);
  await shipWholePool(ts.station);
});
afterEach(async () => ts.cleanup());

describe('the desk steps, in order', () => {
  it('application → identity → client → keys → PSRD → "I\'m here" → receipt, each step naming its operator', async () => {
    const app = await h().enrolment.apply({ name: 'Mary Jackson', medium: 'file' }, clerk);
    expect(app.step).toBe('applied');
    // Out of order: refused, nothing changed.
    const n = ledgerSize();
    expect((await refusal(h().enrolment.register({ application: app.application }, clerk))).code).toBe('wrong-step');
    expect((await refusal(h().enrolment.checkIdentity({ application: app.application, document: 'passport', number: 'P7654321', checks: ['photo-matches'], outcome: 'accepted' }, clerk))).message).toMatch(/not confirmed/);
    expect(ledgerSize()).toBe(n);
    await h().enrolment.checkIdentity({ application: app.application, document: 'passport', number: 'P7654321', checks: PASSPORT_CHECKS, outcome: 'accepted' }, clerk);
    // After a restart the application resumes at the step it reached.
    await ts.reopen();
    expect((await h().enrolment.show({ application: app.application }, clerk)).step).toBe('identity-checked');
    const reg = await h().enrolment.register({ application: app.application }, clerk);
    await h().enrolment.handOverKeys({ application: app.application, to: `file:${join(out, 'envelope.keys')}` }, clerk);
    // The PSRD never goes where the keys went.
    expect((await refusal(h().delivery.deliver({ client: reg.client!, bytes: 1000, to: `file:${join(out, 'same-folder.pkg')}` }, clerk))).code).toBe('medium-not-allowed');
    const pkgDir = tempDir('dske-enrol-pkg-');
    const d = await h().delivery.deliver({ client: reg.client!, bytes: 50_000, to: `file:${join(pkgDir, 'p.pkg')}` }, clerk);
    const keys = keysIn(readFileSync(join(out, 'envelope.keys')));
    expect(openPackage(readFileSync(join(pkgDir, 'p.pkg')), keys, nobleCipher).psrd.length).toBe(50_000);
    // "I'm here": a wrong code is refused and nothing recorded; the client's own code is accepted.
    const before = ledgerSize();
    expect((await refusal(h().enrolment.confirmPresence({ application: app.application, code: '12345678' }, clerk))).code).toBe('presence-mismatch');
    expect(ledgerSize()).toBe(before);
    await h().enrolment.confirmPresence({ application: app.application, code: presenceCode(keys, 'hub', reg.client!) }, clerk);
    // A double click: two receipt calls at once print one receipt; the other is refused.
    const both = await Promise.allSettled([
      h().enrolment.receipt({ application: app.application, package: d.package, to: `file:${join(out, 'receipt.pdf')}` }, clerk),
      h().enrolment.receipt({ application: app.application, package: d.package, to: `file:${join(out, 'receipt-twice.pdf')}` }, clerk),
    ]);
    expect(both.map((x) => x.status)).toEqual(['fulfilled', 'rejected']);
    const r = (both[0] as PromiseFulfilledResult<{ receipt: string; path: string; package: string }>).value;
    // A file far larger than any receipt is not read.
    const huge = join(out, 'huge.pdf');
    writeFileSync(huge, '');
    truncateSync(huge, 40 << 20);
    expect((await h().enrolment.verifyReceipt({ path: huge }, clerk)).problem).toMatch(/far smaller/);
    expect((await h().enrolment.verifyReceipt({ path: r.path }, clerk)).ok).toBe(true);
    expect((await refusal(h().enrolment.receipt({ application: app.application, package: d.package, to: `file:${join(out, 'again.pdf')}` }, clerk))).message).toMatch(/already has its receipt/);
    // Someone edits the client directory (a plain file) to put another name on the next receipt: refused.
    const dirFile = join(ts.dataDir, 'clients', 'directory.json');
    const original = readFileSync(dirFile, 'utf8');
    const second2 = await h().delivery.deliver({ client: reg.client!, bytes: 1000, to: `file:${join(pkgDir, 'p2.pkg')}` }, clerk);
    writeFileSync(dirFile, original.replaceAll('Mary Jackson', 'Mallory Jackson'));
    await ts.reopen();
    expect((await refusal(h().enrolment.receipt({ application: app.application, package: second2.package, to: `file:${join(out, 'forged.pdf')}` }, clerk))).message).toMatch(/edited outside the station/);
    writeFileSync(dirFile, original);
    await ts.reopen();
    const done = await h().enrolment.show({ application: app.application }, clerk);
    expect(done).toMatchObject({ client: reg.client, packages: [d.package, second2.package], receipts: [r.receipt] });
    expect(done.identity).toMatchObject({ document: 'passport', last4: '4321', checkedBy: 'Dee Desk', outcome: 'accepted' });
    for (const e of ts.station.ledger.entries().filter((x) => x.type.startsWith('enrolment.'))) expect((e.data.actor as { operator?: string }).operator).toBeTruthy();
  });

  it('a refused application keeps its reason and goes no further', async () => {
    const app = await h().enrolment.apply({ name: 'Someone Else', medium: 'usb' }, clerk);
    expect((await refusal(h().enrolment.checkIdentity({ application: app.application, document: 'id-card', number: 'ID-99887766', checks: [], outcome: 'refused' }, clerk))).message).toMatch(/reason/);
    // The ledger keeps reasons for good: one that repeats the name or the number is refused.
    for (const reason of ['Someone Else looked different', 'card ID99887766 expired']) {
      expect((await refusal(h().enrolment.checkIdentity({ application: app.application, document: 'id-card', number: 'ID-99887766', checks: [], outcome: 'refused', reason }, clerk))).message).toMatch(/repeats the person/);
    }
    const refused = await h().enrolment.checkIdentity({ application: app.application, document: 'id-card', number: 'ID-99887766', checks: [], outcome: 'refused', reason: 'the photo does not match' }, clerk);
    expect(refused).toMatchObject({ step: 'refused', refusedReason: 'the photo does not match' });
    expect((await refusal(h().enrolment.register({ application: app.application }, clerk))).code).toBe('wrong-step');
  });
});

describe('the rules a delivery rests on', () => {
  it('no PSRD without an accepted identity check, nor to a suspended client', async () => {
    const bare = await h().clients.create({}, OP);
    const n = ledgerSize();
    expect((await refusal(h().delivery.deliver({ client: bare.client, bytes: 1000, to: `file:${join(out, 'b.pkg')}` }, clerk))).code).toBe('identity-not-checked');
    const { client } = await enrolClient(ts.station, clerk, { keysDir: join(out, 'keys') });
    await h().clients.suspend({ client, reason: 'on leave' }, clerk);
    expect((await refusal(h().delivery.deliver({ client, bytes: 1000, to: `file:${join(out, 's.pkg')}` }, clerk))).code).toBe('client-suspended');
    expect(ts.station.ledger.entries().slice(n).filter((e) => e.type.startsWith('allocation.') && e.data.client === bare.client)).toEqual([]);
  });

  it('above the two-person threshold a second person approves, and never the clerk who checked the identity', async () => {
    const { client } = await enrolClient(ts.station, clerk, { keysDir: join(out, 'keys'), checker: second });
    const to = (f: string): string => `file:${join(tempDir('dske-enrol-big-'), f)}`;
    const n = ledgerSize();
    expect((await refusal(h().delivery.deliver({ client, bytes: 200_000, to: to('a.pkg') }, clerk))).code).toBe('approval-required');
    // Otto checked this person's identity: he cannot be the second person for their delivery.
    expect((await refusal(h().delivery.deliver({ client, bytes: 200_000, to: to('b.pkg') }, { ...clerk, approver: second.operator }))).code).toBe('same-person');
    expect(ledgerSize()).toBe(n);
    const approver: Ctx['operator'] = { name: 'Sam Second', roles: ['operator'] };
    const r = await h().delivery.deliver({ client, bytes: 200_000, to: to('c.pkg') }, { ...clerk, approver });
    const reserved = ts.station.ledger.entries().find((e) => e.type === 'allocation.reserved' && e.data.package === r.package)!;
    expect(reserved.data.actor).toMatchObject({ operator: 'Dee Desk', approver: 'Sam Second' });
    // Below the threshold one person is enough.
    await h().delivery.deliver({ client, bytes: 1000, to: to('d.pkg') }, clerk);
  });

  it('a client ID is never reused, not even after a registration that failed', async () => {
    const first = await enrolClient(ts.station, clerk, { keysDir: join(out, 'k1') });
    expect(first.client).toBe('c-000001');
    // Someone breaks the keystore (a file where its folder should be): the registration fails and is voided.
    const keystore = join(ts.dataDir, 'keystore');
    rmSync(keystore, { recursive: true, force: true });
    writeFileSync(keystore, 'not a folder');
    const app = await h().enrolment.apply({ name: 'Dorothy Vaughan', medium: 'file' }, clerk);
    await h().enrolment.checkIdentity({ application: app.application, document: 'passport', number: 'P1111111', checks: PASSPORT_CHECKS, outcome: 'accepted' }, clerk);
    await refusal(h().enrolment.register({ application: app.application }, clerk));
    rmSync(keystore);
    expect(ts.station.ledger.entries().filter((e) => e.type === 'allocation.voided')).toHaveLength(1);
    const reg = await h().enrolment.register({ application: app.application }, clerk);
    expect(reg.client).toBe('c-000003'); // c-000002 went with the voided registration
    expect((await h().delivery.reconcile({ deep: true }, OP)).problems.filter((p) => p.kind !== 'keystore')).toEqual([]);
  });
});

describe('personal data', () => {
  it('the ledger holds no name, no document number and no PSRD; a person erased on request leaves it verifying', async () => {
    const app = await h().enrolment.apply({ name: 'Annie Easley', medium: 'file' }, clerk);
    await h().enrolment.checkIdentity({ application: app.application, document: 'passport', number: 'PX9876543', checks: PASSPORT_CHECKS, outcome: 'accepted' }, clerk);
    const reg = await h().enrolment.register({ application: app.application }, clerk);
    await h().enrolment.handOverKeys({ application: app.application, to: `file:${join(out, 'annie.keys')}` }, clerk);
    const pkgDir = tempDir('dske-enrol-pkg-');
    await h().delivery.deliver({ client: reg.client!, bytes: 20_000, to: `file:${join(pkgDir, 'a.pkg')}` }, clerk);
    const psrd = openPackage(readFileSync(join(pkgDir, 'a.pkg')), keysIn(readFileSync(join(out, 'annie.keys'))), nobleCipher).psrd;
    await ts.reopen(); // the snapshot too
    const ledgerFiles = readdirSync(ts.dataDir).filter((f) => f.startsWith('ledger')).map((f) => readFileSync(join(ts.dataDir, f)));
    expect(ledgerFiles.length).toBeGreaterThan(0);
    for (const f of ledgerFiles) {
      for (const needle of ['Annie Easley', 'Annie', 'PX9876543', '9876543']) expect(f.includes(needle)).toBe(false);
      expect(f.includes(Buffer.from(psrd.subarray(0, 16)))).toBe(false);
      expect(f.includes(Buffer.from(psrd.subarray(0, 16)).toString('hex'))).toBe(false);
      expect(f.includes(Buffer.from(psrd.subarray(0, 16)).toString('base64'))).toBe(false);
    }
    expect((await h().clients.show({ client: reg.client! }, OP)).name).toBe('Annie Easley');
    await h().enrolment.forget({ application: app.application }, { ...OP, operator: { name: 'Ada Admin', roles: ['admin'] } });
    expect((await h().clients.show({ client: reg.client! }, OP)).name).toBeNull();
    expect(readFileSync(join(ts.dataDir, 'clients', 'directory.json'), 'utf8')).not.toMatch(/Annie/);
    expect((await ts.station.ledger.verify()).ok).toBe(true);
  });
});

describe('a client\'s life after enrolment', () => {
  it('a package reported lost is re-issued by a new delivery; a revoked client gets nothing; the inventory shows it all', async () => {
    const { client } = await enrolClient(ts.station, clerk, { keysDir: join(out, 'keys') });
    const dir = tempDir('dske-enrol-life-');
    const first = await h().delivery.deliver({ client, bytes: 10_000, to: `file:${join(dir, '1.pkg')}` }, clerk);
    await h().clients.reportLoss({ client, package: first.package, reason: 'stick lost on the train' }, clerk);
    expect((await refusal(h().clients.reportLoss({ client, package: first.package, reason: 'again' }, clerk))).message).toMatch(/already reported lost/);
    const again = await h().delivery.deliver({ client, bytes: 10_000, to: `file:${join(dir, '2.pkg')}` }, clerk);
    await h().clients.revoke({ client, reason: 'left the company' }, { ...second, approver: { name: 'Sam Second', roles: ['operator'] } });
    expect((await refusal(h().delivery.deliver({ client, bytes: 1000, to: `file:${join(dir, '3.pkg')}` }, clerk))).code).toBe('client-revoked');
    expect((await refusal(h().clients.resume({ client }, second))).code).toBe('client-revoked');
    const inv = await h().clients.inventory({ client }, OP);
    expect(inv.state).toBe('revoked');
    expect(inv.packages.map((p) => [p.package, p.state, Boolean(p.lostAt)])).toEqual([[first.package, 'delivered', true], [again.package, 'delivered', false]]);
    expect(inv.reports.map((r) => r.kind)).toEqual(['initial-keys', 'delivered', 'package-lost', 'delivered', 'revoked']);
    expect(inv.reports.every((r) => r.waiting)).toBe(true);
    const sync = await h().sync.status({}, OP);
    expect(sync.waiting.map((w) => w.kind).slice(-3)).toEqual(['package-lost', 'delivered', 'revoked']);
    expect((await h().delivery.reconcile({ deep: true }, OP)).problems).toEqual([]);
    await ts.reopen();
    expect(await ts.station.handlers.clients.inventory({ client }, OP)).toEqual(inv);
  });
});
