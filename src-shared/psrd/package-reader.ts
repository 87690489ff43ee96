// Reads a client package (package-format.ts): the header alone (what a client shows before it asks for
// keys), or the whole package opened with the client's initial keys. Any malformed, cut, extended or
// altered input ends in a PackageError, never another exception (test/psrd/package.test.ts fuzzes it).
import {
  MAX_HEADER_BYTES, PACKAGE_MAGIC, PackageError, TAG_BYTES, checkHeader, chunkAad, chunkCount, chunkNonce, headerDigest, packageKey,
  type ChunkCipher, type PackageHeader,
} from './package-format';
import { frameHeaderLength, NOT_JSON, parseUtf8Json } from './frame';

export interface ParsedHeader {
  readonly header: PackageHeader;
  /** Where the first sealed chunk starts. */
  readonly bodyOffset: number;
  readonly digest: Uint8Array;
}

export function readPackageHeader(bytes: Uint8Array): ParsedHeader {
  const m = PACKAGE_MAGIC.length;
  const h = frameHeaderLength(bytes, PACKAGE_MAGIC, MAX_HEADER_BYTES);
  if (h === 'short') throw new PackageError('truncated', 'The package is shorter than its header.');
  if (h === 'magic') throw new PackageError('bad-magic', 'This is not a DSKE client package.');
  if (h === 'length') throw new PackageError('bad-header', 'The package header has an impossible length.');
  if (bytes.length < m + 4 + h) throw new PackageError('truncated', 'The package is cut inside its header.');
  const parsed = parseUtf8Json(bytes.subarray(m + 4, m + 4 + h));
  if (parsed === NOT_JSON) throw new PackageError('bad-header', 'The package header is not valid UTF-8 JSON.');
  const header = checkHeader(parsed);
  return { header, bodyOffset: m + 4 + h, digest: headerDigest(bytes.subarray(0, m + 4 + h)) };
}

/**
 * Opens a whole package with the client's initial keys: checks every chunk's tag and the length, and
 * returns the PSRD (the caller owns and wipes it). Meant for packages that fit in memory (a client's).
 */
export function openPackage(bytes: Uint8Array, initialKeys: Uint8Array, cipher: ChunkCipher): { header: PackageHeader; psrd: Uint8Array } {
  const { header, bodyOffset, digest } = readPackageHeader(bytes);
  const n = chunkCount(header);
  const expected = bodyOffset + header.bytes + n * TAG_BYTES;
  if (bytes.length < expected) throw new PackageError('truncated', `The package is cut short: ${bytes.length} of ${expected} bytes.`);
  if (bytes.length > expected) throw new PackageError('trailing-bytes', `The package has ${bytes.length - expected} bytes after its end.`);
  const key = packageKey(initialKeys, header);
  const psrd = new Uint8Array(header.bytes);
  try {
    let at = bodyOffset;
    for (let i = 0; i < n; i++) {
      const len = Math.min(header.chunkBytes, header.bytes - i * header.chunkBytes);
      const plain = cipher.open(key, chunkNonce(i), chunkAad(digest, i, i === n - 1), bytes.subarray(at, at + len + TAG_BYTES));
      if (!plain || plain.length !== len) {
        psrd.fill(0);
        throw new PackageError('authentication-failed', `Chunk ${i + 1} of ${n} does not authenticate: the package was altered, or these are not this client's initial keys.`);
      }
      psrd.set(plain, i * header.chunkBytes);
      plain.fill(0);
      at += len + TAG_BYTES;
    }
  } finally {
    key.fill(0);
  }
  return { header, psrd };
}
