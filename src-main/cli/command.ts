// One CLI command: the words that name it, the API call it makes, how its arguments are read from the
// command line, and how its result is shown. Each namespace lists its commands in commands/<ns>.ts.
import type { Station } from '../station/station';
import type { ParsedArgs } from './args';
import type { Secrets } from './secrets';

export interface Command {
  /** "pool generate" */
  readonly words: string;
  /** The help line: its arguments and what it does. */
  readonly usage: string;
  readonly summary: string;
  /** The API call, "pool.generate"; the station's roles and approvals apply to it as to any caller. */
  readonly call: string;
  /**
   * How the station is opened: 'read' never creates or changes anything (status, show, verify),
   * 'write' needs an existing station, 'create' may make one (`init`).
   */
  readonly mode: 'read' | 'write' | 'create';
  /** Positional arguments after the command words, by name (all required). */
  readonly operands?: readonly string[];
  args(a: ParsedArgs, ctx: { station: Station; operands: readonly string[]; secrets: Secrets; /** The passphrase the operator signed in with. */ current?: string }): Promise<Record<string, unknown>> | Record<string, unknown>;
  show(value: never): string;
  /** Picks this command among several with the same words (e.g. `ledger verify --against`). */
  when?(a: ParsedArgs): boolean;
  /** Runs after a successful call, e.g. to write its result to a file the user named. */
  after?(value: never, a: ParsedArgs): void;
  /** A result that is a finding rather than a refusal (a source failing its test) still exits 1. */
  failed?(value: never): boolean;
}

export const noArgs = (): Record<string, unknown> => ({});
