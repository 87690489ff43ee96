// Reads a client package file (issue S10, part 2; docs/formats.md, "Client package"): the bytes of a
// DSKEPKG1 file as the station's file and USB carriers write it (dske-<package>.pkg). The store opens
// and checks it; this only reads it, refusing what cannot be a package before it is read whole.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ioReason } from '../../src-node/io-reason';
import { PACKAGE_MAGIC } from '../../src-shared/psrd/package-format';
import { ClientFailure } from '../errors';

/** A client package is read whole into memory; larger files are refused. */
export const MAX_PACKAGE_FILE_BYTES = 2 ** 31 - 1;

export function readPackageFile(path: string): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new ClientFailure('io', `The package file ${path} cannot be opened (${ioReason(e)}).`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ClientFailure('bad-package', `${path} is not a file.`);
    if (st.size > MAX_PACKAGE_FILE_BYTES) throw new ClientFailure('bad-package', `${path} is ${st.size} bytes, more than this client reads as one package.`);
    const out = new Uint8Array(st.size);
    let at = 0;
    while (at < out.length) {
      const n = readSync(fd, out, at, out.length - at, at);
      if (n === 0) break;
      at += n;
    }
    const head = out.subarray(0, PACKAGE_MAGIC.length);
    if (at < PACKAGE_MAGIC.length || !head.every((b, i) => b === PACKAGE_MAGIC[i])) throw new ClientFailure('bad-package', `${path} is not a DSKE client package (it does not start with DSKEPKG1).`);
    return at === out.length ? out : out.subarray(0, at);
  } catch (e) {
    if (e instanceof ClientFailure) throw e;
    throw new ClientFailure('io', `The package file ${path} cannot be read (${ioReason(e)}).`);
  } finally {
    closeSync(fd);
  }
}
