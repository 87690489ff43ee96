// The one error the Security Server's operations throw: a code that the HTTP layer maps to a status and
// the CLI prints, and a sentence for the hub operator that never carries a key or PSRD.

export const SERVER_ERRORS = {
  'bad-config': 400,
  malformed: 400,
  'wrong-hub': 400,
  'code-mismatch': 400,
  'already-registered': 409,
  'unknown-station': 404,
  'unknown-shipment': 404,
  'duplicate-segment': 409,
  forged: 401,
  // The hub's key-instruction API (issue S10, §11.4).
  'unknown-client': 404,
  aead: 401,
  'wrong-sender': 400,
  'wrong-half': 400,
  'psrd-unavailable': 409,
  tag: 401,
  'unknown-recipient': 404,
  'client-revoked': 403,
  'recipient-exhausted': 409,
  'duplicate-secret': 409,
  'master-key': 500,
  io: 500,
} as const;

export type ServerErrorCode = keyof typeof SERVER_ERRORS;

export class ServerFailure extends Error {
  constructor(readonly code: ServerErrorCode, message: string) {
    super(message);
    this.name = 'ServerFailure';
  }

  get status(): number {
    return SERVER_ERRORS[this.code];
  }
}
