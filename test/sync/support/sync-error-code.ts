// What a sync format reader says of some input: its SyncFormatError's code, or 'no error'. Any other
// exception is rethrown, so a test that expects a typed refusal fails on an untyped one.
import { SyncFormatError } from '../../../src-shared/sync/errors';

export function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof SyncFormatError) return e.code;
    throw e;
  }
  return 'no error';
}
