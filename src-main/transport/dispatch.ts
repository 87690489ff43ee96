// The one door into the core for every transport (IPC, the browser host, the CLI): look the call up in
// the contract, validate its argument, run it, and turn whatever happens into a Result. A malformed
// argument never reaches the core.
import { lookupCall } from '../../src-shared/api/contract';
import { fail, ok, StationFailure, type Result } from '../../src-shared/api/result';
import type { Handlers } from '../station/station';

export type Dispatch = (channel: string, args: unknown) => Promise<Result<unknown>>;

export function createDispatch(handlers: Handlers, log: (line: string) => void = (l) => console.error(l)): Dispatch {
  return async (channel, args) => {
    if (typeof channel !== 'string') return fail('unknown-call', 'The station does not offer that operation.');
    const spec = lookupCall(channel);
    if (!spec) return fail('unknown-call', `The station does not offer "${channel.slice(0, 60)}".`);
    const checked = spec.args(args === undefined ? {} : args);
    if (!checked.ok) return fail('bad-request', `The request was malformed: ${checked.reason}.`);
    const [ns, method] = channel.split('.') as [string, string];
    const fn = (handlers as unknown as Record<string, Record<string, (a: unknown) => Promise<unknown>>>)[ns][method];
    try {
      return ok(await fn(checked.value));
    } catch (e) {
      if (e instanceof StationFailure) return fail(e.code, e.message);
      // Unexpected: keep the detail in the station's own log (no PSRD ever reaches an Error), give the user a code.
      log(`[station] ${channel} failed unexpectedly: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      return fail('internal', 'Something went wrong inside the station; nothing was changed.');
    }
  };
}
