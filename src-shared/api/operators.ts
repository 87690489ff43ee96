// The `operators` namespace: who is calling (docs/DESIGN.md "Who is calling"). Local accounts with roles,
// passphrases checked in the core (never stored in the clear), lockout after repeated failures, idle
// sign-out, and accounts disabled rather than deleted, because the ledger names them.
import { call, returns } from './contract';
import { boolean, list, object, oneOf, optional, text } from './validate';

export const ROLES = ['desk', 'operator', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What each role is for, in the words the window and the CLI show. */
export const roleDescriptions: Readonly<Record<Role, string>> = {
  desk: 'IT desk: enrols clients and hands over their keys and PSRD',
  operator: 'hub operator: generates and refreshes the pool, tests and re-enables entropy sources',
  auditor: 'auditor: reads and verifies the ledger',
  admin: 'administrator: manages operator accounts',
};

export const operatorName = text({ maxLength: 64, pattern: /^[\p{L}\p{N}][\p{L}\p{N} ._'-]{0,63}$/u });
/** NIST SP 800-63B: at least 8 characters, long ones allowed; we ask for 10. Checked in full by the core. */
export const passphrase = text({ maxLength: 1024 });
const roleList = list(oneOf(ROLES), { minItems: 1, maxItems: ROLES.length });

export interface SignedIn {
  readonly operator: string;
  readonly roles: readonly Role[];
  /** Minutes without a call after which the station signs this session out. */
  readonly idleMinutes: number;
}

export interface OperatorView {
  readonly name: string;
  readonly roles: readonly Role[];
  readonly disabled: boolean;
  readonly createdAt: string;
  readonly lockedUntil?: string;
}

export const operatorsCalls = {
  /** First run only: creates the first administrator (also a hub operator, to make the first pool) when the station has no account yet, and signs them in. */
  setup: call({ args: object({ name: operatorName, passphrase }), result: returns<SignedIn>(), access: 'public' }),
  signIn: call({ args: object({ name: operatorName, passphrase }), result: returns<SignedIn>(), access: 'public' }),
  signOut: call({ args: object({}), result: returns<{ signedOut: boolean }>(), access: 'signed-in' }),
  list: call({ args: object({}), result: returns<readonly OperatorView[]>(), access: ['admin', 'auditor'] }),
  create: call({ args: object({ name: operatorName, roles: roleList, passphrase }), result: returns<OperatorView>(), access: ['admin'] }),
  /** An account is disabled, never deleted: the ledger keeps naming it. */
  setDisabled: call({ args: object({ name: operatorName, disabled: boolean() }), result: returns<OperatorView>(), access: ['admin'] }),
  changePassphrase: call({ args: object({ current: passphrase, next: passphrase }), result: returns<{ changed: boolean }>(), access: 'signed-in' }),
  /** An administrator sets a new passphrase for someone who forgot theirs (and lifts a lockout). */
  resetPassphrase: call({ args: object({ name: operatorName, next: passphrase, reason: optional(text({ maxLength: 200 })) }), result: returns<OperatorView>(), access: ['admin'] }),
} as const;

export const operatorsErrors = {
  unauthenticated: 'Sign in first.',
  'session-expired': 'You were signed out after a period without activity; sign in again.',
  'not-permitted': 'Your account does not have the role this needs.',
  'approval-required': 'This needs a second operator to approve it.',
  'approval-refused': 'The second operator’s approval was not accepted.',
  'bad-credentials': 'The name or passphrase is wrong.',
  'locked-out': 'This account is locked after repeated wrong passphrases; wait, or ask an administrator.',
  'account-disabled': 'This account is disabled.',
  'operator-exists': 'An account with that name exists already.',
  'weak-passphrase': 'The passphrase is too short.',
  'setup-done': 'The station has its first administrator already.',
} as const;

export interface OperatorsEvents {}
export const operatorsEventNames = [] as const;
