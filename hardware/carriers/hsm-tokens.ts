// The tokens present in a PKCS#11 module, as the desk chooses one for a client (issue S9: a live list of
// the media present, never one pre-selected): label, serial, model and free private memory, read from
// the token information alone — no session, no login, no PIN.
import { createRequire } from 'node:module';
import type * as Pkcs11 from 'pkcs11js';

export interface TokenDescription {
  readonly label: string;
  readonly serial: string;
  readonly model: string;
  readonly manufacturer: string;
  /** Free memory for private objects, where the token says (many say "unavailable"). */
  readonly freePrivateBytes: number | null;
}

/** PKCS#11's "unavailable" and "effectively infinite" markers for a CK_ULONG. */
const UNKNOWN = new Set([0xffffffff, 0xfffffffe, Number.MAX_SAFE_INTEGER]);

/**
 * Lists the initialized tokens present in `module`. Throws (with the reason) only when the module cannot be
 * loaded or started; a slot that does not answer is left out.
 */
export function listTokens(module: string): TokenDescription[] {
  const pk = createRequire(import.meta.url)('pkcs11js') as typeof Pkcs11;
  const lib = new pk.PKCS11();
  lib.load(module);
  let owns = true;
  try {
    lib.C_Initialize();
  } catch (e) {
    // The station's master key (or a carrier) uses the module already: share it, never finalize it.
    if (!String((e as Error).message).includes('CKR_CRYPTOKI_ALREADY_INITIALIZED')) throw e;
    owns = false;
  }
  try {
    const out: TokenDescription[] = [];
    for (const slot of lib.C_GetSlotList(true)) {
      try {
        const t = lib.C_GetTokenInfo(slot);
        // A token never initialized (SoftHSM keeps one free slot so) holds nothing and takes nothing.
        if ((t.flags & pk.CKF_TOKEN_INITIALIZED) === 0) continue;
        const free = Number(t.freePrivateMemory);
        out.push({
          label: t.label.trim(),
          serial: t.serialNumber.trim(),
          model: t.model.trim(),
          manufacturer: t.manufacturerID.trim(),
          freePrivateBytes: Number.isFinite(free) && !UNKNOWN.has(free) ? free : null,
        });
      } catch {
        // A token that does not answer is not listed.
      }
    }
    return out;
  } finally {
    if (owns) lib.C_Finalize();
  }
}
