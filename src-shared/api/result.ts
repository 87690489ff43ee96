// Every call across a process boundary returns a value, never throws: Electron serializes only an
// error's message, so codes travel as data (the Signal Desktop pattern, docs/references.md).
import type { ErrorCode } from './station-api';

export interface StationError {
  readonly code: ErrorCode;
  /** A sentence a desk clerk understands. Never contains PSRD. */
  readonly message: string;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: StationError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(code: ErrorCode, message: string): Result<T> {
  return { ok: false, error: { code, message } };
}

/** Thrown inside the core; transports turn it into a failed Result with the same code. */
export class StationFailure extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
    this.name = 'StationFailure';
  }
}
