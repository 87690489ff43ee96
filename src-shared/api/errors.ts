// The station's error vocabulary. Codes are stable (tests, the CLI's --json output and the UI key on
// them); messages are plain sentences for the person at the desk.
export const errorCodes = {
  'bad-request': 'The request was malformed and was not carried out.',
  'unknown-call': 'The station does not offer that operation.',
  'forbidden': 'This request did not come from the station window and was refused.',
  'unauthorized': 'The access token is missing or wrong.',
  'busy': 'The station is busy with another operation; try again when it has finished.',
  'data-dir': 'The station data directory cannot be used.',
  'data-dir-locked': 'Another station process is using this data directory.',
  'ledger-corrupt': 'The ledger failed verification; the station stopped to avoid making things worse.',
  'ledger-write': 'The ledger could not be written; nothing was changed.',
  'entropy-failed': 'An entropy source failed its health tests; nothing it produced was added to the pool.',
  'entropy-source': 'An entropy source could not be used.',
  'source-not-found': 'No such entropy source is configured or connected.',
  'pool-insufficient': 'The pool does not hold enough unallocated PSRD for this.',
  'disk-full': 'The disk is full; nothing was added to the pool.',
  'io': 'A read or write failed.',
  'master-key': 'The station master key is unavailable.',
  'internal': 'Something went wrong inside the station; nothing was changed.',
} as const;

export type ErrorCode = keyof typeof errorCodes;

export function isErrorCode(x: unknown): x is ErrorCode {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(errorCodes, x);
}
