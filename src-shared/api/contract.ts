// The contract machinery (docs/DESIGN.md "api/"), generic so that the station, the Security Server and the
// client's key-delivery API each declare their own calls with it. A call is one statement: its
// argument's validator (the argument type is inferred from it), its result type, who may make it, and
// whether a second person must approve it. Dispatch (dispatch.ts) enforces all of it before the core.
import { object, text, type Infer, type Validator } from './validate';

/**
 * Who may make a call: anyone who reaches the transport ('public': sign-in, first-run setup, the
 * session's own description), anyone signed in, or an operator holding one of the listed roles.
 */
export type Access = 'public' | 'signed-in' | readonly string[];

/** One call: its argument's validator, (as a phantom) its result type, and its access rules. */
export interface CallSpec<A, R> {
  readonly args: Validator<A>;
  readonly result: R;
  readonly access: Access;
  /** Roles of which a second, different operator must hold one and approve the call with their passphrase. */
  readonly approval?: readonly string[];
  /**
   * The call may carry such an approval, checked the same way when it does; the handler decides from its
   * arguments whether it needs one (a delivery above the two-person threshold) and finds the approver
   * in its call context.
   */
  readonly approvalOptional?: readonly string[];
}

/** The result type of a call, written once: `result: returns<PoolStatus>()`. Never read at run time. */
export function returns<R>(): R {
  return undefined as R;
}

/** Declares a call; the argument type comes from the validator, nothing is stated twice. */
export function call<V extends Validator<unknown>, R, const X extends { access: Access; approval?: readonly string[]; approvalOptional?: readonly string[] }>(
  spec: { readonly args: V; readonly result: R } & X,
): CallSpec<Infer<V>, R> & X {
  return spec as unknown as CallSpec<Infer<V>, R> & X;
}

/** A second operator's word for a two-person call, carried beside the call's own arguments. */
export interface Approval {
  readonly operator: string;
  readonly passphrase: string;
}


export const approvalShape: Validator<Approval> = object({ operator: text({ maxLength: 64 }), passphrase: text({ maxLength: 1024 }) });

export type AnyCall = CallSpec<unknown, unknown>;
export type Contract = { readonly [ns: string]: { readonly [method: string]: AnyCall } };

type Base<S> = S extends CallSpec<infer A, unknown> ? A : never;
/** What a caller passes: the call's argument, plus `approval` for a two-person call. */
export type CallArgs<S> = S extends { readonly approval: readonly string[] }
  ? Base<S> & { readonly approval: Approval }
  : S extends { readonly approvalOptional: readonly string[] }
    ? Base<S> & { readonly approval?: Approval }
    : Base<S>;
/** What a handler receives: the argument alone (dispatch has checked and removed the approval). */
export type HandlerArgs<S> = Base<S>;
export type CallResult<S> = S extends CallSpec<unknown, infer R> ? R : never;

/** "pool.generate" and the like: the channel names used on every transport. */
export function channelNames(contract: Contract): string[] {
  const out: string[] = [];
  for (const [ns, methods] of Object.entries(contract)) for (const m of Object.keys(methods)) out.push(`${ns}.${m}`);
  return out;
}

export function lookupCall(contract: Contract, channel: string): AnyCall | undefined {
  const dot = channel.indexOf('.');
  if (dot <= 0) return undefined;
  const ns = channel.slice(0, dot);
  const m = channel.slice(dot + 1);
  if (!Object.prototype.hasOwnProperty.call(contract, ns)) return undefined;
  const methods = contract[ns];
  return Object.prototype.hasOwnProperty.call(methods, m) ? methods[m] : undefined;
}
