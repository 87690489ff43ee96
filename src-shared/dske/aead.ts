// The §11.4 wrapper: every DSKE message travels inside an AEAD envelope under a reusable AES-256
// key shared by client and hub (an "initial key", §11.1), with the key identifier and nonce in the
// clear. It guards against denial of service by depleting one-time MAC keys (§11.6) and hides
// metadata. Its protection is computational; the information-theoretic guarantees come from the
// PSRD-keyed tag and one-time pad inside (App. A). AES-256-GCM-SIV is the default because it
// survives an accidental nonce repeat; AES-256-GCM is offered for peers that lack it.
import { gcm, gcmsiv } from '@noble/ciphers/aes.js';
import { abytes } from './bytes';
import { DskeError } from './errors';
import { draw, randomBytes, type RandomSource } from './random';
import { decodeEnvelope, encodeEnvelope, ENVELOPE_HEADER_BYTES, KEY_ID_BYTES, NONCE_BYTES, type AeadAlg } from './wire';

export const AEAD_KEY_BYTES = 32;

export interface SealOptions {
  readonly alg?: AeadAlg;
  /** 12 bytes; default: fresh random. Never repeat a nonce under one key with AES-GCM. */
  readonly nonce?: Uint8Array;
  readonly random?: RandomSource;
}

const cipherOf = (alg: AeadAlg) => (alg === 'aes-256-gcm' ? gcm : gcmsiv);

/** Wrap `plaintext` (an encoded DSKE message) in an envelope; the header is the AEAD's associated data. */
export function seal(key: Uint8Array, keyId: Uint8Array, plaintext: Uint8Array, opts: SealOptions = {}): Uint8Array {
  abytes(key, AEAD_KEY_BYTES, 'AEAD key');
  abytes(keyId, KEY_ID_BYTES, 'keyId');
  abytes(plaintext, undefined, 'plaintext');
  const alg = opts.alg ?? 'aes-256-gcm-siv';
  const nonce = opts.nonce === undefined ? draw(opts.random ?? randomBytes, NONCE_BYTES) : abytes(opts.nonce, NONCE_BYTES, 'nonce');
  // Encode once with a placeholder to fix the header, which is then authenticated as AAD.
  const frame = encodeEnvelope({ alg, keyId, nonce, sealed: new Uint8Array(plaintext.length + 16) });
  const header = frame.subarray(0, ENVELOPE_HEADER_BYTES);
  frame.set(cipherOf(alg)(key, nonce, header).encrypt(plaintext), ENVELOPE_HEADER_BYTES);
  return frame;
}

/** Returns the AEAD key for a key identifier, or undefined if unknown. */
export type KeyLookup = (keyId: Uint8Array) => Uint8Array | undefined;

export interface Opened {
  readonly alg: AeadAlg;
  readonly keyId: Uint8Array;
  readonly plaintext: Uint8Array;
}

/**
 * Unwrap an envelope. Malformed bytes → DskeDecodeError; unknown key, wrong key or any altered
 * byte → DskeError('aead').
 */
export function open(keys: Uint8Array | KeyLookup, frame: Uint8Array): Opened {
  const env = decodeEnvelope(frame);
  const key = typeof keys === 'function' ? keys(env.keyId) : keys;
  if (key === undefined) throw new DskeError('aead', 'unknown key identifier');
  abytes(key, AEAD_KEY_BYTES, 'AEAD key');
  let plaintext: Uint8Array;
  try {
    plaintext = cipherOf(env.alg)(key, env.nonce, frame.subarray(0, ENVELOPE_HEADER_BYTES)).decrypt(env.sealed);
  } catch {
    throw new DskeError('aead', 'envelope does not authenticate');
  }
  return { alg: env.alg, keyId: env.keyId, plaintext };
}
