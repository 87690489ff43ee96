// The HSM token carrier (issue S6, part 4b): a client package written into a PKCS#11 token as token
// objects, in order, each checked after writing; docs/formats.md, "HSM token objects", describes them.
//
// Two object profiles, named by the client:
//  - 'data' (default): private CKO_DATA objects, not modifiable, application 'dske-client-package',
//    checked by value (CKA_VALUE read back, its SHA-256 compared with the one kept from the write and
//    with the package as streamed again).
//  - 'secret': CKO_SECRET_KEY / CKK_GENERIC_SECRET objects, sensitive, not extractable, not copyable,
//    so never readable by value; checked in the token by HMAC-SHA-256 (C_Sign, CKM_SHA256_HMAC) over a
//    fresh random challenge per object, compared with the HMAC computed here from the package's bytes,
//    and by CKA_CHECK_VALUE where the token provides it (SoftHSM2: the first 3 bytes of SHA-1 of the
//    value). SoftHSM2 takes HMAC keys of 32 bytes and more (CKR_KEY_SIZE_RANGE below), so pieces are
//    cut evenly and a piece shorter than that is checked by its check value alone.
//
// The slot is found by the token's label or serial, never by number (slots renumber). The PIN is used
// for one C_Login in open() and then dropped: it is in no field, message or log. A wrong PIN is not
// retried (a real token locks after a few). Every failure is a StationFailure with a media-fault code
// (src-shared/psrd/media-faults.ts) or 'cancelled', and never carries PSRD or the PIN.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Pkcs11 from 'pkcs11js';
import { StationFailure } from '../../src-shared/api/result';
import type { MediaFaultCode } from '../../src-shared/psrd/media-faults';
import type { Carrier, CarrierProgress, MediumRecord, PackageStream, Written } from './carrier';

// Loaded on first use: a station without a token never needs the native module to load.
let loaded: typeof Pkcs11 | undefined;
function pk(): typeof Pkcs11 {
  loaded ??= createRequire(import.meta.url)('pkcs11js') as typeof Pkcs11;
  return loaded;
}

export type HsmObjectProfile = 'data' | 'secret';

export interface HsmTokenOptions {
  /** Path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  readonly module: string;
  /** The token's label, or 'serial=XXXX' for its serial number. */
  readonly token: string;
  /** Used once, for C_Login, and not kept. */
  readonly pin: string;
  readonly profile?: HsmObjectProfile;
  /** Largest object written (default HSM_OBJECT_BYTES); pieces are cut evenly at or under it. */
  readonly objectBytes?: number;
}

/** CKA_APPLICATION of every data object the station writes. */
export const HSM_APPLICATION = 'dske-client-package';
/** 64 KiB: SoftHSM2 takes objects of several MiB, most hardware tokens far less; see docs/formats.md. */
export const HSM_OBJECT_BYTES = 64 * 1024;
/** What the free-space check adds per object for the token's own bookkeeping (SoftHSM2 uses ~360 bytes). */
const OBJECT_OVERHEAD = 1024;
/** SoftHSM2's (and PKCS#11's usual) smallest key for CKM_SHA256_HMAC. */
const HMAC_MIN_KEY = 32;
/** CK_STATE of a read-write session logged in as the user (pkcs11js exports no CKS_ constants). */
const CKS_RW_USER_FUNCTIONS = 3;

export interface HsmObjectPlan {
  readonly index: number;
  readonly offset: number;
  readonly length: number;
  readonly label: string;
}

/** `dske:<packageId>:<i>/<n>@<offset>`, i counted from 1, offset the piece's first byte in the package. */
export function hsmObjectLabel(packageId: string, index: number, count: number, offset: number): string {
  return `dske:${packageId}:${index + 1}/${count}@${offset}`;
}

/** The package cut into n = ⌈length / objectBytes⌉ pieces of nearly equal size (they differ by at most a byte). */
export function planHsmObjects(packageId: string, length: number, objectBytes: number = HSM_OBJECT_BYTES): HsmObjectPlan[] {
  const n = Math.max(1, Math.ceil(length / objectBytes));
  const base = Math.floor(length / n);
  const extra = length % n;
  const out: HsmObjectPlan[] = [];
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const len = base + (i < extra ? 1 : 0);
    out.push({ index: i, offset, length: len, label: hsmObjectLabel(packageId, i, n, offset) });
    offset += len;
  }
  return out;
}

const ckrName = (e: unknown): string => (e instanceof Error ? e.message.split(':')[0].trim() : 'unknown error');

const UNPLUGGED = new Set(['CKR_DEVICE_REMOVED', 'CKR_TOKEN_NOT_PRESENT', 'CKR_SESSION_HANDLE_INVALID', 'CKR_SESSION_CLOSED', 'CKR_DEVICE_ERROR', 'CKR_TOKEN_NOT_RECOGNIZED', 'CKR_USER_NOT_LOGGED_IN', 'CKR_CRYPTOKI_NOT_INITIALIZED']);
const FULL = new Set(['CKR_DEVICE_MEMORY']);
const READ_ONLY = new Set(['CKR_TOKEN_WRITE_PROTECTED', 'CKR_SESSION_READ_ONLY']);

/** CK_UNAVAILABLE_INFORMATION (~0 as a 64- or 32-bit CK_ULONG): pkcs11js gives a bigint or a number. */
function known(v: number | bigint | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'bigint') return v >= 0xffffffffn ? undefined : Number(v);
  return v >= 0xffffffff ? undefined : v;
}

const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();
const kcvOf = (b: Uint8Array): Buffer => createHash('sha1').update(b).digest().subarray(0, 3);
const bool = (v: Buffer | undefined): boolean | undefined => (v && v.length > 0 ? v[0] !== 0 : undefined);

/** What write() hands to verify(). Object labels and sizes only: no package byte, no PIN. */
export interface HsmTokenWritten extends Written {
  readonly profile: HsmObjectProfile;
  readonly serial: string;
  readonly packageId: string;
  readonly length: number;
  readonly objects: number;
  readonly objectBytes: number;
  /** SHA-256 of each piece as written, hex. Of the encrypted package: it says nothing of PSRD. */
  readonly sha256: readonly string[];
}

export class HsmTokenCarrier implements Carrier {
  readonly kind = 'hsm' as const;
  private session: Buffer | undefined;
  private slot: Buffer | undefined;
  private serial: string | undefined;
  private model: string | undefined;
  /** Why this carrier cannot write (token absent, PIN refused, …), thrown by preflight, write and verify. */
  private failure: StationFailure | undefined;
  /** Whether this carrier's C_Login did log in (so that release logs out), and whether it initialized the module. */
  private loggedIn = false;
  private released = false;

  private constructor(
    private readonly lib: Pkcs11.PKCS11,
    private readonly ownsLibrary: boolean,
    readonly target: string,
    readonly profile: HsmObjectProfile,
    readonly objectBytes: number,
  ) {}

  /**
   * Loads the module, finds the token, opens a read-write session and logs in with the PIN, which is
   * then dropped. Throws only when the module cannot be loaded; a missing token or a refused PIN is
   * kept and reported by preflight (and write, verify), in plain words.
   */
  static open(options: HsmTokenOptions): HsmTokenCarrier {
    const profile = options.profile ?? 'data';
    if (profile !== 'data' && profile !== 'secret') throw new StationFailure('medium-not-allowed', `There is no HSM object profile "${String(profile)}"; it is "data" or "secret".`);
    const objectBytes = options.objectBytes ?? HSM_OBJECT_BYTES;
    if (!Number.isSafeInteger(objectBytes) || objectBytes < 64) throw new StationFailure('medium-not-allowed', 'An HSM token object holds at least 64 bytes.');
    let lib: Pkcs11.PKCS11;
    let owns = true;
    try {
      lib = new (pk().PKCS11)();
      lib.load(options.module);
    } catch (e) {
      throw new StationFailure('medium-not-allowed', `The PKCS#11 module ${options.module} could not be loaded (${ckrName(e)}).`);
    }
    try {
      lib.C_Initialize();
    } catch (e) {
      // Another part of this process (the station's master key) already uses the module: share it, never finalize it.
      if (ckrName(e) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') throw new StationFailure('medium-not-allowed', `The PKCS#11 module ${options.module} did not start (${ckrName(e)}).`);
      owns = false;
    }
    const carrier = new HsmTokenCarrier(lib, owns, options.token, profile, objectBytes);
    carrier.connect(options.pin);
    return carrier;
  }

  // ---- the token -------------------------------------------------------------------------------

  private matches(info: Pkcs11.TokenInfo): boolean {
    if (this.target.startsWith('serial=')) return info.serialNumber.trim() === this.target.slice('serial='.length).trim();
    return info.label.trim() === this.target;
  }

  private findSlot(): { slot: Buffer; info: Pkcs11.TokenInfo } | StationFailure {
    let slots: Buffer[];
    try {
      slots = this.lib.C_GetSlotList(true);
    } catch (e) {
      return new StationFailure('medium-unplugged', `The PKCS#11 module could not list its tokens (${ckrName(e)}).`);
    }
    const found: { slot: Buffer; info: Pkcs11.TokenInfo }[] = [];
    for (const slot of slots) {
      try {
        const info = this.lib.C_GetTokenInfo(slot);
        if (this.matches(info)) found.push({ slot, info });
      } catch {
        // A token that does not answer is not the one asked for.
      }
    }
    if (found.length === 0) return new StationFailure('medium-unplugged', `No token "${this.target}" is present. Plug it in, or check its label.`);
    if (found.length > 1) return new StationFailure('wrong-device', `${found.length} tokens are labelled "${this.target}"; name the one to use by its serial (serial=…).`);
    return found[0];
  }

  /** The one C_Login of this carrier. `pin` goes out of scope when this returns. */
  private connect(pin: string): void {
    const p = pk();
    const found = this.findSlot();
    if (found instanceof StationFailure) {
      this.failure = found;
      return;
    }
    this.slot = found.slot;
    this.serial = found.info.serialNumber.trim();
    this.model = `${found.info.manufacturerID.trim()} ${found.info.model.trim()}`.trim();
    try {
      this.session = this.lib.C_OpenSession(found.slot, p.CKF_SERIAL_SESSION | p.CKF_RW_SESSION);
    } catch (e) {
      this.failure = this.fault(e, 'opening a session');
      return;
    }
    try {
      this.lib.C_Login(this.session, p.CKU_USER, pin);
      this.loggedIn = true;
    } catch (e) {
      const name = ckrName(e);
      const label = this.target;
      this.failure =
        name === 'CKR_PIN_INCORRECT' || name === 'CKR_PIN_INVALID' || name === 'CKR_PIN_LEN_RANGE'
          ? new StationFailure('medium-not-allowed', `The token "${label}" refused the PIN. Ask the client to enter it again; the token may lock after a few wrong tries.`)
          : name === 'CKR_PIN_LOCKED'
            ? new StationFailure('medium-not-allowed', `The token "${label}" is locked after too many wrong PINs; its security officer must unlock it.`)
            : name === 'CKR_USER_PIN_NOT_INITIALIZED'
              ? new StationFailure('medium-not-allowed', `The token "${label}" has no user PIN yet; initialize it first.`)
              : name === 'CKR_USER_ALREADY_LOGGED_IN' || name === 'CKR_USER_ANOTHER_ALREADY_LOGGED_IN'
                ? new StationFailure('medium-not-allowed', `The token "${label}" is already open in this station (it may hold the station’s own keys); the station will not write a client package to it.`)
                : this.fault(e, 'logging in');
      this.closeSession();
    }
  }

  /** The session is alive, logged in, and on the same token as at open. */
  private ready(): Buffer {
    if (this.failure) throw this.failure;
    if (this.released || !this.session || !this.slot) throw new StationFailure('medium-unplugged', 'The session with the token was closed.');
    let state: number;
    let info: Pkcs11.TokenInfo;
    try {
      state = this.lib.C_GetSessionInfo(this.session).state;
      info = this.lib.C_GetTokenInfo(this.slot);
    } catch (e) {
      throw this.fault(e, 'checking the token');
    }
    if (info.serialNumber.trim() !== this.serial) throw new StationFailure('wrong-device', `The token in the reader is not the one that was opened (serial ${info.serialNumber.trim()}, not ${this.serial}).`);
    if (state !== CKS_RW_USER_FUNCTIONS) throw new StationFailure('medium-unplugged', `The token "${this.target}" is no longer logged in (it was removed, or its session ended). Open it again.`);
    return this.session;
  }

  /** Whether the token still answers as the one opened. */
  private tokenAnswers(): boolean {
    if (!this.slot || !this.session) return false;
    try {
      this.lib.C_GetSessionInfo(this.session);
      return this.lib.C_GetTokenInfo(this.slot).serialNumber.trim() === this.serial;
    } catch {
      return false;
    }
  }

  /** A PKCS#11 error as a media fault, with the return value's name as its detail. */
  private fault(e: unknown, doing: string): StationFailure {
    if (e instanceof StationFailure) return e;
    const name = ckrName(e);
    const say = (code: MediaFaultCode, s: string): StationFailure => new StationFailure(code, `${s} (${doing}: ${name}).`);
    if (UNPLUGGED.has(name)) return say('medium-unplugged', `The token "${this.target}" was removed or stopped answering`);
    if (FULL.has(name)) return say('medium-full', `The token "${this.target}" has no room left for the package`);
    if (READ_ONLY.has(name)) return say('medium-read-only', `The token "${this.target}" is write-protected`);
    if (!this.tokenAnswers()) return say('medium-unplugged', `The token "${this.target}" stopped answering`);
    return say('medium-not-allowed', `The token "${this.target}" refused the operation`);
  }

  // ---- objects ---------------------------------------------------------------------------------

  /** Every object of this package on the token, of either profile, with its label. */
  private objectsOf(session: Buffer, packageId: string): { handle: Buffer; label: string; profile: HsmObjectProfile }[] {
    const p = pk();
    const prefix = `dske:${packageId}:`;
    const out: { handle: Buffer; label: string; profile: HsmObjectProfile }[] = [];
    const searches: [HsmObjectProfile, Pkcs11.Template][] = [
      ['data', [{ type: p.CKA_CLASS, value: p.CKO_DATA }, { type: p.CKA_APPLICATION, value: HSM_APPLICATION }]],
      ['secret', [{ type: p.CKA_CLASS, value: p.CKO_SECRET_KEY }, { type: p.CKA_KEY_TYPE, value: p.CKK_GENERIC_SECRET }]],
    ];
    for (const [profile, template] of searches) {
      const handles: Buffer[] = [];
      this.lib.C_FindObjectsInit(session, template);
      try {
        for (;;) {
          const batch = this.lib.C_FindObjects(session, 256);
          if (batch.length === 0) break;
          handles.push(...batch);
        }
      } finally {
        this.lib.C_FindObjectsFinal(session);
      }
      for (const handle of handles) {
        const [l] = this.lib.C_GetAttributeValue(session, handle, [{ type: p.CKA_LABEL }]);
        const label = (l.value as Buffer | undefined)?.toString('utf8') ?? '';
        if (label.startsWith(prefix)) out.push({ handle, label, profile });
      }
    }
    return out;
  }

  private template(piece: HsmObjectPlan, bytes: Buffer): Pkcs11.Template {
    const p = pk();
    const common = [
      { type: p.CKA_TOKEN, value: true },
      { type: p.CKA_PRIVATE, value: true },
      { type: p.CKA_MODIFIABLE, value: false },
      { type: p.CKA_COPYABLE, value: false },
      { type: p.CKA_LABEL, value: piece.label },
    ];
    if (this.profile === 'data') {
      return [{ type: p.CKA_CLASS, value: p.CKO_DATA }, ...common, { type: p.CKA_APPLICATION, value: HSM_APPLICATION }, { type: p.CKA_VALUE, value: bytes }];
    }
    return [
      { type: p.CKA_CLASS, value: p.CKO_SECRET_KEY },
      { type: p.CKA_KEY_TYPE, value: p.CKK_GENERIC_SECRET },
      ...common,
      { type: p.CKA_SENSITIVE, value: true },
      { type: p.CKA_EXTRACTABLE, value: false },
      // SIGN for the in-token HMAC check; SoftHSM2 sets ENCRYPT, DECRYPT, VERIFY, WRAP and UNWRAP when not told.
      { type: p.CKA_SIGN, value: true },
      { type: p.CKA_VERIFY, value: false },
      { type: p.CKA_ENCRYPT, value: false },
      { type: p.CKA_DECRYPT, value: false },
      { type: p.CKA_WRAP, value: false },
      { type: p.CKA_UNWRAP, value: false },
      { type: p.CKA_DERIVE, value: false },
      { type: p.CKA_VALUE, value: bytes },
    ];
  }

  /** The package re-cut into the planned pieces, each copied into its own buffer. */
  private async *pieces(pkg: PackageStream, plan: readonly HsmObjectPlan[]): AsyncGenerator<{ piece: HsmObjectPlan; bytes: Buffer }> {
    let i = 0;
    let buf = Buffer.allocUnsafe(plan[0].length);
    let fill = 0;
    let total = 0;
    for await (const chunk of pkg.pieces()) {
      total += chunk.length;
      if (total > pkg.length) throw new StationFailure('verify-failed', `The package ran past its announced ${pkg.length} bytes; nothing of it is kept on the token.`);
      let at = 0;
      while (at < chunk.length) {
        const take = Math.min(chunk.length - at, buf.length - fill);
        buf.set(chunk.subarray(at, at + take), fill);
        fill += take;
        at += take;
        if (fill === buf.length) {
          yield { piece: plan[i], bytes: buf };
          i++;
          fill = 0;
          buf = i < plan.length ? Buffer.allocUnsafe(plan[i].length) : Buffer.alloc(0);
        }
      }
    }
    if (total !== pkg.length || i !== plan.length) throw new StationFailure('verify-failed', `The package ended after ${total} of its announced ${pkg.length} bytes; nothing of it is kept on the token.`);
  }

  private destroyAll(session: Buffer, handles: readonly Buffer[]): void {
    for (const h of handles) {
      try {
        this.lib.C_DestroyObject(session, h);
      } catch {
        // Best effort: a removed token keeps what it had; discard() on a new login removes it.
      }
    }
  }

  // ---- Carrier ---------------------------------------------------------------------------------

  async describe(): Promise<MediumRecord> {
    let info: Pkcs11.TokenInfo | undefined;
    try {
      if (this.slot && !this.released) info = this.lib.C_GetTokenInfo(this.slot);
    } catch {
      info = undefined;
    }
    if (!info) return { kind: 'hsm', target: this.target, ...(this.serial ? { serial: this.serial } : {}), ...(this.model ? { model: this.model } : {}) };
    const size = known(info.totalPrivateMemory as number | bigint);
    return {
      kind: 'hsm',
      target: info.label.trim() || this.target,
      serial: info.serialNumber.trim(),
      model: `${info.manufacturerID.trim()} ${info.model.trim()}`.trim(),
      ...(size !== undefined ? { sizeBytes: size } : {}),
    };
  }

  async preflight(packageBytes: number): Promise<void> {
    this.ready();
    let info: Pkcs11.TokenInfo;
    try {
      info = this.lib.C_GetTokenInfo(this.slot as Buffer);
    } catch (e) {
      throw this.fault(e, 'reading the token’s information');
    }
    if (info.flags & pk().CKF_WRITE_PROTECTED) throw new StationFailure('medium-read-only', `The token "${this.target}" is write-protected.`);
    const free = known(info.freePrivateMemory as number | bigint);
    const objects = Math.max(1, Math.ceil(packageBytes / this.objectBytes));
    const need = packageBytes + objects * OBJECT_OVERHEAD;
    if (free !== undefined && free < need) throw new StationFailure('medium-full', `The token "${this.target}" has ${free} bytes free for private objects; this package needs about ${need}.`);
  }

  async write(pkg: PackageStream, progress: (p: CarrierProgress) => void, signal: AbortSignal): Promise<HsmTokenWritten> {
    const session = this.ready();
    if (signal.aborted) throw cancelled();
    let existing: number;
    try {
      existing = this.objectsOf(session, pkg.packageId).length;
    } catch (e) {
      throw this.fault(e, 'looking for the package on the token');
    }
    if (existing > 0) throw new StationFailure('medium-not-allowed', `The token "${this.target}" already holds ${existing} object(s) of package ${pkg.packageId}; the station does not write a package twice.`);
    const plan = planHsmObjects(pkg.packageId, pkg.length, this.objectBytes);
    const created: Buffer[] = [];
    const digests: string[] = [];
    let done = 0;
    progress({ phase: 'write', bytesDone: 0, bytesTotal: pkg.length });
    try {
      for await (const { piece, bytes } of this.pieces(pkg, plan)) {
        if (signal.aborted) throw cancelled();
        digests.push(sha256(bytes).toString('hex'));
        try {
          created.push(this.lib.C_CreateObject(session, this.template(piece, bytes)));
        } catch (e) {
          throw this.fault(e, `writing object ${piece.index + 1} of ${plan.length}`);
        } finally {
          bytes.fill(0);
        }
        done += piece.length;
        progress({ phase: 'write', bytesDone: done, bytesTotal: pkg.length });
      }
    } catch (e) {
      this.destroyAll(session, created);
      throw e instanceof StationFailure ? e : this.fault(e, 'writing');
    }
    // PKCS#11 has no commit: a token object is on the token when C_CreateObject returns.
    return { profile: this.profile, serial: this.serial as string, packageId: pkg.packageId, length: pkg.length, objects: plan.length, objectBytes: this.objectBytes, sha256: digests };
  }

  async verify(pkg: PackageStream, written: Written, progress: (p: CarrierProgress) => void, signal: AbortSignal): Promise<void> {
    const session = this.ready();
    const w = written as Partial<HsmTokenWritten>;
    const plan = planHsmObjects(pkg.packageId, pkg.length, typeof w.objectBytes === 'number' ? w.objectBytes : this.objectBytes);
    const failed = (why: string): StationFailure => new StationFailure('verify-failed', `What the token "${this.target}" holds is not what was written: ${why}.`);
    if (w.packageId !== undefined && w.packageId !== pkg.packageId) throw failed('the write was of another package');
    if (w.serial !== undefined && w.serial !== this.serial) throw failed('it was written to another token');
    const profile = w.profile ?? this.profile;
    const kept = Array.isArray(w.sha256) && w.sha256.length === plan.length ? w.sha256 : undefined;
    const p = pk();
    const onToken = new Map<string, Buffer[]>();
    let count = 0;
    try {
      for (const o of this.objectsOf(session, pkg.packageId)) {
        if (o.profile !== profile) throw failed(`${o.label} is of the other profile`);
        onToken.set(o.label, [...(onToken.get(o.label) ?? []), o.handle]);
        count++;
      }
    } catch (e) {
      throw this.fault(e, 'looking for the package on the token');
    }
    if (count !== plan.length) throw failed(`${count} objects of the package are there, ${plan.length} were written`);
    let done = 0;
    progress({ phase: 'verify', bytesDone: 0, bytesTotal: pkg.length });
    for await (const { piece, bytes } of this.pieces(pkg, plan)) {
      if (signal.aborted) throw new StationFailure('cancelled', 'The check of the package on the token was cancelled.');
      const what = `object ${piece.index + 1} of ${plan.length}`;
      const digest = sha256(bytes);
      if (kept && kept[piece.index] !== digest.toString('hex')) throw failed(`the package streamed again differs from the one written, at ${what}`);
      const handles = onToken.get(piece.label) ?? [];
      if (handles.length !== 1) throw failed(`${what} (${piece.label}) is missing`);
      const handle = handles[0];
      try {
        if (profile === 'data') {
          const [v] = this.lib.C_GetAttributeValue(session, handle, [{ type: p.CKA_VALUE }]);
          const value = v.value as Buffer | undefined;
          if (!value || value.length !== piece.length || !sha256(value).equals(digest)) throw failed(`${what} has other bytes`);
        } else {
          this.checkSecret(session, handle, bytes, what, failed);
        }
      } catch (e) {
        throw this.fault(e, `reading ${what} back`);
      } finally {
        bytes.fill(0);
      }
      done += piece.length;
      progress({ phase: 'verify', bytesDone: done, bytesTotal: pkg.length });
    }
  }

  /** A secret piece, checked without reading it: its protection, length, check value and an in-token HMAC. */
  private checkSecret(session: Buffer, handle: Buffer, bytes: Buffer, what: string, failed: (why: string) => StationFailure): void {
    const p = pk();
    const attrs = this.lib.C_GetAttributeValue(session, handle, [
      { type: p.CKA_CLASS },
      { type: p.CKA_KEY_TYPE },
      { type: p.CKA_VALUE_LEN },
      { type: p.CKA_SENSITIVE },
      { type: p.CKA_EXTRACTABLE },
    ]);
    const [cls, type, len, sensitive, extractable] = attrs.map((a) => a.value as Buffer | undefined);
    const ulong = (b: Buffer | undefined): number | undefined => (b && b.length >= 4 ? (b.length >= 8 ? Number(b.readBigUInt64LE(0)) : b.readUInt32LE(0)) : undefined);
    if (ulong(cls) !== p.CKO_SECRET_KEY || ulong(type) !== p.CKK_GENERIC_SECRET) throw failed(`${what} is not a generic secret`);
    if (bool(sensitive) !== true || bool(extractable) !== false) throw failed(`${what} is not sensitive and unextractable`);
    if (ulong(len) !== bytes.length) throw failed(`${what} has ${ulong(len)} bytes, not ${bytes.length}`);
    let checked = false;
    let kcv: Buffer | undefined;
    try {
      kcv = this.lib.C_GetAttributeValue(session, handle, [{ type: p.CKA_CHECK_VALUE }])[0].value as Buffer | undefined;
    } catch (e) {
      if (ckrName(e) !== 'CKR_ATTRIBUTE_TYPE_INVALID' && ckrName(e) !== 'CKR_ATTRIBUTE_SENSITIVE') throw e;
    }
    if (kcv && kcv.length > 0) {
      // SoftHSM2 (and PKCS#11 3.0 for generic secrets): the first 3 bytes of SHA-1 of the value.
      if (!kcv.equals(kcvOf(bytes).subarray(0, kcv.length))) throw failed(`${what} has another check value`);
      checked = true;
    }
    if (bytes.length >= HMAC_MIN_KEY) {
      const challenge = randomBytes(32);
      let mac: Buffer | undefined;
      try {
        this.lib.C_SignInit(session, { mechanism: p.CKM_SHA256_HMAC }, handle);
        mac = this.lib.C_Sign(session, challenge, Buffer.alloc(32));
      } catch (e) {
        const name = ckrName(e);
        if (name !== 'CKR_MECHANISM_INVALID' && name !== 'CKR_KEY_SIZE_RANGE' && name !== 'CKR_KEY_FUNCTION_NOT_PERMITTED' && name !== 'CKR_KEY_TYPE_INCONSISTENT') throw e;
      }
      if (mac) {
        if (!mac.equals(createHmac('sha256', bytes).update(challenge).digest())) throw failed(`${what} gives another HMAC`);
        checked = true;
      }
    }
    if (!checked) throw failed(`the token offers no way to check ${what} (no check value, no HMAC)`);
  }

  /**
   * The bytes of a package (or any stream written through this carrier, such as a bulk shipment) read
   * back from the token in order, object by object: only the 'data' profile can be read. Throws a media
   * fault when an object is missing, doubled or of the other profile; the caller authenticates the bytes.
   */
  async *readBack(packageId: string): AsyncGenerator<Buffer> {
    const session = this.ready();
    const p = pk();
    let found: { handle: Buffer; label: string; profile: HsmObjectProfile }[];
    try {
      found = this.objectsOf(session, packageId);
    } catch (e) {
      throw this.fault(e, 'looking for the objects on the token');
    }
    if (found.length === 0) throw new StationFailure('medium-not-allowed', `The token "${this.target}" holds nothing of ${packageId}.`);
    const parsed = found.map((o) => {
      const m = /:(\d+)\/(\d+)@(\d+)$/.exec(o.label);
      return { ...o, index: m ? Number(m[1]) : 0, count: m ? Number(m[2]) : 0, offset: m ? Number(m[3]) : -1 };
    }).sort((a, b) => a.index - b.index);
    const count = parsed[0].count;
    if (parsed.some((o) => o.profile !== 'data')) throw new StationFailure('medium-not-allowed', `${packageId} is on the token "${this.target}" as unextractable secrets: it cannot be read out, only used in place.`);
    if (parsed.length !== count || parsed.some((o, i) => o.index !== i + 1 || o.count !== count)) {
      throw new StationFailure('verify-failed', `The token "${this.target}" holds ${parsed.length} object(s) of ${packageId} where its labels say ${count}: some are missing or doubled.`);
    }
    let at = 0;
    for (const o of parsed) {
      if (o.offset !== at) throw new StationFailure('verify-failed', `Object ${o.index} of ${packageId} on the token starts at byte ${o.offset}, not ${at}: the objects do not join up.`);
      let value: Buffer | undefined;
      try {
        value = this.lib.C_GetAttributeValue(this.ready(), o.handle, [{ type: p.CKA_VALUE }])[0].value as Buffer | undefined;
      } catch (e) {
        throw this.fault(e, `reading object ${o.index} of ${count}`);
      }
      if (!value) throw new StationFailure('verify-failed', `Object ${o.index} of ${packageId} on the token has no value.`);
      at += value.length;
      yield value;
    }
  }

  async discard(pkg: Pick<PackageStream, 'packageId'>): Promise<void> {
    if (this.failure || this.released || !this.session) return;
    try {
      this.destroyAll(this.session, this.objectsOf(this.session, pkg.packageId).map((o) => o.handle));
    } catch {
      // Never throws: a voided delivery is recorded whatever the token says.
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.loggedIn && this.session) {
      try {
        this.lib.C_Logout(this.session);
      } catch {
        // The token may be gone already.
      }
      this.loggedIn = false;
    }
    this.closeSession();
    if (this.ownsLibrary) {
      try {
        this.lib.C_Finalize();
      } catch {
        // Nothing more to do.
      }
    }
  }

  private closeSession(): void {
    if (!this.session) return;
    try {
      this.lib.C_CloseSession(this.session);
    } catch {
      // Closed already (token removed).
    }
    this.session = undefined;
  }
}

function cancelled(): StationFailure {
  return new StationFailure('cancelled', 'The delivery was cancelled; what it had put on the token was removed.');
}
