// An AES-256 key that lives in a PKCS#11 token and never leaves it (CKA_SENSITIVE, !CKA_EXTRACTABLE;
// docs/references.md, PKCS#11). The station keeps its master key here when a token is configured, so
// that the key wrapping every segment's data keys can be destroyed for real. Encryption is AES-GCM in the token.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Pkcs11 from 'pkcs11js';

// Loaded on first use: a station without a token never needs the native module to load.
let loaded: typeof Pkcs11 | undefined;
function pkcs11(): typeof Pkcs11 {
  loaded ??= createRequire(import.meta.url)('pkcs11js') as typeof Pkcs11;
  return loaded;
}

export interface TokenKeyConfig {
  /** Path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  readonly module: string;
  /** The token's label; the slot is found by it, never by number (slots renumber). */
  readonly tokenLabel: string;
  readonly keyLabel: string;
  readonly pin: string;
}

export class TokenKeyError extends Error {
  constructor(readonly code: 'module' | 'token-not-found' | 'login' | 'key' | 'crypto', message: string) {
    super(message);
    this.name = 'TokenKeyError';
  }
}

const ckrName = (e: unknown): string => (e instanceof Error ? e.message.split(':')[0] : String(e));

export class Pkcs11AesKey {
  private constructor(
    private readonly lib: Pkcs11.PKCS11,
    private readonly session: Buffer,
    private readonly key: Buffer,
    readonly created: boolean,
  ) {}

  /** Opens the token, logs in, and finds the key by label, generating it in the token on first use. */
  static open(config: TokenKeyConfig): Pkcs11AesKey {
    let lib: Pkcs11.PKCS11;
    try {
      lib = new (pkcs11().PKCS11)();
      lib.load(config.module);
      lib.C_Initialize();
    } catch (e) {
      throw new TokenKeyError('module', `The PKCS#11 module ${config.module} could not be loaded (${ckrName(e)}).`);
    }
    try {
      const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === config.tokenLabel);
      if (!slot) throw new TokenKeyError('token-not-found', `No PKCS#11 token labelled "${config.tokenLabel}" is present.`);
      const session = lib.C_OpenSession(slot, pkcs11().CKF_SERIAL_SESSION | pkcs11().CKF_RW_SESSION);
      try {
        lib.C_Login(session, pkcs11().CKU_USER, config.pin);
      } catch (e) {
        if (ckrName(e) !== 'CKR_USER_ALREADY_LOGGED_IN') throw new TokenKeyError('login', `Logging in to token "${config.tokenLabel}" failed (${ckrName(e)}).`);
      }
      const found = findKey(lib, session, config.keyLabel);
      if (found) return new Pkcs11AesKey(lib, session, found, false);
      const key = lib.C_GenerateKey(session, { mechanism: pkcs11().CKM_AES_KEY_GEN }, [
        { type: pkcs11().CKA_CLASS, value: pkcs11().CKO_SECRET_KEY },
        { type: pkcs11().CKA_KEY_TYPE, value: pkcs11().CKK_AES },
        { type: pkcs11().CKA_VALUE_LEN, value: 32 },
        { type: pkcs11().CKA_LABEL, value: config.keyLabel },
        { type: pkcs11().CKA_TOKEN, value: true },
        { type: pkcs11().CKA_PRIVATE, value: true },
        { type: pkcs11().CKA_SENSITIVE, value: true },
        { type: pkcs11().CKA_EXTRACTABLE, value: false },
        { type: pkcs11().CKA_ENCRYPT, value: true },
        { type: pkcs11().CKA_DECRYPT, value: true },
      ]);
      return new Pkcs11AesKey(lib, session, key, true);
    } catch (e) {
      lib.C_Finalize();
      if (e instanceof TokenKeyError) throw e;
      throw new TokenKeyError('key', `The master key in the token could not be opened (${ckrName(e)}).`);
    }
  }

  /** Reads back the protection attributes (tests and `sources list` show that the key cannot leave). */
  attributes(): { sensitive: boolean; extractable: boolean } {
    const [s, x] = this.lib.C_GetAttributeValue(this.session, this.key, [{ type: pkcs11().CKA_SENSITIVE }, { type: pkcs11().CKA_EXTRACTABLE }]);
    return { sensitive: (s.value as Buffer)[0] === 1, extractable: (x.value as Buffer)[0] === 1 };
  }

  /** AES-256-GCM in the token: returns nonce(12) ‖ ciphertext ‖ tag(16). */
  seal(plain: Uint8Array, aad: Uint8Array): Buffer {
    const iv = randomBytes(12);
    try {
      this.lib.C_EncryptInit(this.session, gcm(iv, aad), this.key);
      const out = this.lib.C_Encrypt(this.session, Buffer.from(plain), Buffer.alloc(plain.length + 16));
      return Buffer.concat([iv, out]);
    } catch (e) {
      throw new TokenKeyError('crypto', `The token could not encrypt (${ckrName(e)}).`);
    }
  }

  open(sealed: Uint8Array, aad: Uint8Array): Buffer {
    try {
      this.lib.C_DecryptInit(this.session, gcm(Buffer.from(sealed.subarray(0, 12)), aad), this.key);
      return this.lib.C_Decrypt(this.session, Buffer.from(sealed.subarray(12)), Buffer.alloc(sealed.length - 12));
    } catch (e) {
      throw new TokenKeyError('crypto', `The token refused to decrypt (${ckrName(e)}): wrong key or damaged data.`);
    }
  }

  /**
   * An HMAC-SHA-256 key beside this one in the same token and session (generated there on first use:
   * a 32-byte generic secret, sensitive, not extractable, sign and verify only). The station
   * authenticates its ledger with it, so that the ledger's head cannot be re-signed without the token.
   */
  hmacKey(label: string): { sign(data: Uint8Array): Buffer } {
    let key: Buffer | null;
    try {
      key = findKey(this.lib, this.session, label);
      key ??= this.lib.C_GenerateKey(this.session, { mechanism: pkcs11().CKM_GENERIC_SECRET_KEY_GEN }, [
        { type: pkcs11().CKA_CLASS, value: pkcs11().CKO_SECRET_KEY },
        { type: pkcs11().CKA_KEY_TYPE, value: pkcs11().CKK_GENERIC_SECRET },
        { type: pkcs11().CKA_VALUE_LEN, value: 32 },
        { type: pkcs11().CKA_LABEL, value: label },
        { type: pkcs11().CKA_TOKEN, value: true },
        { type: pkcs11().CKA_PRIVATE, value: true },
        { type: pkcs11().CKA_SENSITIVE, value: true },
        { type: pkcs11().CKA_EXTRACTABLE, value: false },
        { type: pkcs11().CKA_SIGN, value: true },
        { type: pkcs11().CKA_VERIFY, value: true },
      ]);
    } catch (e) {
      throw new TokenKeyError('key', `The audit key in the token could not be opened (${ckrName(e)}).`);
    }
    const k = key;
    return {
      sign: (data) => {
        try {
          this.lib.C_SignInit(this.session, { mechanism: pkcs11().CKM_SHA256_HMAC }, k);
          return this.lib.C_Sign(this.session, Buffer.from(data), Buffer.alloc(32));
        } catch (e) {
          throw new TokenKeyError('crypto', `The token could not sign (${ckrName(e)}).`);
        }
      },
    };
  }

  close(): void {
    try {
      this.lib.C_CloseSession(this.session);
    } finally {
      this.lib.C_Finalize();
    }
  }
}

function gcm(iv: Buffer, aad: Uint8Array): Pkcs11.Mechanism {
  return { mechanism: pkcs11().CKM_AES_GCM, parameter: { type: pkcs11().CK_PARAMS_AES_GCM, iv, aad: Buffer.from(aad), ivBits: 96, tagBits: 128 } as Pkcs11.AesGCM };
}

function findKey(lib: Pkcs11.PKCS11, session: Buffer, label: string): Buffer | null {
  lib.C_FindObjectsInit(session, [
    { type: pkcs11().CKA_CLASS, value: pkcs11().CKO_SECRET_KEY },
    { type: pkcs11().CKA_LABEL, value: label },
  ]);
  try {
    return lib.C_FindObjects(session);
  } finally {
    lib.C_FindObjectsFinal(session);
  }
}
