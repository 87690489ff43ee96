// Encodes a client package (package-format.ts) as a stream: the header, then each chunk sealed as its
// PSRD arrives, so a package of gigabytes needs one chunk of memory. The encoding is deterministic for
// the same PSRD and keys, which lets a carrier stream it a second time to compare what it reads back.
import { TAG_BYTES, chunkAad, chunkCount, chunkNonce, encodeHeader, headerDigest, packageKey, type ChunkCipher, type PackageHeader } from './package-format';

/**
 * Yields the encoded package. `psrd` yields the PSRD in order, in pieces of any size summing to
 * header.bytes; each yielded chunk is the cipher's output (the caller may keep it). Wipes its plaintext.
 */
export async function* encodePackage(header: PackageHeader, initialKeys: Uint8Array, psrd: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, cipher: ChunkCipher): AsyncGenerator<Uint8Array> {
  const encoded = encodeHeader(header);
  const digest = headerDigest(encoded);
  yield encoded;
  const n = chunkCount(header);
  const key = packageKey(initialKeys, header);
  const buf = new Uint8Array(Math.min(header.chunkBytes, header.bytes));
  let fill = 0;
  let index = 0;
  let total = 0;
  try {
    for await (const piece of psrd) {
      let at = 0;
      while (at < piece.length) {
        const want = Math.min(header.chunkBytes, header.bytes - index * header.chunkBytes) - fill;
        if (want <= 0) throw new RangeError('more PSRD than the header says');
        const take = Math.min(want, piece.length - at);
        buf.set(piece.subarray(at, at + take), fill);
        fill += take;
        at += take;
        total += take;
        if (fill === Math.min(header.chunkBytes, header.bytes - index * header.chunkBytes)) {
          const sealed = cipher.seal(key, chunkNonce(index), chunkAad(digest, index, index === n - 1), buf.subarray(0, fill));
          if (sealed.length !== fill + TAG_BYTES) throw new RangeError('cipher returned the wrong length');
          index++;
          fill = 0;
          yield sealed;
        }
      }
    }
    if (total !== header.bytes || index !== n) throw new RangeError(`PSRD ended after ${total} of ${header.bytes} bytes`);
  } finally {
    buf.fill(0);
    key.fill(0);
  }
}
