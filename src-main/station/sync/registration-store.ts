// The keys this station shares with its Security Server (issue S8, part 2): made here at registration,
// carried to the server in the registration file, kept here wrapped by the station master key in
// <data-dir>/sync/registration.key (the three 32-byte keys each wrapped with AES-256-GCM, bound to
// the station's identity and their purpose).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StationFailure } from '../../../src-shared/api/result';
import type { RegistrationKeys } from '../../../src-shared/sync/registration-file';
import { replaceFile } from '../../../src-node/atomic-file';
import { ioReason } from '../../../src-node/io-reason';
import { WRAPPED_KEY_BYTES, type MasterKey } from '../../../src-node/psrd-store/master-key';

const MAGIC = Buffer.from('DSKESRK1', 'ascii');
const PURPOSES = ['shipment', 'report', 'ack'] as const;

export class RegistrationStore {
  private readonly path: string;

  constructor(
    private readonly dir: string,
    private readonly master: MasterKey | undefined,
  ) {
    this.path = join(dir, 'registration.key');
  }

  write(station: string, keys: RegistrationKeys): void {
    const master = this.need();
    const body = Buffer.concat([MAGIC, ...PURPOSES.map((p) => master.wrap(keys[p], aad(station, p)))]);
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      replaceFile(this.path, body, 0o600);
    } catch (e) {
      throw new StationFailure((e as NodeJS.ErrnoException).code === 'ENOSPC' ? 'disk-full' : 'io', `The registration keys could not be written (${ioReason(e)}).`);
    }
  }

  /** The keys; the caller wipes them. */
  read(station: string): RegistrationKeys {
    const master = this.need();
    let body: Buffer;
    try {
      body = readFileSync(this.path);
    } catch (e) {
      throw new StationFailure('not-registered', `The station's registration keys cannot be read (${ioReason(e)}); restore the data directory, or register again.`);
    }
    if (body.length !== MAGIC.length + PURPOSES.length * WRAPPED_KEY_BYTES || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new StationFailure('not-registered', 'The station\'s registration key file is damaged; restore the data directory, or register again.');
    }
    try {
      const [shipment, report, ack] = PURPOSES.map((p, i) => master.unwrap(body.subarray(MAGIC.length + i * WRAPPED_KEY_BYTES, MAGIC.length + (i + 1) * WRAPPED_KEY_BYTES), aad(station, p)));
      return { shipment, report, ack };
    } catch {
      throw new StationFailure('not-registered', 'The station\'s registration keys do not unwrap (altered, or from another station); restore the data directory, or register again.');
    }
  }

  private need(): MasterKey {
    if (!this.master) throw new StationFailure('read-only', 'The station was opened to read only; its registration keys cannot be used.');
    return this.master;
  }
}

function aad(station: string, purpose: string): Buffer {
  return Buffer.from(`dske-station registration key|${station}|${purpose}`, 'utf8');
}
