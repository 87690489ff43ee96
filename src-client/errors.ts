// The one error the DSKE client throws (issue S10, part 2): a code a program can act on and a plain
// sentence for the person at the client, which never carries initial keys, PSRD or a PIN.

export type ClientErrorCode =
  | 'data-dir'
  | 'data-dir-locked'
  | 'not-initialized'
  | 'already-initialized'
  | 'master-key'
  | 'store-damaged'
  | 'bad-keys-file'
  | 'registration-conflict'
  | 'unknown-hub'
  | 'wrong-client'
  | 'bad-package'
  | 'authentication-failed'
  | 'package-seen'
  | 'used-up'
  | 'table-overlap'
  | 'psrd-used'
  | 'psrd-not-held'
  | 'wrong-half'
  | 'no-hub-url'
  | 'establish-failed'
  | 'bad-request'
  | 'bad-image'
  | 'qr-unreadable'
  | 'qr-damaged'
  | 'qr-missing'
  | 'token'
  | 'token-not-extractable'
  | 'io';

export class ClientFailure extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ClientFailure';
  }
}
