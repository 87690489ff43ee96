// A client package from a PKCS#11 token (issue S10, part 2; docs/formats.md, "HSM token objects"): the
// objects the station's HSM carrier writes, labelled dske:<package>:<i>/<n>@<offset>, found by the
// token's label (never a slot number), read after one C_Login with the PIN (which is then dropped) and
// put together in order, each object checked against its label's place. Profile 'data' (CKO_DATA) is
// read by value. Profile 'secret' (sensitive, CKA_EXTRACTABLE false) cannot be: its pieces never leave
// the token, which is for clients that use their PSRD inside it; that is said plainly and nothing is read.
import { createRequire } from 'node:module';
import type * as Pkcs11 from 'pkcs11js';
import { ClientFailure } from '../errors';

let loaded: typeof Pkcs11 | undefined;
const pk = (): typeof Pkcs11 => (loaded ??= createRequire(import.meta.url)('pkcs11js') as typeof Pkcs11);

export const DEFAULT_PKCS11_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export interface TokenSource {
  readonly module: string;
  readonly token: string;
  readonly pin: string;
  /** Which package, when the token holds more than one. */
  readonly packageId?: string;
}

const LABEL = /^dske:(pkg-[0-9a-f]{32}):(\d{1,6})\/(\d{1,6})@(\d{1,12})$/;
const ckr = (e: unknown): string => (e instanceof Error ? (e.message.split(':')[0] ?? '').trim() : 'unknown error');

interface Piece {
  readonly handle: Buffer;
  readonly label: string;
  readonly index: number;
  readonly count: number;
  readonly offset: number;
  readonly secret: boolean;
}

function findPieces(lib: Pkcs11.PKCS11, session: Buffer): Piece[] {
  const p = pk();
  const out: Piece[] = [];
  for (const [secret, cls] of [[false, p.CKO_DATA], [true, p.CKO_SECRET_KEY]] as const) {
    const handles: Buffer[] = [];
    lib.C_FindObjectsInit(session, [{ type: p.CKA_CLASS, value: cls }]);
    try {
      for (;;) {
        const batch = lib.C_FindObjects(session, 256);
        if (batch.length === 0) break;
        handles.push(...batch);
      }
    } finally {
      lib.C_FindObjectsFinal(session);
    }
    for (const handle of handles) {
      const [l] = lib.C_GetAttributeValue(session, handle, [{ type: p.CKA_LABEL }]);
      const label = (l?.value as Buffer | undefined)?.toString('utf8') ?? '';
      const m = LABEL.exec(label);
      if (m) out.push({ handle, label, index: Number(m[2]), count: Number(m[3]), offset: Number(m[4]), secret });
    }
  }
  return out;
}

function readPieces(lib: Pkcs11.PKCS11, session: Buffer, token: string, packageId: string, pieces: Piece[]): Uint8Array {
  const p = pk();
  if (pieces.some((x) => x.secret)) {
    throw new ClientFailure('token-not-extractable', `Package ${packageId} is on the token "${token}" as secret keys that cannot be extracted (profile "secret"): its PSRD never leaves the token, so this client cannot import it. That profile is for clients that use the token in place; ask the desk for the "data" profile, a file or a QR sheet.`);
  }
  const sorted = [...pieces].sort((a, b) => a.index - b.index);
  const count = sorted[0]!.count;
  const parts: Buffer[] = [];
  let at = 0;
  sorted.forEach((x, i) => {
    if (x.count !== count || x.index !== i + 1 || x.offset !== at) {
      throw new ClientFailure('token', `The objects of package ${packageId} on the token "${token}" do not follow each other (${sorted.map((y) => y.label.replace(/^dske:pkg-[0-9a-f]+:/, '')).join(', ')}); nothing was imported.`);
    }
    let v: Buffer | undefined;
    try {
      v = lib.C_GetAttributeValue(session, x.handle, [{ type: p.CKA_VALUE }])[0]?.value as Buffer | undefined;
    } catch (e) {
      if (ckr(e) === 'CKR_ATTRIBUTE_SENSITIVE') throw new ClientFailure('token-not-extractable', `The token "${token}" will not give out object ${x.label} (it is sensitive); nothing was imported.`);
      throw new ClientFailure('token', `The token "${token}" did not give object ${x.label} (${ckr(e)}); nothing was imported.`);
    }
    if (!v) throw new ClientFailure('token', `Object ${x.label} on the token "${token}" has no value; nothing was imported.`);
    parts.push(v);
    at += v.length;
  });
  if (sorted.length !== count) throw new ClientFailure('token', `Only ${sorted.length} of the ${count} objects of package ${packageId} are on the token "${token}"; nothing was imported.`);
  const whole = new Uint8Array(Buffer.concat(parts));
  for (const b of parts) b.fill(0);
  return whole;
}

/** The bytes of one client package stored on the token. */
export function readPackageFromToken(src: TokenSource): Uint8Array {
  const p = pk();
  const lib = new p.PKCS11();
  try {
    lib.load(src.module);
  } catch (e) {
    throw new ClientFailure('token', `The PKCS#11 module ${src.module} could not be loaded (${ckr(e)}).`);
  }
  let owns = true;
  try {
    lib.C_Initialize();
  } catch (e) {
    if (ckr(e) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') throw new ClientFailure('token', `The PKCS#11 module ${src.module} did not start (${ckr(e)}).`);
    owns = false;
  }
  let session: Buffer | undefined;
  let loggedIn = false;
  try {
    const slots = lib.C_GetSlotList(true).filter((s) => {
      try {
        return lib.C_GetTokenInfo(s).label.trim() === src.token;
      } catch {
        return false;
      }
    });
    if (slots.length === 0) throw new ClientFailure('token', `No token "${src.token}" is present. Plug it in, or check its label.`);
    if (slots.length > 1) throw new ClientFailure('token', `${slots.length} tokens are labelled "${src.token}"; keep only one plugged in.`);
    session = lib.C_OpenSession(slots[0]!, p.CKF_SERIAL_SESSION);
    try {
      lib.C_Login(session, p.CKU_USER, src.pin);
      loggedIn = true;
    } catch (e) {
      const name = ckr(e);
      // Another part of this process is logged in to the token already: read under its login, and leave it.
      if (name === 'CKR_USER_ALREADY_LOGGED_IN') loggedIn = false;
      else if (name === 'CKR_PIN_INCORRECT' || name === 'CKR_PIN_INVALID' || name === 'CKR_PIN_LEN_RANGE') throw new ClientFailure('token', `The token "${src.token}" refused the PIN; it may lock after a few wrong tries.`);
      else if (name === 'CKR_PIN_LOCKED') throw new ClientFailure('token', `The token "${src.token}" is locked after too many wrong PINs.`);
      else throw new ClientFailure('token', `The token "${src.token}" refused the login (${name}).`);
    }
    const all = findPieces(lib, session);
    const ids = [...new Set(all.map((x) => LABEL.exec(x.label)![1]!))].sort();
    if (ids.length === 0) throw new ClientFailure('token', `The token "${src.token}" holds no DSKE client package.`);
    const id = src.packageId ?? (ids.length === 1 ? ids[0]! : undefined);
    if (!id) throw new ClientFailure('bad-request', `The token "${src.token}" holds ${ids.length} packages (${ids.join(', ')}); name one with --package.`);
    const mine = all.filter((x) => x.label.startsWith(`dske:${id}:`));
    if (mine.length === 0) throw new ClientFailure('token', `The token "${src.token}" holds no package ${id}.`);
    return readPieces(lib, session, src.token, id, mine);
  } catch (e) {
    if (e instanceof ClientFailure) throw e;
    throw new ClientFailure('token', `The token "${src.token}" could not be read (${ckr(e)}).`);
  } finally {
    if (session) {
      try {
        if (loggedIn) lib.C_Logout(session);
        lib.C_CloseSession(session);
      } catch {
        // the token may be gone
      }
    }
    if (owns) {
      try {
        lib.C_Finalize();
      } catch {
        // nothing more to do
      }
    }
  }
}
