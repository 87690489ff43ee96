// The `session` namespace: what the caller is talking to, and whether anyone is signed in. Public, so
// that the window can show a first-run setup or a sign-in screen before anything else.
import { call, returns } from './contract';
import type { SignedIn } from './operators';
import { object } from './validate';

export interface SessionInfo {
  readonly version: string;
  readonly dataDir: string;
  readonly startedAt: string;
  readonly host: 'electron' | 'browser' | 'cli' | 'test';
  /** No operator account exists yet: the window offers the first-run setup. */
  readonly needsSetup: boolean;
  readonly signedIn?: SignedIn;
}

export const sessionCalls = {
  info: call({ args: object({}), result: returns<SessionInfo>(), access: 'public' }),
} as const;

export const sessionErrors = {} as const;
export interface SessionEvents {}
export const sessionEventNames = [] as const;
