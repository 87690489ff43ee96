// The opening every container of the station's shares (client package, registration file, report
// batch): `MAGIC | u32 BE header length H | H bytes of UTF-8 JSON`. These read it and say what is
// wrong with it; each format turns the fault into its own typed error and sentence.
import { decodeUtf8Strict } from './utf8';

/** What is wrong with a frame's opening: too short for magic and length, another magic, an impossible length. */
export type FrameFault = 'short' | 'magic' | 'length';

/** The header's length H, or the fault. Does not check that the H bytes are there. */
export function frameHeaderLength(bytes: Uint8Array, magic: Uint8Array, maxHeader: number): number | FrameFault {
  const m = magic.length;
  if (bytes.length < m + 4) return 'short';
  for (let i = 0; i < m; i++) if (bytes[i] !== magic[i]) return 'magic';
  const h = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(m, false);
  return h === 0 || h > maxHeader ? 'length' : h;
}

export const NOT_JSON: unique symbol = Symbol('not UTF-8 JSON');

/** The JSON value of strictly decoded UTF-8, or NOT_JSON. */
export function parseUtf8Json(bytes: Uint8Array): unknown {
  const text = decodeUtf8Strict(bytes);
  if (text === null) return NOT_JSON;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return NOT_JSON;
  }
}
