// The file carrier (issue S6, part 4d): a client package written to a file the operator names, for a
// carrier the station has no driver for (a network share, a burner's staging folder). Over
// package-file.ts: exclusive .partial, fsync, rename, folder fsync; read-back with O_DIRECT.
import { constants as fsConstants } from 'node:fs';
import { access, lstat, stat, statfs } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { StationFailure } from '../../src-shared/api/result';
import type { Carrier, CarrierProgress, MediumRecord, PackageStream, Written } from './carrier';
import { PARTIAL, digestsFrom, discardPackageFile, mediaFailure, toFailure, verifyPackageFile, writePackageFile, type PackageFileVerified } from './package-file';

async function present(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

export class FileCarrier implements Carrier {
  readonly kind = 'file' as const;
  /** Set once this carrier has created the file: discard() removes only what it made. */
  /** The file this carrier wrote (device and inode): discard removes that one only, never a file someone else put there. */
  private wrote: { dev: number; ino: number } | undefined;
  /** How the last read-back went: O_DIRECT, or through the page cache and said so. */
  lastVerify: PackageFileVerified | undefined;

  private constructor(readonly path: string) {}

  static open(path: string): FileCarrier {
    return new FileCarrier(resolve(path));
  }

  describe(): Promise<MediumRecord> {
    return Promise.resolve({ kind: 'file', target: this.path });
  }

  async preflight(packageBytes: number): Promise<void> {
    const dir = dirname(this.path);
    const name = basename(this.path);
    try {
      const s = await stat(dir);
      if (!s.isDirectory()) throw new StationFailure('medium-not-allowed', `The package cannot go there: ${dir} is not a folder.`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw mediaFailure('medium-unplugged', `the folder ${dir} does not exist`);
      throw toFailure(e, `looking at ${dir}`);
    }
    try {
      if (await present(this.path)) throw new StationFailure('medium-not-allowed', `There is already a file named ${name} there; the station does not write over files. Choose another name.`);
      if (await present(this.path + PARTIAL)) throw new StationFailure('medium-not-allowed', `An unfinished package file (${name}${PARTIAL}) is there; remove it first.`);
      await access(dir, fsConstants.W_OK);
      const fs = await statfs(dir);
      const free = fs.bavail * fs.bsize;
      // The file's own metadata and the last block's rounding: a few blocks beyond the package.
      if (free < packageBytes + 4 * fs.bsize) throw mediaFailure('medium-full', `${free} bytes free in ${dir}, the package needs ${packageBytes}`);
    } catch (e) {
      throw toFailure(e, `checking ${dir}`);
    }
  }

  async write(pkg: PackageStream, progress: (p: CarrierProgress) => void, signal: AbortSignal): Promise<Written> {
    // writePackageFile removes its own .partial when it fails; what it finished is remembered by identity.
    const w = await writePackageFile(this.path, pkg, progress, signal);
    const st = await lstat(this.path);
    this.wrote = { dev: st.dev, ino: st.ino };
    return { ...w, sha256: [...w.sha256] };
  }

  async verify(pkg: PackageStream, written: Written, progress: (p: CarrierProgress) => void, signal: AbortSignal): Promise<void> {
    this.lastVerify = await verifyPackageFile(this.path, digestsFrom(written, pkg), progress, signal);
  }

  async discard(_pkg: Pick<PackageStream, 'packageId'>): Promise<void> {
    if (!this.wrote) return;
    const st = await lstat(this.path).catch(() => undefined);
    if (!st?.isFile() || st.dev !== this.wrote.dev || st.ino !== this.wrote.ino) return;
    await discardPackageFile(this.path);
  }

  release(): Promise<void> {
    return Promise.resolve();
  }
}
