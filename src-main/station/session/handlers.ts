// The `session` namespace: what the caller talks to, and who is signed in on its transport.
import type { Handlers } from '../../../src-shared/api/dispatch';
import type { sessionCalls } from '../../../src-shared/api/session';
import type { Core } from '../core';
import type { Operator } from '../operators/gate';

export function sessionHandlers(core: Core): Handlers<{ session: typeof sessionCalls }, Operator>['session'] {
  return {
    info: async (_args, ctx) => {
      const signedIn = core.gate.peek(ctx.session);
      return { ...core.session, needsSetup: core.accounts.empty, ...(signedIn ? { signedIn } : {}) };
    },
  };
}
