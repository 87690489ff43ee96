// After an import, the medium's copy of the package is a third copy of that PSRD (issue S10, part 2;
// DESIGN: only two copies ever exist, the client's and the Security Server's). A package file is
// overwritten and deleted, a token's package objects destroyed; a printed sheet can only be shredded by
// its holder, so the client says so. (Overwriting does not sanitise flash: the package stays sealed under
// a key derived from the initial keys, so what a stick keeps is useless without them.)
import { existsSync } from 'node:fs';
import { discardPackageFile } from '../../hardware/carriers/package-file';
import { HsmTokenCarrier } from '../../hardware/carriers/hsm-token';

/** Overwrites and deletes the file; whether it is gone. */
export async function destroyPackageFile(path: string): Promise<boolean> {
  await discardPackageFile(path);
  return !existsSync(path);
}

/** Destroys the package's objects on the token (best effort); whether it could log in to do so. */
export async function destroyTokenPackage(opts: { module: string; token: string; pin: string; packageId: string }): Promise<boolean> {
  let carrier: HsmTokenCarrier;
  try {
    carrier = HsmTokenCarrier.open({ module: opts.module, token: opts.token, pin: opts.pin, profile: 'data' });
  } catch {
    return false;
  }
  try {
    await carrier.discard({ packageId: opts.packageId });
    return true;
  } finally {
    await carrier.release();
  }
}
