// The one door into a core, for every transport (IPC, the browser host, the CLI, HTTP): look the call
// up in the contract, check who is calling (signed in, holding a role the call allows, a second
// operator's approval where the call needs one), validate the argument, run the handler with the call
// context, and turn whatever happens into a Result. A refused call never reaches the core.
import { approvalShape, lookupCall, type Approval, type Contract, type CallResult, type HandlerArgs } from './contract';
import { fail, ok, StationFailure, type Result } from './result';

export interface Principal {
  readonly name: string;
  readonly roles: readonly string[];
}

/**
 * Where a transport keeps who is signed in on it: one per window, per browser-host run, per CLI
 * process. The transport owns the slot; only the core's gate reads or writes what is in it, so the
 * renderer never holds a session secret.
 */
export interface SessionSlot {
  current?: unknown;
}

/** The part of an AbortSignal the core uses (src-shared has no DOM or node types). */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** What a transport knows about a call before dispatch: where it came from and its session. */
export interface TransportContext {
  readonly host: string;
  readonly session: SessionSlot;
  /** Aborted when the caller goes away (the CLI on SIGINT/SIGTERM). */
  readonly signal: CancelSignal;
}

/** What every handler receives beside its argument. The ledger takes the actor from here, never from arguments. */
export interface CallContext<P extends Principal = Principal> {
  readonly host: string;
  readonly session: SessionSlot;
  readonly signal: CancelSignal;
  readonly operator?: P;
  readonly approver?: P;
}

/** The core's answer to "who is this": implemented by the station's operators, and later the server's. */
export interface Gate<P extends Principal> {
  /** The operator signed in on this slot, or undefined; throws a StationFailure when the session expired. */
  signedIn(session: SessionSlot): Promise<P | undefined>;
  /** Checks a second operator's passphrase; throws a StationFailure when it is wrong or locked. */
  approve(approval: Approval): Promise<P>;
}

export type Handlers<C extends Contract, P extends Principal = Principal> = {
  readonly [N in keyof C]: { readonly [M in keyof C[N]]: (args: HandlerArgs<C[N][M]>, ctx: CallContext<P>) => Promise<CallResult<C[N][M]>> };
};

export type Dispatch = (channel: string, args: unknown, transport: TransportContext) => Promise<Result<unknown>>;

export interface DispatchOptions<C extends Contract, P extends Principal> {
  readonly contract: C;
  readonly handlers: Handlers<C, P>;
  readonly gate: Gate<P>;
  /** Where unexpected failures are written (never PSRD: no Error in the core carries it). */
  readonly log: (line: string) => void;
}

const holds = (p: Principal, roles: readonly string[]): boolean => p.roles.some((r) => roles.includes(r));

export function createDispatch<C extends Contract, P extends Principal>(opts: DispatchOptions<C, P>): Dispatch {
  const log = opts.log;
  return async (channel, rawArgs, transport) => {
    if (typeof channel !== 'string') return fail('unknown-call', 'The station does not offer that operation.');
    const spec = lookupCall(opts.contract, channel);
    if (!spec) return fail('unknown-call', `The station does not offer "${channel.slice(0, 60)}".`);
    try {
      let operator: P | undefined;
      if (spec.access !== 'public') {
        operator = await opts.gate.signedIn(transport.session);
        if (!operator) return fail('unauthenticated', 'Sign in first.');
        if (spec.access !== 'signed-in' && !holds(operator, spec.access)) {
          return fail('not-permitted', `${operator.name} (${operator.roles.join(', ')}) may not do this; it needs the ${spec.access.join(' or ')} role.`);
        }
      }
      let args: unknown = rawArgs === undefined ? {} : rawArgs;
      let approval: Approval | undefined;
      if (spec.approval) {
        const split = splitApproval(args);
        if (!split) return fail('approval-required', `This needs a second person: an operator with the ${spec.approval.join(' or ')} role approves it with their own passphrase.`);
        ({ args, approval } = split);
      } else if (spec.approvalOptional && typeof args === 'object' && args !== null && Object.prototype.hasOwnProperty.call(args, 'approval')) {
        const split = splitApproval(args);
        if (!split) return fail('bad-request', 'The request was malformed: approval must name an operator and carry their passphrase.');
        ({ args, approval } = split);
      }
      const checked = spec.args(args);
      if (!checked.ok) return fail('bad-request', `The request was malformed: ${checked.reason}.`);
      let approver: P | undefined;
      const approverRoles = spec.approval ?? spec.approvalOptional;
      if (approverRoles && approval) {
        if (operator && approval.operator.normalize('NFC').toLowerCase() === operator.name.normalize('NFC').toLowerCase()) {
          return fail('approval-refused', 'The approval must come from a second person, not from the operator making the request.');
        }
        approver = await opts.gate.approve(approval);
        if (!holds(approver, approverRoles)) return fail('approval-refused', `${approver.name} may not approve this; it needs the ${approverRoles.join(' or ')} role.`);
      }
      const [ns, method] = channel.split('.') as [string, string];
      const fn = (opts.handlers as unknown as Record<string, Record<string, (a: unknown, c: CallContext<P>) => Promise<unknown>>>)[ns][method];
      const ctx: CallContext<P> = { host: transport.host, session: transport.session, signal: transport.signal, operator, approver };
      return ok(await fn(checked.value, ctx));
    } catch (e) {
      if (e instanceof StationFailure) return fail(e.code, e.message);
      // Unexpected: keep the detail in the station's own log, give the user a code.
      log(`[station] ${channel} failed unexpectedly: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      return fail('internal', 'Something went wrong inside the station; nothing was changed.');
    }
  };
}

/** Takes `approval` out of a two-person call's argument; undefined when it is missing or malformed. */
function splitApproval(args: unknown): { args: unknown; approval: Approval } | undefined {
  if (typeof args !== 'object' || args === null || Array.isArray(args) || !Object.prototype.hasOwnProperty.call(args, 'approval')) return undefined;
  const { approval, ...rest } = args as Record<string, unknown>;
  const checked = approvalShape(approval, 'approval');
  return checked.ok ? { args: rest, approval: checked.value } : undefined;
}
