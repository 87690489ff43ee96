// The HSM token carrier against a real SoftHSM2 token (hardware/carriers/hsm-token.ts): a client
// package written as PKCS#11 token objects in both profiles, checked after writing, read back by an
// independent reader (OpenSC's pkcs11-tool), refused for a wrong PIN or a package already there, a token
// removed mid-write, an object altered between write and verify, and discard.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { inspect } from 'node:util';
import type * as Pkcs11 from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CarrierProgress, PackageStream } from '../../hardware/carriers/carrier';
import { HSM_APPLICATION, HsmTokenCarrier, type HsmObjectProfile, type HsmTokenWritten, planHsmObjects } from '../../hardware/carriers/hsm-token';
import { tempDir } from '../support/station';
import { refusal as failure } from '../support/refusal';

const MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const onPath = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const haveSoftHsm = existsSync(MODULE) && onPath('softhsm2-util');
const havePkcs11Tool = onPath('pkcs11-tool');
const PIN = '482916';
const root = tempDir('dske-hsm-carrier-');
const tokens = join(root, 'tokens');
/** The directory SoftHSM2 keeps each token in, by label. */
const tokenDir = new Map<string, string>();
const LABELS = ['client-data', 'client-secret', 'client-refuse', 'client-gone', 'client-closed', 'client-alter', 'client-discard', 'client-speed'];

beforeAll(() => {
  if (!haveSoftHsm) return;
  mkdirSync(tokens);
  writeFileSync(join(root, 'softhsm2.conf'), `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = join(root, 'softhsm2.conf');
  for (const label of LABELS) {
    const before = new Set(readdirSync(tokens));
    execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', PIN, '--so-pin', '13579'], { env: process.env, stdio: 'ignore' });
    tokenDir.set(label, join(tokens, readdirSync(tokens).find((d) => !before.has(d)) as string));
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A package over random bytes, streamed in pieces of `chunk` bytes from one reused buffer (valid until the next). */
function fakePackage(length: number, chunk = 100_000): PackageStream & { bytes: Buffer } {
  const bytes = randomBytes(length);
  const packageId = `pkg-${randomBytes(16).toString('hex')}`;
  return {
    hubId: 'hub-test',
    clientId: 'client-test',
    packageId,
    ranges: [{ segment: 'seg-test', offset: 0, length }],
    length,
    bytes,
    async *pieces() {
      const buf = Buffer.alloc(chunk);
      for (let at = 0; at < length; at += chunk) {
        const n = Math.min(chunk, length - at);
        bytes.copy(buf, 0, at, at + n);
        yield buf.subarray(0, n);
      }
    },
  };
}

const never = new AbortController().signal;

/** A progress callback that runs `act` once, right after the `n`th object was written. */
function afterObjects(n: number, act: () => void): (p: CarrierProgress) => void {
  let objects = 0;
  return (p) => {
    if (p.phase === 'write' && p.bytesDone > 0 && ++objects === n) act();
  };
}

function open(token: string, profile: HsmObjectProfile = 'data', pin = PIN): HsmTokenCarrier {
  return HsmTokenCarrier.open({ module: MODULE, token, pin, profile });
}

function tool(token: string, ...args: string[]): string {
  return execFileSync('pkcs11-tool', ['--module', MODULE, '--token-label', token, '--login', '--pin', PIN, ...args], { env: process.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** pkcs11-tool's object listing, one block of lines per object. */
function listed(token: string): string[] {
  return tool(token, '--list-objects').split(/\n(?=\S)/).filter((b) => b.trim() !== '');
}

function labelsOn(token: string, packageId: string): string[] {
  return listed(token)
    .map((b) => /label:\s+'?([^'\n]*)'?/.exec(b)?.[1] ?? '')
    .filter((l) => l.startsWith(`dske:${packageId}:`));
}

/** A second PKCS#11 handle in this process (the carrier's module stays initialized: never finalize this one). */
function sideHandle(): { lib: Pkcs11.PKCS11; p: typeof Pkcs11; slot(label: string): Buffer; session(label: string): Buffer } {
  const p = createRequire(import.meta.url)('pkcs11js') as typeof Pkcs11;
  const lib = new p.PKCS11();
  lib.load(MODULE);
  try {
    lib.C_Initialize();
  } catch (e) {
    if (!String((e as Error).message).startsWith('CKR_CRYPTOKI_ALREADY_INITIALIZED')) throw e;
  }
  const slot = (label: string): Buffer =>
    lib.C_GetSlotList(true).find((s) => {
      try {
        return lib.C_GetTokenInfo(s).label.trim() === label;
      } catch {
        return false;
      }
    }) as Buffer;
  return {
    lib,
    p,
    slot,
    session(label) {
      const s = lib.C_OpenSession(slot(label), p.CKF_SERIAL_SESSION | p.CKF_RW_SESSION);
      try {
        lib.C_Login(s, p.CKU_USER, PIN);
      } catch (e) {
        if (!String((e as Error).message).startsWith('CKR_USER_ALREADY_LOGGED_IN')) throw e;
      }
      return s;
    },
  };
}

describe('HSM token object plan', () => {
  it('cuts a package into ⌈length / objectBytes⌉ pieces of near-equal size, labelled with index, count and offset', () => {
    const id = `pkg-${'ab'.repeat(16)}`;
    for (const [length, objectBytes] of [[300 * 1024 + 123, 65536], [1 << 20, 65536], [65536, 65536], [65537, 65536], [100, 64], [65, 64], [1, 65536]]) {
      const plan = planHsmObjects(id, length, objectBytes);
      expect(plan).toHaveLength(Math.ceil(length / objectBytes));
      expect(plan.reduce((n, o) => n + o.length, 0)).toBe(length);
      expect(Math.max(...plan.map((o) => o.length)) - Math.min(...plan.map((o) => o.length))).toBeLessThanOrEqual(1);
      expect(Math.max(...plan.map((o) => o.length))).toBeLessThanOrEqual(objectBytes);
      if (length >= 64) expect(Math.min(...plan.map((o) => o.length))).toBeGreaterThanOrEqual(32); // an HMAC key SoftHSM2 takes
      plan.forEach((o, i) => expect(o.label).toBe(`dske:${id}:${i + 1}/${plan.length}@${o.offset}`));
    }
    expect(planHsmObjects(id, 300 * 1024 + 123).map((o) => o.length)).toEqual([61465, 61465, 61465, 61464, 61464]);
  });
});

describe.skipIf(!haveSoftHsm)('HSM token carrier (SoftHSM2)', () => {
  it('describes the token by label, serial and model, found by label or by serial', async () => {
    const c = open('client-data');
    const d = await c.describe();
    await c.release();
    expect(d).toMatchObject({ kind: 'hsm', target: 'client-data', model: 'SoftHSM project SoftHSM v2' });
    expect(d.serial).toMatch(/^[0-9a-f]{16}$/);
    const bySerial = open(`serial=${d.serial}`);
    await bySerial.preflight(1000);
    expect((await bySerial.describe()).target).toBe('client-data');
    await bySerial.release();
  });

  for (const [profile, token] of [['data', 'client-data'], ['secret', 'client-secret']] as const) {
    it(`writes and verifies a 300 KiB package as ${profile} objects; pkcs11-tool lists them${profile === 'data' ? ' and reads the package back byte for byte' : ', sensitive and not extractable'}`, async () => {
      const pkg = fakePackage(300 * 1024 + 123);
      const c = open(token, profile);
      await c.preflight(pkg.length);
      const seen: CarrierProgress[] = [];
      const written = await c.write(pkg, (p) => seen.push(p), never);
      await c.verify(pkg, written, (p) => seen.push(p), never);
      await c.release();
      const plan = planHsmObjects(pkg.packageId, pkg.length);
      expect(plan).toHaveLength(5);
      expect((written as HsmTokenWritten).objects).toBe(5);
      expect(seen.filter((p) => p.phase === 'write').map((p) => p.bytesDone)).toEqual([0, ...plan.map((o) => o.offset + o.length)]);
      expect(seen.at(-1)).toEqual({ phase: 'verify', bytesDone: pkg.length, bytesTotal: pkg.length });

      if (!havePkcs11Tool) return;
      expect(labelsOn(token, pkg.packageId).sort()).toEqual(plan.map((o) => o.label).sort());
      const blocks = listed(token).filter((b) => b.includes(`dske:${pkg.packageId}:`));
      if (profile === 'data') {
        for (const b of blocks) {
          expect(b).toMatch(/^Data object/);
          expect(b).toContain(`application:    '${HSM_APPLICATION}'`);
          expect(b).toMatch(/flags:\s+private\s*$/m); // private, not modifiable
        }
        const back = plan.map((o) => {
          const file = join(root, `read-${o.index}`);
          tool(token, '--read-object', '--type', 'data', '--label', o.label, '--output-file', file);
          return readFileSync(file);
        });
        back.forEach((b, i) => expect(b.length).toBe(plan[i].length));
        expect(Buffer.concat(back).equals(pkg.bytes)).toBe(true);
      } else {
        for (const b of blocks) {
          expect(b).toMatch(/^Secret Key Object; Generic secret length \d+/);
          expect(b).toMatch(/Access:\s+sensitive\s*$/m); // no "extractable"
          expect(b).not.toMatch(/\bextractable\b/);
        }
        // Not readable by value: pkcs11-tool gets CKR_ATTRIBUTE_SENSITIVE.
        const r = spawnSync('pkcs11-tool', ['--module', MODULE, '--token-label', token, '--login', '--pin', PIN, '--read-object', '--type', 'secrkey', '--label', plan[0].label, '--output-file', join(root, 'secret-read')], { env: process.env, encoding: 'utf8' });
        expect(r.status).not.toBe(0);
        expect(existsSync(join(root, 'secret-read')) && readFileSync(join(root, 'secret-read')).length > 0).toBe(false);
      }
    });
  }

  it('refuses a wrong PIN in plain words, never repeating it, and creates nothing', async () => {
    const wrong = '999111';
    const pkg = fakePackage(70_000);
    const c = open('client-refuse', 'data', wrong);
    const f = await failure(c.preflight(pkg.length));
    expect(f.code).toBe('medium-not-allowed');
    expect(f.message).toMatch(/refused the PIN/);
    const w = await failure(c.write(pkg, () => {}, never));
    expect(w.code).toBe('medium-not-allowed');
    for (const text of [f.message, w.message, inspect(c, { depth: 6, showHidden: true }), JSON.stringify(await c.describe())]) {
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(PIN);
    }
    await c.release();
    if (havePkcs11Tool) expect(labelsOn('client-refuse', pkg.packageId)).toEqual([]);
  });

  it('keeps no PIN once logged in', async () => {
    const c = open('client-refuse');
    await c.preflight(1000);
    expect(inspect(c, { depth: 6, showHidden: true })).not.toContain(PIN);
    await c.release();
  });

  it('refuses a package that already has an object on the token, and leaves that object alone', async () => {
    const pkg = fakePackage(150_000);
    const first = open('client-refuse');
    await first.write(pkg, () => {}, never);
    await first.release();
    const again = open('client-refuse');
    await again.preflight(pkg.length);
    const f = await failure(again.write(pkg, () => {}, never));
    expect(f.code).toBe('medium-not-allowed');
    expect(f.message).toContain(pkg.packageId);
    await again.release();
    if (havePkcs11Tool) expect(labelsOn('client-refuse', pkg.packageId)).toHaveLength(3);
  });

  it('stops between objects when cancelled and removes what it wrote', async () => {
    const pkg = fakePackage(200_000);
    const ctl = new AbortController();
    const c = open('client-refuse');
    const f = await failure(c.write(pkg, (p) => p.bytesDone > 0 && ctl.abort(), ctl.signal));
    expect(f.code).toBe('cancelled');
    await c.release();
    if (havePkcs11Tool) expect(labelsOn('client-refuse', pkg.packageId)).toEqual([]);
  });

  it('a token removed mid-write (its directory deleted under SoftHSM2: CKR_GENERAL_ERROR, then no token info) is medium-unplugged', async () => {
    const pkg = fakePackage(300 * 1024);
    const c = open('client-gone');
    await c.preflight(pkg.length);
    const dir = tokenDir.get('client-gone') as string;
    const f = await failure(c.write(pkg, afterObjects(2, () => rmSync(dir, { recursive: true, force: true })), never));
    expect(f.code).toBe('medium-unplugged');
    expect(f.message).toMatch(/client-gone.*(removed|stopped answering)/);
    expect(existsSync(dir)).toBe(false);
    expect((await c.describe()).target).toBe('client-gone');
    await c.release();
    // The token is gone with its objects: no reader finds it, nor any object of the package elsewhere.
    if (havePkcs11Tool) {
      expect(spawnSync('pkcs11-tool', ['--module', MODULE, '--token-label', 'client-gone', '--list-objects'], { env: process.env }).status).not.toBe(0);
      for (const other of ['client-data', 'client-closed']) expect(labelsOn(other, pkg.packageId)).toEqual([]);
    }
  });

  it('a session torn down mid-write (C_CloseAllSessions from another handle: CKR_SESSION_HANDLE_INVALID) is medium-unplugged; a new login discards what was left', async () => {
    const pkg = fakePackage(300 * 1024);
    const c = open('client-closed');
    await c.preflight(pkg.length);
    const side = sideHandle();
    const f = await failure(c.write(pkg, afterObjects(2, () => side.lib.C_CloseAllSessions(side.slot('client-closed'))), never));
    expect(f.code).toBe('medium-unplugged');
    expect(f.message).toContain('CKR_SESSION_HANDLE_INVALID');
    await c.release();
    // Logged out with its session, the carrier could not destroy the two objects it had made; they are
    // private, so only a login sees them, and a carrier opened with the PIN again discards them.
    if (havePkcs11Tool) expect(labelsOn('client-closed', pkg.packageId)).toHaveLength(2);
    const again = open('client-closed');
    await again.discard(pkg);
    await again.release();
    if (havePkcs11Tool) expect(labelsOn('client-closed', pkg.packageId)).toEqual([]);
  });

  it('verify fails when a data object was replaced by one with other bytes (pkcs11-tool) and when a secret was (pkcs11js)', async () => {
    // data: destroyed and written again by pkcs11-tool, same label, same application, other bytes.
    if (havePkcs11Tool) {
      const pkg = fakePackage(200_000);
      const c = open('client-alter', 'data');
      const written = await c.write(pkg, () => {}, never);
      const victim = planHsmObjects(pkg.packageId, pkg.length)[1];
      tool('client-alter', '--delete-object', '--type', 'data', '--label', victim.label);
      const other = join(root, 'other');
      writeFileSync(other, randomBytes(victim.length));
      tool('client-alter', '--write-object', other, '--type', 'data', '--label', victim.label, '--application-label', HSM_APPLICATION, '--private');
      const f = await failure(c.verify(pkg, written, () => {}, never));
      expect(f.code).toBe('verify-failed');
      expect(f.message).toMatch(/object 2 of 4 has other bytes/);
      await c.release();
    }
    // secret: destroyed and created again with other bytes (same length, label, protection).
    const pkg = fakePackage(200_000);
    const c = open('client-alter', 'secret');
    const written = await c.write(pkg, () => {}, never);
    const victim = planHsmObjects(pkg.packageId, pkg.length)[2];
    const { lib, p, session } = sideHandle();
    const s = session('client-alter');
    lib.C_FindObjectsInit(s, [{ type: p.CKA_CLASS, value: p.CKO_SECRET_KEY }, { type: p.CKA_LABEL, value: victim.label }]);
    const h = lib.C_FindObjects(s);
    lib.C_FindObjectsFinal(s);
    lib.C_DestroyObject(s, h as Buffer);
    lib.C_CreateObject(s, [
      { type: p.CKA_CLASS, value: p.CKO_SECRET_KEY },
      { type: p.CKA_KEY_TYPE, value: p.CKK_GENERIC_SECRET },
      { type: p.CKA_TOKEN, value: true },
      { type: p.CKA_PRIVATE, value: true },
      { type: p.CKA_SENSITIVE, value: true },
      { type: p.CKA_EXTRACTABLE, value: false },
      { type: p.CKA_SIGN, value: true },
      { type: p.CKA_LABEL, value: victim.label },
      { type: p.CKA_VALUE, value: randomBytes(victim.length) },
    ]);
    lib.C_CloseSession(s);
    const f = await failure(c.verify(pkg, written, () => {}, never));
    expect(f.code).toBe('verify-failed');
    expect(f.message).toMatch(/object 3 of 4 (has another check value|gives another HMAC)/);
    await c.release();
  });

  it('discard removes every object of a package and nothing of another', async () => {
    const keep = fakePackage(100_000);
    const drop = fakePackage(250_000);
    const c = open('client-discard', 'secret');
    await c.write(keep, () => {}, never);
    await c.write(drop, () => {}, never);
    await c.discard(drop);
    await c.discard(drop); // twice: nothing left to remove, and no throw
    await c.verify(keep, {}, () => {}, never);
    await c.release();
    await c.discard(keep); // after release: never throws
    if (havePkcs11Tool) {
      expect(labelsOn('client-discard', drop.packageId)).toEqual([]);
      expect(labelsOn('client-discard', keep.packageId)).toHaveLength(2);
    }
  });

  it('figures: writes and verifies a 1 MiB package in each profile', async () => {
    const lines: string[] = [];
    for (const profile of ['data', 'secret'] as const) {
      const pkg = fakePackage(1 << 20, 1 << 20);
      const c = open('client-speed', profile);
      let t = performance.now();
      const written = await c.write(pkg, () => {}, never);
      const w = performance.now() - t;
      t = performance.now();
      await c.verify(pkg, written, () => {}, never);
      const v = performance.now() - t;
      await c.discard(pkg);
      await c.release();
      lines.push(`${profile}: write ${(1.048576 / (w / 1000)).toFixed(1)} MB/s (${w.toFixed(0)} ms), verify ${(1.048576 / (v / 1000)).toFixed(1)} MB/s (${v.toFixed(0)} ms), 16 objects`);
    }
    console.log(`HSM token carrier, SoftHSM2, 1 MiB package:\n  ${lines.join('\n  ')}`);
  });
});
