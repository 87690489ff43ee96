// Personal data about clients (a name as given at the desk), kept apart from the ledger in
// <data-dir>/clients/directory.json, so that a person's record can be erased on request without
// touching the hash chain: the ledger holds only the client ID and an HMAC of the name under the audit key.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StationFailure } from '../../../src-shared/api/result';
import { replaceFile } from '../../../src-node/atomic-file';
import { ioReason } from '../../../src-node/io-reason';

interface DirectoryFile {
  readonly version: 1;
  readonly clients: Record<string, { readonly name: string }>;
}

export class ClientDirectory {
  private readonly path: string;
  private data: DirectoryFile;

  constructor(private readonly dir: string) {
    this.path = join(dir, 'directory.json');
    this.data = this.read();
  }

  name(client: string): string | null {
    return Object.hasOwn(this.data.clients, client) ? this.data.clients[client].name : null;
  }

  set(client: string, name: string): void {
    this.write({ version: 1, clients: { ...this.data.clients, [client]: { name } } });
  }

  /** Erases what the station holds about a person (the ledger's HMAC of the name stays, and says nothing alone). */
  erase(client: string): void {
    const clients = { ...this.data.clients };
    delete clients[client];
    this.write({ version: 1, clients });
  }

  private read(): DirectoryFile {
    if (!existsSync(this.path)) return { version: 1, clients: {} };
    try {
      const raw = JSON.parse(readFileSync(this.path, 'utf8')) as DirectoryFile;
      if (raw?.version !== 1 || typeof raw.clients !== 'object' || raw.clients === null) throw new Error('not a client directory');
      return raw;
    } catch (e) {
      throw new StationFailure('data-dir', `The client directory ${this.path} cannot be read (${ioReason(e)}).`);
    }
  }

  private write(next: DirectoryFile): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    replaceFile(this.path, Buffer.from(JSON.stringify(next, null, 1)), 0o600);
    this.data = next;
  }
}
