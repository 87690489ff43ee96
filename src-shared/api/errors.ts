// The error codes every API shares, whatever its namespaces. Codes are stable (tests, the CLI's --json
// output and the UI key on them); messages are plain sentences for the person at the desk. Each
// namespace adds its own codes in its own file.
export const commonErrors = {
  'bad-request': 'The request was malformed and was not carried out.',
  'unknown-call': 'The station does not offer that operation.',
  forbidden: 'This request did not come from the station window and was refused.',
  unauthorized: 'The access token is missing or wrong.',
  usage: 'The command was not written correctly.',
  'data-dir': 'The station data directory cannot be used.',
  'no-data-dir': 'There is no station data directory there.',
  'read-only': 'The station was opened to read only; nothing can be changed.',
  'data-dir-locked': 'Another station process is using this data directory.',
  io: 'A read or write failed.',
  internal: 'Something went wrong inside the station; nothing was changed.',
} as const;
