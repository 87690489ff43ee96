// Public surface of the DSKE core (draft-mwag-dske-00 in docs/spec/: App. A, §11.4, §11.6). See README.md.
export { DskeDecodeError, DskeError, isDskeError, type DskeErrorCode } from './errors';
export * as gf128 from './gf128';
export * as gf8 from './gf8';
export { hash, secretHash } from './polyhash';
export { MAC_KEY_BYTES, messageTag, signFrame, verifyFrame } from './mac';
export { combine128, interpolate128, split128, combine8, interpolate8, split8, type Share128, type Share8 } from './shamir';
export { combineRobust, type RobustResult } from './shamir-robust';
export * from './appendix-a';
export {
  decodeEnvelope, decodeShareMessage, encodeEnvelope, encodeShareMessage, peekType, shareMessageLength,
  WIRE_VERSION, MAX_M, SECRET_ID_BYTES, KEY_ID_BYTES, NONCE_BYTES,
  type AeadAlg, type Envelope, type ShareMessage,
} from './wire';
export { AEAD_KEY_BYTES, open, seal, type KeyLookup, type Opened, type SealOptions } from './aead';
export { ReplayGuard, type ReplayEntry } from './replay';
export { randomBytes, type RandomSource } from './random';
