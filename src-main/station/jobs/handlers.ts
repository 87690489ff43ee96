// The `jobs` namespace: the station's long work as the window shows it, and cancel.
import type { Handlers } from '../../../src-shared/api/dispatch';
import type { jobsCalls } from '../../../src-shared/api/jobs';
import { StationFailure } from '../../../src-shared/api/result';
import type { Core } from '../core';
import type { Operator } from '../operators/gate';

export function jobsHandlers(core: Core): Handlers<{ jobs: typeof jobsCalls }, Operator>['jobs'] {
  return {
    list: async () => core.jobs.list(),
    cancel: async ({ id }, ctx) => {
      const who = ctx.operator;
      const job = core.jobs.list().find((j) => j.id === id && j.state === 'running');
      // The desk may stop what it started (a delivery it is watching), not another person's work.
      if (job && who && !who.roles.some((r) => r === 'operator' || r === 'admin') && job.startedBy !== who.name) {
        throw new StationFailure('not-permitted', `${job.title} was started by ${job.startedBy}; only they, an operator or an administrator may cancel it.`);
      }
      return { cancelling: core.jobs.cancel(id) };
    },
  };
}
