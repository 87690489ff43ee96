// The `jobs` namespace: long work (generation, source tests, and the scrubs, deliveries and shipments
// to come) as the station runs it, so that the window shows it from the station and not from a
// component's state: it survives a tab switch, a reload and a restart (an interrupted job is listed).
import { call, returns } from './contract';
import { object, text } from './validate';

export type JobState = 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';

export interface JobView {
  readonly id: string;
  readonly kind: string;
  /** One line for the person watching: "Generating 4 GiB of PSRD". */
  readonly title: string;
  readonly phase: string;
  readonly state: JobState;
  readonly done: number;
  readonly total: number;
  readonly unit: 'bytes' | 'samples' | 'items';
  /** The resources it holds while running: "pool:segments", "source:os", a delivery's "client:c-000042", … */
  readonly resources: readonly string[];
  readonly startedBy: string;
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly error?: { readonly code: string; readonly message: string };
}

export const jobId = text({ maxLength: 40, pattern: /^job-[0-9a-f]{16}$/ });

export const jobsCalls = {
  list: call({ args: object({}), result: returns<readonly JobView[]>(), access: 'signed-in' }),
  /** An operator or administrator cancels any job; the desk, a job it started itself (a delivery it is watching). */
  cancel: call({ args: object({ id: jobId }), result: returns<{ cancelling: boolean }>(), access: ['operator', 'admin', 'desk'] }),
} as const;

export const jobsErrors = {
  busy: 'What this needs is in use by another job; try again when it has finished.',
  cancelled: 'The job was cancelled; what it had finished is kept and recorded.',
  'no-such-job': 'There is no running job with that id.',
} as const;

export interface JobsEvents {
  'jobs.changed': JobView;
}
export const jobsEventNames = ['jobs.changed'] as const;
