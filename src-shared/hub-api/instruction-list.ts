// What a client gets back when it fetches its key instructions from a hub (issue S10, part 1; §11.4,
// the offline variant): the inner plaintext of an AEAD envelope under the client's transport key.
//
//   u32 BE count | count × ( u64 BE id | u32 BE length | length bytes: a key instruction frame (0x02) )
//
// `id` is the hub's number for the held instruction; the client's next fetch names the highest id it
// has stored, and the hub then forgets every instruction up to it (so a lost answer loses nothing).
// The fetch request's inner plaintext is `u64 BE acknowledged id` (0: none yet).
export interface HeldInstruction {
  readonly id: number;
  readonly frame: Uint8Array;
}

export class InstructionListError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InstructionListError';
  }
}

export const MAX_INSTRUCTIONS_PER_FETCH = 4096;

export function encodeFetch(acknowledged: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(acknowledged), false);
  return out;
}

export function decodeFetch(bytes: Uint8Array): number {
  if (bytes.length !== 8) throw new InstructionListError('A fetch of key instructions is 8 bytes.');
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, false);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new InstructionListError('The acknowledged instruction number is too large.');
  return Number(n);
}

export function encodeInstructions(list: readonly HeldInstruction[]): Uint8Array {
  const total = 4 + list.reduce((a, i) => a + 12 + i.frame.length, 0);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint32(0, list.length, false);
  let at = 4;
  for (const i of list) {
    v.setBigUint64(at, BigInt(i.id), false);
    v.setUint32(at + 8, i.frame.length, false);
    out.set(i.frame, at + 12);
    at += 12 + i.frame.length;
  }
  return out;
}

export function decodeInstructions(bytes: Uint8Array): HeldInstruction[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4) throw new InstructionListError('The list of key instructions is cut short.');
  const count = v.getUint32(0, false);
  if (count > MAX_INSTRUCTIONS_PER_FETCH) throw new InstructionListError(`The list claims ${count} key instructions; at most ${MAX_INSTRUCTIONS_PER_FETCH} come at once.`);
  const out: HeldInstruction[] = [];
  let at = 4;
  for (let k = 0; k < count; k++) {
    if (at + 12 > bytes.length) throw new InstructionListError('The list of key instructions is cut short.');
    const id = v.getBigUint64(at, false);
    const length = v.getUint32(at + 8, false);
    if (id < 1n || id > BigInt(Number.MAX_SAFE_INTEGER)) throw new InstructionListError('A key instruction has an impossible number.');
    if (at + 12 + length > bytes.length) throw new InstructionListError('The list of key instructions is cut short.');
    out.push({ id: Number(id), frame: bytes.slice(at + 12, at + 12 + length) });
    at += 12 + length;
  }
  if (at !== bytes.length) throw new InstructionListError('The list of key instructions has bytes after its end.');
  return out;
}
