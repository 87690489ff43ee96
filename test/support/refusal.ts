// The StationFailure a call was refused with; a call that succeeded, or threw anything else, fails the test.
import { StationFailure } from '../../src-shared/api/result';

export async function refusal(p: Promise<unknown>): Promise<StationFailure> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StationFailure) return e;
    throw e;
  }
  throw new Error('expected a refusal (a StationFailure)');
}
