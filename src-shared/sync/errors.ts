// The one error the sync file readers throw (issue S8: the registration file, the range-report batch):
// a code the caller can act on and a sentence that never carries a key.

export type SyncFormatErrorCode = 'truncated' | 'bad-magic' | 'unsupported-version' | 'malformed' | 'authentication-failed' | 'trailing-bytes';

export class SyncFormatError extends Error {
  constructor(readonly code: SyncFormatErrorCode, message: string) {
    super(message);
    this.name = 'SyncFormatError';
  }
}
