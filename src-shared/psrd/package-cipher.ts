// AES-256-GCM for client packages in every process (@noble/ciphers, audited, pure JS). The station's
// main process uses node:crypto for throughput (src-node/psrd-store/package-cipher-node.ts); a test
// shows that both produce and accept the same bytes.
import { gcm } from '@noble/ciphers/aes.js';
import type { ChunkCipher } from './package-format';

export const nobleCipher: ChunkCipher = {
  seal: (key, nonce, aad, plain) => gcm(key, nonce, aad).encrypt(plain),
  open: (key, nonce, aad, sealed) => {
    try {
      return gcm(key, nonce, aad).decrypt(sealed);
    } catch {
      return null;
    }
  },
};
