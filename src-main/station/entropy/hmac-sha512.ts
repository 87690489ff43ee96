// HMAC-SHA-512 (RFC 2104, FIPS 180-4) over many equal-length messages in one call, in WebAssembly
// (wasm.ts): the conditioner's inner loop (conditioner.ts). Node's createHmac costs about 3 µs a call
// whatever the length, which caps a hardware source at ~40 MB/s of raw input on a whole core; here one
// call conditions a whole read, at the cost of the SHA-512 compressions alone (bench/README.md).
//
// The key is fixed per instance, so its inner and outer states (after the K⊕ipad and K⊕opad blocks) are
// computed once. The constants are computed from their definition in FIPS 180-4 §4.2.3 and §5.3.5 (the
// fractional parts of the cube and square roots of the first primes), not copied. Each instance checks
// itself against OpenSSL's HMAC on known inputs before use; without WebAssembly or SIMD it is undefined
// and the conditioner keeps calling createHmac.
import { createHmac } from 'node:crypto';
import { assemble, compile, i32, i64, op, v128, type Code, type ValType, type WasmInstance } from './wasm';

const MASK64 = (1n << 64n) - 1n;

function iroot(n: bigint, k: bigint): bigint {
  // Newton's method from above: the floor of the k-th root of n.
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / Number(k)) + 1);
  for (;;) {
    const y = ((k - 1n) * x + n / x ** (k - 1n)) / k;
    if (y >= x) return x;
    x = y;
  }
}

function primes(count: number): bigint[] {
  const out: bigint[] = [];
  for (let n = 2; out.length < count; n++) if (out.every((p) => BigInt(n) % p !== 0n)) out.push(BigInt(n));
  return out;
}

/** FIPS 180-4 §4.2.3: the first 64 bits of the fractional parts of the cube roots of the first 80 primes. */
const K = primes(80).map((p) => iroot(p << 192n, 3n) & MASK64);
/** §5.3.5: the first 64 bits of the fractional parts of the square roots of the first 8 primes. */
const IV = primes(8).map((p) => iroot(p << 128n, 2n) & MASK64);

// Memory: the inner and outer states after the key block, two working states, the outer block and the
// padded tail block(s) (templates: only their first bytes change per message), then input and output.
const IM = 0;
const OM = 64;
const ST = 128;
const ST2 = 192;
const OB = 256;
const PB = 384;
const KB = 640;
const IN = 1024;
/** Input bytes per call. */
export const HMAC_BATCH_INPUT = 1 << 20;
const OUT = IN + HMAC_BATCH_INPUT;
const PAGES = Math.ceil((OUT + HMAC_BATCH_INPUT / 2) / 65536);

/** Byte order of each 8-byte lane reversed (of a vector shuffled with itself): SHA-512 words are big-endian, WebAssembly little-endian. */
const BSWAP64 = [7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8];

function compressBody(): Code {
  const st = 0;
  const blk = 1;
  const vars = [2, 3, 4, 5, 6, 7, 8, 9]; // a … h
  const w = Array.from({ length: 16 }, (_, i) => 10 + i);
  const t1 = 26;
  const vec = 27;
  const rotr = (x: number, n: number): Code => [...op.get(x), ...op.i64Const(BigInt(n)), ...op.i64Rotr()];
  const shr = (x: number, n: number): Code => [...op.get(x), ...op.i64Const(BigInt(n)), ...op.i64ShrU()];
  const code: Code = [];
  for (let i = 0; i < 8; i++) code.push(...op.get(st), ...op.i64Load(8 * i), ...op.set(vars[i]!));
  for (let j = 0; j < 8; j++) {
    code.push(...op.get(blk), ...op.v128Load(16 * j), ...op.tee(vec), ...op.get(vec), ...op.i8x16Shuffle(BSWAP64), ...op.set(vec));
    code.push(...op.get(vec), ...op.i64x2ExtractLane(0), ...op.set(w[2 * j]!), ...op.get(vec), ...op.i64x2ExtractLane(1), ...op.set(w[2 * j + 1]!));
  }
  let [a, b, c, d, e, f, g, h] = vars as [number, number, number, number, number, number, number, number];
  for (let t = 0; t < 80; t++) {
    const wt = w[t % 16]!;
    if (t >= 16) {
      const w2 = w[(t - 2) % 16]!;
      const w15 = w[(t - 15) % 16]!;
      // W[t] = σ1(W[t−2]) + W[t−7] + σ0(W[t−15]) + W[t−16]
      code.push(...rotr(w2, 19), ...rotr(w2, 61), ...op.i64Xor(), ...shr(w2, 6), ...op.i64Xor());
      code.push(...op.get(w[(t - 7) % 16]!), ...op.i64Add());
      code.push(...rotr(w15, 1), ...rotr(w15, 8), ...op.i64Xor(), ...shr(w15, 7), ...op.i64Xor(), ...op.i64Add());
      code.push(...op.get(wt), ...op.i64Add(), ...op.set(wt));
    }
    // T1 = h + Σ1(e) + Ch(e, f, g) + K[t] + W[t], with Ch = g ^ (e & (f ^ g))
    code.push(...op.get(h), ...rotr(e, 14), ...rotr(e, 18), ...op.i64Xor(), ...rotr(e, 41), ...op.i64Xor(), ...op.i64Add());
    code.push(...op.get(g), ...op.get(e), ...op.get(f), ...op.get(g), ...op.i64Xor(), ...op.i64And(), ...op.i64Xor(), ...op.i64Add());
    code.push(...op.i64Const(K[t]!), ...op.i64Add(), ...op.get(wt), ...op.i64Add(), ...op.set(t1));
    // e' = d + T1 (into d's local); a' = T1 + Σ0(a) + Maj(a, b, c) (into h's local), Maj = (a & b) | (c & (a | b))
    code.push(...op.get(d), ...op.get(t1), ...op.i64Add(), ...op.set(d));
    code.push(...op.get(t1), ...rotr(a, 28), ...rotr(a, 34), ...op.i64Xor(), ...rotr(a, 39), ...op.i64Xor(), ...op.i64Add());
    code.push(...op.get(a), ...op.get(b), ...op.i64And(), ...op.get(c), ...op.get(a), ...op.get(b), ...op.i64Or(), ...op.i64And(), ...op.i64Or(), ...op.i64Add(), ...op.set(h));
    [a, b, c, d, e, f, g, h] = [h, a, b, c, d, e, f, g];
  }
  const order = [a, b, c, d, e, f, g, h];
  for (let i = 0; i < 8; i++) code.push(...op.get(st), ...op.get(st), ...op.i64Load(8 * i), ...op.get(order[i]!), ...op.i64Add(), ...op.i64Store(8 * i));
  return code;
}

/** Writes the 8-word state at `src` to `dst` as 64 big-endian bytes. */
function storeBigEndian(dst: Code, src: Code): Code {
  const code: Code = [];
  for (let j = 0; j < 4; j++) code.push(...dst, ...src, ...op.v128Load(16 * j), ...src, ...op.v128Load(16 * j), ...op.i8x16Shuffle(BSWAP64), ...op.v128Store(16 * j));
  return code;
}

function hmacBody(): Code {
  // hmac(inp, count, nIn, out, full, tail, padBlocks): message k is inp + k·nIn, its MAC goes to out + 64k.
  const [inp, count, nIn, out, full, tail, padBlocks, k, p, blk] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const c = (v: number): Code => op.i32Const(v);
  return [
    ...c(0), ...op.set(k),
    ...op.block(),
    ...op.loop(),
    ...op.get(k), ...op.get(count), ...op.i32GeU(), ...op.brIf(1),
    // inner: from the state after K⊕ipad, the message's whole blocks, then its tail with the padding
    ...c(ST), ...c(IM), ...c(64), ...op.memoryCopy(),
    ...op.get(inp), ...op.get(k), ...op.get(nIn), ...op.i32Mul(), ...op.i32Add(), ...op.set(p),
    ...c(0), ...op.set(blk),
    ...op.block(),
    ...op.loop(),
    ...op.get(blk), ...op.get(full), ...op.i32GeU(), ...op.brIf(1),
    ...c(ST), ...op.get(p), ...op.get(blk), ...c(7), ...op.i32Shl(), ...op.i32Add(), ...op.call(0),
    ...op.get(blk), ...c(1), ...op.i32Add(), ...op.set(blk),
    ...op.br(0),
    ...op.end(),
    ...op.end(),
    ...c(PB), ...op.get(p), ...op.get(full), ...c(7), ...op.i32Shl(), ...op.i32Add(), ...op.get(tail), ...op.memoryCopy(),
    ...c(ST), ...c(PB), ...op.call(0),
    ...op.get(padBlocks), ...c(2), ...op.i32Eq(), ...op.if(), ...c(ST), ...c(PB + 128), ...op.call(0), ...op.end(),
    // outer: from the state after K⊕opad, the inner digest in one padded block
    ...storeBigEndian(c(OB), c(ST)),
    ...c(ST2), ...c(OM), ...c(64), ...op.memoryCopy(),
    ...c(ST2), ...c(OB), ...op.call(0),
    ...storeBigEndian([...op.get(out), ...op.get(k), ...c(6), ...op.i32Shl(), ...op.i32Add()], c(ST2)),
    ...op.get(k), ...c(1), ...op.i32Add(), ...op.set(k),
    ...op.br(0),
    ...op.end(),
    ...op.end(),
  ];
}

let module: { instance(): WasmInstance } | null | undefined;

function hmacModule(): { instance(): WasmInstance } | undefined {
  if (module === undefined) {
    const bytes = assemble(PAGES, [
      { name: 'compress', params: [i32, i32], results: [], locals: [...new Array<ValType>(8 + 16 + 1).fill(i64), v128], body: compressBody() },
      { name: 'hmac', params: [i32, i32, i32, i32, i32, i32, i32], results: [], locals: [i32, i32, i32], body: hmacBody() },
    ]);
    module = compile(bytes) ?? null;
  }
  return module ?? undefined;
}

/** HMAC-SHA-512 under one key over messages of `nIn` bytes each (nIn ≥ 128), many per call. */
export interface HmacBatch {
  /** MACs of input[k·nIn, (k+1)·nIn) for k < count into output[64k, 64k + 64); input.length ≥ count·nIn. */
  run(input: Uint8Array, count: number, output: Uint8Array): void;
}

/** The WebAssembly implementation, checked against OpenSSL; undefined where it cannot run or disagrees. */
export function hmacSha512Batch(key: Uint8Array, nIn: number): HmacBatch | undefined {
  if (!Number.isSafeInteger(nIn) || nIn < 128 || nIn > HMAC_BATCH_INPUT || key.length > 128) return undefined;
  const m = hmacModule();
  if (!m) return undefined;
  let inst: WasmInstance;
  try {
    inst = m.instance();
  } catch {
    return undefined;
  }
  const mem = inst.memory;
  const view = new DataView(mem.buffer);
  const compress = inst.exports.compress as (st: number, blk: number) => void;
  const hmac = inst.exports.hmac as (inp: number, count: number, nIn: number, out: number, full: number, tail: number, padBlocks: number) => void;
  // The states after the key blocks.
  for (const [state, pad] of [[IM, 0x36], [OM, 0x5c]] as const) {
    IV.forEach((v, i) => view.setBigUint64(state + 8 * i, v, true));
    for (let i = 0; i < 128; i++) mem[KB + i] = (key[i] ?? 0) ^ pad;
    compress(state, KB);
  }
  mem.fill(0, KB, KB + 128);
  // Padding templates: inner total 128 + nIn bytes, outer 128 + 64.
  const tail = nIn % 128;
  const padBlocks = tail + 17 > 128 ? 2 : 1;
  mem.fill(0, PB, PB + 256);
  mem[PB + tail] = 0x80;
  view.setBigUint64(PB + padBlocks * 128 - 8, BigInt((128 + nIn) * 8), false);
  mem.fill(0, OB, OB + 128);
  mem[OB + 64] = 0x80;
  view.setBigUint64(OB + 120, BigInt((128 + 64) * 8), false);
  const full = Math.floor(nIn / 128);
  const perCall = Math.floor(HMAC_BATCH_INPUT / nIn);

  const batch: HmacBatch = {
    run(input, count, output) {
      for (let done = 0; done < count; ) {
        const n = Math.min(perCall, count - done);
        mem.set(input.subarray(done * nIn, (done + n) * nIn), IN);
        hmac(IN, n, nIn, OUT, full, tail, padBlocks);
        output.set(mem.subarray(OUT, OUT + 64 * n), 64 * done);
        // Raw input and everything derived from it are wiped: only the key states stay.
        mem.fill(0, IN, IN + n * nIn);
        mem.fill(0, OUT, OUT + 64 * n);
        mem.fill(0, ST, OB + 64);
        mem.fill(0, PB, PB + tail);
        done += n;
      }
    },
  };
  return selfTest(batch, key, nIn) ? batch : undefined;
}

/** Known inputs: a few messages, each MAC'd by OpenSSL as well. */
function selfTest(batch: HmacBatch, key: Uint8Array, nIn: number): boolean {
  const count = 3;
  const input = Uint8Array.from({ length: count * nIn }, (_, i) => (i * 131 + 7) & 0xff);
  const got = new Uint8Array(64 * count);
  batch.run(input, count, got);
  for (let k = 0; k < count; k++) {
    const want = createHmac('sha512', key).update(input.subarray(k * nIn, (k + 1) * nIn)).digest();
    if (!want.equals(got.subarray(64 * k, 64 * k + 64))) return false;
  }
  return true;
}
