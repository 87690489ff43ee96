// Test-only helpers: hex is fine here (never in src-shared), and the known-answer file is read at
// test time from test/vectors/appendix-a.json (where each value comes from: test/vectors/README.md).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** test/vectors/appendix-a.json, found from this file, whatever the working directory. */
export const VECTORS_PATH = fileURLToPath(new URL('../vectors/appendix-a.json', import.meta.url));

export function loadVectors(): Record<string, unknown> {
  return JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as Record<string, unknown>;
}

export function unhex(s: string): Uint8Array {
  if (!/^([0-9a-f]{2})*$/i.test(s)) throw new Error(`bad hex: ${s}`);
  return Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
}

export function hex(b: Uint8Array): string {
  return Array.from(b, (v) => v.toString(16).padStart(2, '0')).join('');
}

/** Deterministic bytes for tests (xorshift32); not for anything real. */
export function seeded(seed: number): (len: number) => Uint8Array {
  let s = seed >>> 0 || 1;
  return (len) => {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      out[i] = s & 0xff;
    }
    return out;
  };
}

/** k-subsets of 0..n-1. */
export function* subsets(n: number, k: number): Generator<number[]> {
  const idx = Array.from({ length: k }, (_, i) => i);
  for (;;) {
    yield idx.slice();
    let j = k - 1;
    while (j >= 0 && idx[j] === n - k + j) j--;
    if (j < 0) return;
    idx[j]++;
    for (let l = j + 1; l < k; l++) idx[l] = idx[l - 1] + 1;
  }
}
