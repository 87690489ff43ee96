// A minimal WebAssembly module writer, for the two inner loops that JavaScript cannot run at the speed
// of the sources (scan.ts: the SP 800-90B filters with 128-bit SIMD; conditioner.ts: SHA-512 with
// native 64-bit arithmetic). The code is written here as readable instruction lists and assembled at
// start-up: no binary blob, no build step, no dependency. Each user checks its module against the
// JavaScript or OpenSSL reference before using it, and falls back to that reference when the runtime
// has no WebAssembly (or no SIMD).
//
// Only what those modules need: one exported memory, functions with i32/i64/v128 locals, structured
// control flow, and the instructions below (opcodes from the WebAssembly 2.0 core specification).

export const i32 = 0x7f;
export const i64 = 0x7e;
export const v128 = 0x7b;
export type ValType = typeof i32 | typeof i64 | typeof v128;

export type Code = number[];

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 64-bit value. */
export function sleb(v: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

const simd = (opcode: number, ...imm: number[]): Code => [0xfd, ...uleb(opcode), ...imm];
/** memarg: alignment exponent (a hint) and a constant offset added to the address. */
const mem = (align: number, offset: number): number[] => [...uleb(align), ...uleb(offset)];

/** The instructions, as small functions returning bytes; `...` them into a body. */
export const op = {
  block: (): Code => [0x02, 0x40],
  loop: (): Code => [0x03, 0x40],
  if: (): Code => [0x04, 0x40],
  else: (): Code => [0x05],
  end: (): Code => [0x0b],
  br: (depth: number): Code => [0x0c, ...uleb(depth)],
  brIf: (depth: number): Code => [0x0d, ...uleb(depth)],
  return: (): Code => [0x0f],
  call: (func: number): Code => [0x10, ...uleb(func)],
  drop: (): Code => [0x1a],
  get: (local: number): Code => [0x20, ...uleb(local)],
  set: (local: number): Code => [0x21, ...uleb(local)],
  tee: (local: number): Code => [0x22, ...uleb(local)],

  i32Load: (offset = 0): Code => [0x28, ...mem(2, offset)],
  i64Load: (offset = 0): Code => [0x29, ...mem(3, offset)],
  i32Load8u: (offset = 0): Code => [0x2d, ...mem(0, offset)],
  i32Store: (offset = 0): Code => [0x36, ...mem(2, offset)],
  i64Store: (offset = 0): Code => [0x37, ...mem(3, offset)],
  i32Store8: (offset = 0): Code => [0x3a, ...mem(0, offset)],
  i32Const: (v: number): Code => [0x41, ...sleb(BigInt(v | 0))],
  i64Const: (v: bigint): Code => [0x42, ...sleb(BigInt.asIntN(64, v))],

  i32Eqz: (): Code => [0x45],
  i32Eq: (): Code => [0x46],
  i32Ne: (): Code => [0x47],
  i32LtU: (): Code => [0x49],
  i32GtU: (): Code => [0x4b],
  i32GeU: (): Code => [0x4f],
  i32Add: (): Code => [0x6a],
  i32Sub: (): Code => [0x6b],
  i32Mul: (): Code => [0x6c],
  i32And: (): Code => [0x71],
  i32Or: (): Code => [0x72],
  i32Shl: (): Code => [0x74],
  i32ShrU: (): Code => [0x76],

  i64Add: (): Code => [0x7c],
  i64And: (): Code => [0x83],
  i64Or: (): Code => [0x84],
  i64Xor: (): Code => [0x85],
  i64Shl: (): Code => [0x86],
  i64ShrU: (): Code => [0x88],
  i64Rotr: (): Code => [0x8a],
  i64ExtendI32U: (): Code => [0xad],

  memoryCopy: (): Code => [0xfc, ...uleb(10), 0x00, 0x00],
  memoryFill: (): Code => [0xfc, ...uleb(11), 0x00],

  v128Load: (offset = 0): Code => simd(0x00, ...mem(0, offset)),
  v128Load8Splat: (offset = 0): Code => simd(0x07, ...mem(0, offset)),
  v128Store: (offset = 0): Code => simd(0x0b, ...mem(0, offset)),
  v128Zero: (): Code => simd(0x0c, ...new Array<number>(16).fill(0)),
  i8x16Shuffle: (lanes: readonly number[]): Code => simd(0x0d, ...lanes),
  i32x4ExtractLane: (lane: number): Code => simd(0x1b, lane),
  i64x2ExtractLane: (lane: number): Code => simd(0x1d, lane),
  i8x16Eq: (): Code => simd(0x23),
  v128And: (): Code => simd(0x4e),
  v128Or: (): Code => simd(0x50),
  v128AnyTrue: (): Code => simd(0x53),
  i8x16Sub: (): Code => simd(0x71),
  i16x8ExtaddPairwiseI8x16U: (): Code => simd(0x7d),
  i32x4ExtaddPairwiseI16x8U: (): Code => simd(0x7f),
};

export interface FuncDef {
  readonly name: string;
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
  readonly locals: readonly ValType[];
  readonly body: Code;
}

const vec = (items: readonly number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];
const name = (s: string): number[] => vec([...new TextEncoder().encode(s)].map((b) => [b]));

/** A module with one memory of `pages` 64 KiB pages, exported as "memory", and the functions, exported by name. */
export function assemble(pages: number, funcs: readonly FuncDef[]): Uint8Array {
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]);
  const bodies = funcs.map((f) => {
    const locals = vec(f.locals.map((t) => [1, t]));
    const code = [...locals, ...f.body, 0x0b];
    return [...uleb(code.length), ...code];
  });
  const exports = [[...name('memory'), 0x02, 0x00], ...funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)])];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(3, vec(funcs.map((_, i) => uleb(i)))),
    ...section(5, vec([[0x00, ...uleb(pages)]])),
    ...section(7, vec(exports)),
    ...section(10, vec(bodies)),
  ]);
}

/** What an instance gives: its exported functions and its memory's bytes. */
export interface WasmInstance {
  readonly exports: Readonly<Record<string, unknown>>;
  readonly memory: Uint8Array;
}

// The node type definitions do not declare the WebAssembly JS API (the DOM library does): the little
// used here, typed here.
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Readonly<Record<string, unknown>> };
}

/** Compiles once (the modules are a few KiB); undefined where WebAssembly or SIMD is missing. */
export function compile(bytes: Uint8Array): { instance(): WasmInstance } | undefined {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  try {
    if (!api || !api.validate(bytes)) return undefined;
    const module = new api.Module(bytes);
    return {
      instance() {
        const { exports } = new api.Instance(module, {});
        return { exports, memory: new Uint8Array((exports.memory as { buffer: ArrayBuffer }).buffer) };
      },
    };
  } catch {
    return undefined;
  }
}

/** Compiles and instantiates synchronously; undefined where WebAssembly or SIMD is missing. */
export function instantiate(bytes: Uint8Array): WasmInstance | undefined {
  try {
    return compile(bytes)?.instance();
  } catch {
    return undefined;
  }
}
