// The `devices` namespace: entropy sources present and configured, their tests, and the two-person
// acknowledgement of a latched source.
import type { devicesCalls } from '../../../src-shared/api/devices';
import type { Handlers } from '../../../src-shared/api/dispatch';
import { actorOf, type Core } from '../core';
import type { Operator } from '../operators/gate';
import { allowedSources, sourceResources } from './configured-sources';

const TEST_BYTES = 256 * 1024;

export function devicesHandlers(core: Core): Handlers<{ devices: typeof devicesCalls }, Operator>['devices'] {
  return {
    listSources: () => core.entropy.list(core.settings.sources),
    testSource: async ({ spec }, ctx) => {
      const [allowed] = allowedSources(core, ctx.host, [spec]);
      return core.jobs.run(
        { kind: 'source-test', title: `Testing the entropy source ${allowed}`, resources: sourceResources([allowed]), total: TEST_BYTES, unit: 'bytes', actor: actorOf(ctx), signal: ctx.signal },
        async (job) => {
          job.progress(0, 'health tests');
          const report = await core.entropy.test(allowed);
          job.progress(report.bytesRead, 'done');
          return report;
        },
      );
    },
    acknowledgeSource: async ({ spec }, ctx) => core.entropy.acknowledge(spec, actorOf(ctx)),
  };
}
