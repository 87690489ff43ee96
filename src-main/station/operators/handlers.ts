// The `operators` namespace: first-run setup, sign-in and sign-out, and account management.
import type { Handlers } from '../../../src-shared/api/dispatch';
import type { operatorsCalls } from '../../../src-shared/api/operators';
import { StationFailure } from '../../../src-shared/api/result';
import { actorOf, type Core } from '../core';
import type { Operator } from './gate';

export function operatorsHandlers(core: Core): Handlers<{ operators: typeof operatorsCalls }, Operator>['operators'] {
  const { accounts, gate } = core;
  return {
    setup: async ({ name, passphrase }, ctx) => {
      if (!accounts.empty) throw new StationFailure('setup-done', 'The station has its first administrator already; sign in instead.');
      // The first person at a new hub sets it up and makes its first pool: administrator and hub operator.
      await accounts.create(name, ['admin', 'operator'], passphrase, actorOf(ctx));
      return gate.open(ctx.session, name);
    },
    signIn: async ({ name, passphrase }, ctx) => {
      gate.close(ctx.session);
      const a = await accounts.authenticate(name, passphrase, ctx.host);
      return gate.open(ctx.session, a.name);
    },
    signOut: async (_args, ctx) => {
      gate.close(ctx.session);
      return { signedOut: true };
    },
    list: async () => accounts.list(),
    create: async ({ name, roles, passphrase }, ctx) => accounts.view(await accounts.create(name, roles, passphrase, actorOf(ctx))),
    setDisabled: async ({ name, disabled }, ctx) => {
      if (disabled && ctx.operator && accounts.get(name)?.name === ctx.operator.name) throw new StationFailure('not-permitted', 'You cannot disable your own account; ask another administrator.');
      return accounts.view(accounts.setDisabled(name, disabled, actorOf(ctx)));
    },
    changePassphrase: async ({ current, next }, ctx) => {
      const me = ctx.operator!;
      await accounts.authenticate(me.name, current, ctx.host);
      await accounts.setPassphrase(me.name, next, actorOf(ctx), 'changed by the operator');
      return { changed: true };
    },
    resetPassphrase: async ({ name, next, reason }, ctx) => {
      await accounts.setPassphrase(name, next, actorOf(ctx), reason ?? 'reset by an administrator');
      return accounts.view(accounts.get(name)!);
    },
  };
}
