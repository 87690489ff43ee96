// RFC 9162 Merkle hashing (src-shared/ledger/merkle.ts): roots checked against an independent
// bottom-up computation, every consistency proof for sizes up to 40 verified, and tampered proofs,
// roots and sizes refused.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { consistencyProof, leafHash, nodeHash, rootHash, verifyConsistency } from '../../src-shared/ledger/merkle';

const sha = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
const leaves = (n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => leafHash(sha(new Uint8Array([i & 0xff, i >> 8]))));

/** RFC 9162's definition, computed differently: pair up each level left to right, promoting an odd last node. */
function bottomUp(level: Uint8Array[]): Uint8Array {
  if (level.length === 0) return sha(new Uint8Array(0));
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(sha(new Uint8Array([1]), level[i], level[i + 1]));
    if (level.length % 2) next.push(level[level.length - 1]);
    level = next;
  }
  return level[0];
}

describe('RFC 9162 Merkle tree', () => {
  it('hashes leaves and nodes with their domain prefixes', () => {
    const d = new Uint8Array([1, 2, 3]);
    expect(leafHash(d)).toEqual(sha(new Uint8Array([0]), d));
    expect(nodeHash(d, d)).toEqual(sha(new Uint8Array([1]), d, d));
    expect(Buffer.from(rootHash([])).toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('agrees with a bottom-up computation for every size to 70', () => {
    for (let n = 0; n <= 70; n++) expect(rootHash(leaves(n))).toEqual(bottomUp(leaves(n)));
  });

  it('proves and verifies consistency for every pair of sizes to 40, and refuses tampering', () => {
    const all = leaves(40);
    for (let n = 1; n <= 40; n++) {
      const second = rootHash(all, n);
      for (let m = 1; m <= n; m++) {
        const first = rootHash(all, m);
        const proof = consistencyProof(all, m, n);
        expect(verifyConsistency(m, n, first, second, proof), `${m} -> ${n}`).toBe(true);
        if (m === n) continue;
        const bad = sha(new Uint8Array([9]));
        expect(verifyConsistency(m, n, bad, second, proof)).toBe(false);
        expect(verifyConsistency(m, n, first, bad, proof)).toBe(false);
        if (proof.length > 0) expect(verifyConsistency(m, n, first, second, [bad, ...proof.slice(1)])).toBe(false);
      }
    }
  });

  it('refuses a rewrite below the older tree', () => {
    const all = leaves(20);
    const first = rootHash(all, 8);
    const rewritten = [...all];
    rewritten[3] = leafHash(new Uint8Array([0xee]));
    expect(verifyConsistency(8, 20, first, rootHash(rewritten), consistencyProof(rewritten, 8, 20))).toBe(false);
  });
});
