// Encodes a client package (package-format.ts) as a stream: the header, then each chunk sealed as its
// PSRD arrives, so a package of gigabytes needs one chunk of memory. The encoding is deterministic for
// the same PSRD and keys, which lets a carrier stream it a second time to compare what it reads back.
import { TAG_BYTES, chunkAad, chunkCount, chunkNonce, encodeHeader, headerDigest, packageKey, type ChunkCipher, type PackageHeader } from './package-format';

/** A cipher that can also seal into a buffer of the caller's (ciphertext ‖ tag, returned as a view of `out`). */
export interface ChunkCipherInto {
  sealInto(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array, out: Uint8Array): Uint8Array;
}

const canSealInto = (c: ChunkCipher): c is ChunkCipher & ChunkCipherInto => typeof (c as Partial<ChunkCipherInto>).sealInto === 'function';

/**
 * Yields the encoded package. `psrd` yields the PSRD in order, in pieces of any size summing to
 * header.bytes, each valid until the next is asked for. Each yielded chunk is valid until the next is
 * asked for: with a cipher that seals into a buffer, the writer reuses one output buffer (a caller that
 * keeps chunks copies them). A piece that holds a whole chunk is sealed where it lies; other pieces are
 * gathered into a chunk buffer first, which is wiped at the end.
 */
export async function* encodePackage(header: PackageHeader, initialKeys: Uint8Array, psrd: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, cipher: ChunkCipher): AsyncGenerator<Uint8Array> {
  const encoded = encodeHeader(header);
  const digest = headerDigest(encoded);
  yield encoded;
  const n = chunkCount(header);
  const key = packageKey(initialKeys, header);
  const buf = new Uint8Array(Math.min(header.chunkBytes, header.bytes));
  const into = canSealInto(cipher) ? cipher : undefined;
  const out = into ? new Uint8Array(buf.length + TAG_BYTES) : undefined;
  const seal = (plain: Uint8Array): Uint8Array => {
    const aad = chunkAad(digest, index, index === n - 1);
    const sealed = into && out ? into.sealInto(key, chunkNonce(index), aad, plain, out) : cipher.seal(key, chunkNonce(index), aad, plain);
    if (sealed.length !== plain.length + TAG_BYTES) throw new RangeError('cipher returned the wrong length');
    index++;
    return sealed;
  };
  let fill = 0;
  let index = 0;
  let total = 0;
  try {
    for await (const piece of psrd) {
      let at = 0;
      while (at < piece.length) {
        const want = Math.min(header.chunkBytes, header.bytes - index * header.chunkBytes) - fill;
        if (want <= 0) throw new RangeError('more PSRD than the header says');
        if (fill === 0 && piece.length - at >= want) {
          // A whole chunk inside the piece (pool chunks and package chunks are both 1 MiB): no copy.
          const sealed = seal(piece.subarray(at, at + want));
          at += want;
          total += want;
          yield sealed;
          continue;
        }
        const take = Math.min(want, piece.length - at);
        buf.set(piece.subarray(at, at + take), fill);
        fill += take;
        at += take;
        total += take;
        if (fill === Math.min(header.chunkBytes, header.bytes - index * header.chunkBytes)) {
          const sealed = seal(buf.subarray(0, fill));
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
