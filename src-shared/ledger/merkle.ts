// Merkle tree hashing of RFC 9162 (Certificate Transparency 2.0) §2.1 over the ledger's entries, for
// checkpoints that an auditor keeps and the Security Server witnesses: a checkpoint names a tree size
// and root hash; a later ledger proves that it extends the checkpoint with a consistency proof
// (§2.1.4), which needs only O(log n) hashes. A leaf's data is an entry's 32-byte chain hash.
import { sha256 } from '@noble/hashes/sha2.js';

const LEAF = 0x00;
const NODE = 0x01;

export function leafHash(data: Uint8Array): Uint8Array {
  const b = new Uint8Array(data.length + 1);
  b[0] = LEAF;
  b.set(data, 1);
  return sha256(b);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const b = new Uint8Array(1 + left.length + right.length);
  b[0] = NODE;
  b.set(left, 1);
  b.set(right, 1 + left.length);
  return sha256(b);
}

/** The largest power of two smaller than n (n ≥ 2). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[lo:hi]) over leaf hashes (already hashed with leafHash). */
function mth(leaves: readonly Uint8Array[], lo: number, hi: number): Uint8Array {
  const n = hi - lo;
  if (n === 0) return sha256(new Uint8Array(0));
  if (n === 1) return leaves[lo];
  const k = split(n);
  return nodeHash(mth(leaves, lo, lo + k), mth(leaves, lo + k, hi));
}

/** The root hash of the first `size` leaves (leaf hashes, not leaf data). */
export function rootHash(leaves: readonly Uint8Array[], size = leaves.length): Uint8Array {
  if (size > leaves.length) throw new RangeError('tree size beyond the leaves given');
  return mth(leaves, 0, size);
}

/** RFC 9162 §2.1.4.1: the consistency proof from the tree of size m to the tree of size n (0 < m ≤ n). */
export function consistencyProof(leaves: readonly Uint8Array[], m: number, n = leaves.length): Uint8Array[] {
  if (!(0 < m && m <= n && n <= leaves.length)) throw new RangeError('consistency proof needs 0 < m <= n');
  const sub = (m: number, lo: number, hi: number, whole: boolean): Uint8Array[] => {
    const size = hi - lo;
    if (m === size) return whole ? [] : [mth(leaves, lo, hi)];
    const k = split(size);
    if (m <= k) return [...sub(m, lo, lo + k, whole), mth(leaves, lo + k, hi)];
    return [...sub(m - k, lo + k, hi, false), mth(leaves, lo, lo + k)];
  };
  return sub(m, 0, n, true);
}

const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/** RFC 9162 §2.1.4.2: whether `proof` shows that the tree (n, second) extends the tree (m, first). */
export function verifyConsistency(m: number, n: number, first: Uint8Array, second: Uint8Array, proof: readonly Uint8Array[]): boolean {
  if (m < 1 || m > n) return false;
  if (m === n) return proof.length === 0 && equal(first, second);
  if (proof.length === 0) return false;
  const path = [...proof];
  // If m is an exact power of two, the first tree's root is the first node of the path.
  if ((m & (m - 1)) === 0) path.unshift(first);
  let fn = m - 1;
  let sn = n - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  let fr = path[0];
  let sr = path[0];
  for (let i = 1; i < path.length; i++) {
    const c = path[i];
    if (sn === 0) return false;
    if (fn & 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!(fn & 1)) {
        while (fn !== 0 && !(fn & 1)) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 && equal(fr, first) && equal(sr, second);
}
