// Deterministic test bytes: an AES-256-CTR keystream under a key derived from a label, so every run of
// a test sees the same "good" samples (the statistical tests are then reproducible, not flaky).
import { createCipheriv, createHash } from 'node:crypto';

export function keystream(label: string, n: number): Uint8Array {
  const key = createHash('sha256').update(label).digest();
  const c = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const out = c.update(Buffer.alloc(n));
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** A stream in which one value has probability `q` and the other 255 share the rest. */
export function biased(label: string, n: number, value: number, q: number): Uint8Array {
  const r = keystream(label, 2 * n);
  const out = new Uint8Array(n);
  const threshold = Math.round(q * 256);
  for (let i = 0; i < n; i++) {
    if ((r[2 * i] as number) < threshold) out[i] = value;
    else {
      let v = r[2 * i + 1] as number;
      if (v === value) v = (v + 1) & 0xff;
      out[i] = v;
    }
  }
  return out;
}

export function periodic(pattern: readonly number[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = pattern[i % pattern.length] as number;
  return out;
}
