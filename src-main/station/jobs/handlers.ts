// The `jobs` namespace: the station's long work as the window shows it, and cancel.
import type { Handlers } from '../../../src-shared/api/dispatch';
import type { jobsCalls } from '../../../src-shared/api/jobs';
import type { Core } from '../core';
import type { Operator } from '../operators/gate';

export function jobsHandlers(core: Core): Handlers<{ jobs: typeof jobsCalls }, Operator>['jobs'] {
  return {
    list: async () => core.jobs.list(),
    cancel: async ({ id }) => ({ cancelling: core.jobs.cancel(id) }),
  };
}
