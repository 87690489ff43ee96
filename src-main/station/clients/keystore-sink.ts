// The keystore as the destination of an initial-keys allocation: the 64 bytes from the pool are wrapped
// into the client's keystore file, read back, unwrapped and compared before the pool's copy is destroyed.
import { StationFailure } from '../../../src-shared/api/result';
import type { PackageStream, Written } from '../../../hardware/carriers/carrier';
import type { MediumRecorded } from '../delivery/allocations';
import type { Sink } from '../delivery/allocate';
import { KEYSTORE_FILE_BYTES, type Keystore } from './keystore';

async function collect(pkg: PackageStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of pkg.pieces()) parts.push(Buffer.from(p));
  const all = Buffer.concat(parts);
  for (const p of parts) p.fill(0);
  return all;
}

export class KeystoreSink implements Sink {
  constructor(
    private readonly keystore: Keystore,
    private readonly client: string,
  ) {}

  async describe(): Promise<MediumRecorded> {
    return { kind: 'keystore', target: 'the station keystore', sizeBytes: KEYSTORE_FILE_BYTES };
  }

  async preflight(): Promise<void> {
    if (this.keystore.has(this.client)) throw new StationFailure('keystore', `The keystore already holds a file for ${this.client} (${this.keystore.path(this.client)}) that the ledger does not record; nothing was done. Move that file out of the keystore folder.`);
  }

  async write(pkg: PackageStream): Promise<Written> {
    const keys = await collect(pkg);
    try {
      this.keystore.write(this.client, keys);
    } finally {
      keys.fill(0);
    }
    return {};
  }

  async verify(pkg: PackageStream): Promise<void> {
    const keys = await collect(pkg);
    const back = this.keystore.read(this.client);
    try {
      if (!back.equals(keys)) throw new StationFailure('verify-failed', 'The initial keys read back from the keystore differ from those written.');
    } finally {
      keys.fill(0);
      back.fill(0);
    }
  }

  async discard(): Promise<void> {
    try {
      this.keystore.remove(this.client);
    } catch {
      // Best effort: a voided creation's file is also removed at the next start.
    }
  }

  async release(): Promise<void> {}
}
