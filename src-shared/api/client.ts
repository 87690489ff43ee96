// The typed shape of the API as a caller sees it: the preload exposes exactly this object to the
// renderer, and the browser host's HTTP client implements the same shape (Bitwarden's pattern: the
// renderer's types come from the contract, never from a generic invoke(channel)).
import type { ArgsOf, EventName, MethodOf, Namespace, ResultOf, StationEvents } from './station-api';
import type { Result } from './result';

export type StationClient = {
  readonly [N in Namespace]: { readonly [M in MethodOf<N>]: (args: ArgsOf<N, M>) => Promise<Result<ResultOf<N, M>>> };
} & {
  /** Subscribe to one event; returns the function that unsubscribes. Listeners get the payload only. */
  readonly on: <E extends EventName>(event: E, listener: (payload: StationEvents[E]) => void) => () => void;
};
