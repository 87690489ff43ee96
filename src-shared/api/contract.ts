// The station API (DESIGN.md "api/"): the renderer's only door to the core. One namespaced object,
// each call with a validator for its argument and a declared result type. IPC, the browser host and
// the CLI all dispatch through this table, so a call that is not listed here does not exist.
import { integer, list, object, optional, text, type Validator } from './validate';
import type { LedgerEntryView, LedgerVerification, PoolStatus, GenerateResult, SessionInfo, SourceReport, SourceTestReport, DestroyResult, RefreshResult, SegmentPage } from './types';

/**
 * A source spec as the CLI and UI name it: os | hwrng | file:/path | serial:/dev/ttyACM0[:MODEL[:MODE]] |
 * serial:VID:PID[:SERIAL|*[:MODEL[:MODE]]] | usb:VID:PID[:SERIAL]. Only its shape is checked here; the
 * station parses it exactly (hardware/entropy/spec.ts) and refuses what it cannot open, by name.
 */
type NoArgs = Record<string, never>;

const sourceSpec = text({ maxLength: 200, pattern: /^(os|hwrng|(file|serial|usb):[\x21-\x7e]{1,195})$/ });

/** One call: its argument's validator and (as a phantom) its result type. */
export interface CallSpec<A, R> {
  readonly args: Validator<A>;
  readonly result?: R;
}
function call<A, R>(args: Validator<A>): CallSpec<A, R> {
  return { args };
}

const MAX_GENERATE_BYTES = 2 ** 44; // 16 TiB: a hub's pool is measured in GB to TB (issue S3).

export const stationApi = {
  session: {
    info: call<NoArgs, SessionInfo>(object({})),
  },
  pool: {
    status: call<NoArgs, PoolStatus>(object({})),
    segments: call<{ offset?: number; limit?: number }, SegmentPage>(
      object({ offset: optional(integer({ min: 0, max: Number.MAX_SAFE_INTEGER })), limit: optional(integer({ min: 1, max: 500 })) }),
    ),
    generate: call<{ bytes: number; sources?: string[]; resumes?: string }, GenerateResult>(
      object({
        bytes: integer({ min: 1, max: MAX_GENERATE_BYTES }),
        sources: optional(list(sourceSpec, { minItems: 1, maxItems: 8 })),
        /** The interrupted generation job this one finishes (`pool generate --resume`). */
        resumes: optional(text({ maxLength: 40, pattern: /^job-[0-9a-f]{16}$/ })),
      }),
    ),
    destroyExpired: call<NoArgs, DestroyResult>(object({})),
    /** §10: destroy unallocated segments past their refresh age and generate as much again. */
    refresh: call<NoArgs, RefreshResult>(object({})),
  },
  devices: {
    listSources: call<NoArgs, SourceReport>(object({})),
    /** Runs a source through its start-up and continuous health tests on 256 KiB; nothing it produces is kept. */
    testSource: call<{ spec: string }, SourceTestReport>(object({ spec: sourceSpec })),
    /** An operator re-enables a source latched FAILED, after checking the device (SP 800-90B §4.3). */
    acknowledgeSource: call<{ spec: string; operator: string }, { acknowledged: boolean }>(
      object({ spec: sourceSpec, operator: text({ maxLength: 100, pattern: /^[^\x00-\x1f]{1,100}$/ }) }),
    ),
  },
  audit: {
    ledger: call<{ afterSeq?: number; limit?: number }, LedgerEntryView[]>(
      object({ afterSeq: optional(integer({ min: -1, max: Number.MAX_SAFE_INTEGER })), limit: optional(integer({ min: 1, max: 1000 })) }),
    ),
    verify: call<NoArgs, LedgerVerification>(object({})),
  },
} as const;



export type StationApiSpec = typeof stationApi;
export type Namespace = keyof StationApiSpec;
export type MethodOf<N extends Namespace> = keyof StationApiSpec[N] & string;
export type ArgsOf<N extends Namespace, M extends MethodOf<N>> = StationApiSpec[N][M] extends CallSpec<infer A, unknown> ? A : never;
export type ResultOf<N extends Namespace, M extends MethodOf<N>> = StationApiSpec[N][M] extends CallSpec<unknown, infer R> ? R : never;

/** "pool.generate" and the like: the channel names used on every transport. */
export function channelNames(): string[] {
  const out: string[] = [];
  for (const [ns, methods] of Object.entries(stationApi)) for (const m of Object.keys(methods)) out.push(`${ns}.${m}`);
  return out;
}

export function lookupCall(channel: string): CallSpec<unknown, unknown> | undefined {
  const dot = channel.indexOf('.');
  if (dot <= 0) return undefined;
  const ns = channel.slice(0, dot);
  const m = channel.slice(dot + 1);
  if (!Object.prototype.hasOwnProperty.call(stationApi, ns)) return undefined;
  const methods = stationApi[ns as Namespace] as Record<string, CallSpec<unknown, unknown>>;
  return Object.prototype.hasOwnProperty.call(methods, m) ? methods[m] : undefined;
}
