// Talking to the Security Server online (issue S8, part 4): one request with a deadline, retried with
// exponential backoff on what is worth retrying (no answer, a 5xx), and a typed failure for the rest.
import { StationFailure } from '../../../src-shared/api/result';
import type { CancelSignal } from '../../../src-shared/api/dispatch';

export interface LinkOptions {
  readonly attempts: number;
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Reports per batch (default BATCH_REPORTS). */
  readonly batchReports?: number;
}

export const DEFAULT_LINK: LinkOptions = { attempts: 6, firstDelayMs: 200, maxDelayMs: 5000, timeoutMs: 30_000 };

export interface Answer {
  readonly status: number;
  readonly body: Buffer;
}

/** An AbortSignal that follows the call's cancel signal (which may be any object with the same shape). */
export function abortSignalOf(cancel: CancelSignal): AbortSignal {
  if (cancel instanceof AbortSignal) return cancel;
  const c = new AbortController();
  if (cancel.aborted) c.abort();
  else cancel.addEventListener('abort', () => c.abort());
  return c.signal;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> => new Promise((resolve, reject) => {
  const t = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => {
    clearTimeout(t);
    reject(new StationFailure('cancelled', 'Cancelled.'));
  }, { once: true });
});

/**
 * Sends one request, retrying what may succeed later; `counter` counts attempts. 4xx answers are
 * returned, not retried: the caller reads the server's reason.
 */
export async function send(url: string, init: { method: 'GET' | 'POST'; body?: Uint8Array; headers?: Record<string, string> }, opts: LinkOptions, counter: { attempts: number }): Promise<Answer> {
  let delay = opts.firstDelayMs;
  let last = '';
  for (let i = 1; i <= opts.attempts; i++) {
    counter.attempts++;
    if (opts.signal?.aborted) throw new StationFailure('cancelled', 'Cancelled.');
    try {
      const res = await fetch(url, {
        method: init.method,
        headers: { ...(init.body ? { 'content-type': 'application/octet-stream' } : {}), ...init.headers },
        ...(init.body ? { body: init.body } : {}),
        signal: opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]) : AbortSignal.timeout(opts.timeoutMs),
      });
      const body = Buffer.from(await res.arrayBuffer());
      if (res.status < 500) return { status: res.status, body };
      last = `the server answered ${res.status}`;
    } catch (e) {
      if (opts.signal?.aborted) throw new StationFailure('cancelled', 'Cancelled.');
      last = (e as Error & { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    }
    if (i < opts.attempts) {
      await sleep(delay, opts.signal);
      delay = Math.min(opts.maxDelayMs, delay * 2);
    }
  }
  throw new StationFailure('server-unreachable', `The Security Server at ${new URL(url).origin} could not be reached after ${opts.attempts} attempts (${last}); what waits stays in the outbox. Try again later, or carry the reports as a file (sync export).`);
}

/** The server's JSON reason for a 4xx answer, in its words. */
export function reasonOf(a: Answer): string {
  try {
    const j = JSON.parse(a.body.toString('utf8')) as { message?: unknown };
    if (typeof j.message === 'string') return j.message;
  } catch {
    // not JSON
  }
  return `the server answered ${a.status}`;
}
