// The `devices` namespace: entropy sources present and configured, their tests, the two-person
// acknowledgement of a latched source, and the choice of the configured sources (first-run setup).
import type { devicesCalls } from '../../../src-shared/api/devices';
import type { Handlers } from '../../../src-shared/api/dispatch';
import { StationFailure } from '../../../src-shared/api/result';
import { resolveSettings } from '../config';
import { actorOf, type Core, type Ctx } from '../core';
import type { Operator } from '../operators/gate';
import { prepareSetting } from '../settings-file';
import { sourceResources } from './configured-sources';
import { canonicalSpec } from './sources';

const TEST_BYTES = 256 * 1024;

/**
 * The window and the browser host may configure only what the station itself found on this machine
 * (or has configured already): a page must not make a file of its choosing an entropy source, which
 * is what configured-sources.ts guards at generation. The CLI, at the station's own shell, may name any.
 */
async function refuseUnlisted(core: Core, ctx: Ctx, specs: readonly string[]): Promise<void> {
  if (ctx.host === 'cli' || ctx.host === 'test') return;
  const report = await core.entropy.list(core.settings.sources);
  // A latched source that is neither found nor configured is listed for its latch only; it does not count.
  const listed = new Set(['os', ...report.sources.filter((s) => s.configured || s.state !== 'failed').map((s) => s.spec)]);
  for (const s of specs) {
    if (!listed.has(s)) throw new StationFailure('forbidden', `${s} is not an entropy source this station found; connect the device, or name it in the station's settings file at the station itself.`);
  }
}

export function devicesHandlers(core: Core): Handlers<{ devices: typeof devicesCalls }, Operator>['devices'] {
  return {
    listSources: () => core.entropy.list(core.settings.sources),
    testSource: async ({ spec }, ctx) => {
      // A source may be tested before it is chosen: configured ones, and those the station found itself.
      const configured = new Set(['os', ...core.settings.sources.map(canonicalSpec)]);
      const allowed = canonicalSpec(spec);
      if (!configured.has(allowed)) await refuseUnlisted(core, ctx, [allowed]);
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
    configureSources: async ({ sources }, ctx) => {
      const specs = sources.map(canonicalSpec); // bad-request, with the parser's reason, for a spec the station cannot parse
      if (new Set(specs).size !== specs.length) throw new StationFailure('bad-request', 'The same entropy source is named twice; choose each source once.');
      await refuseUnlisted(core, ctx, specs);
      // The file as it is now must still be one the station accepts (someone may have edited it since the
      // station opened): otherwise refuse, with its reason, and write nothing.
      resolveSettings(core.config);
      const prepared = prepareSetting(core.config.dataDir, 'sources', specs);
      try {
        core.ledger.append('station.sources-configured', { sources: specs, actor: actorOf(ctx) }, core.now);
      } catch (e) {
        prepared.abandon();
        throw e;
      }
      prepared.commit();
      // In effect at once, for every later call in this process. Everything that uses the configured
      // sources (generate and refresh, allowedSources, listSources, the device watch) reads
      // core.settings.sources at call time, so the settings are re-resolved from the file just written,
      // by the same rules as at open, and swapped whole; the rest of core.settings (the pool policy and
      // the others, which their parts took at open) is kept. Core declares `settings` readonly so that
      // nothing edits it piecemeal; this call is the one place that replaces it.
      const settings = { ...core.settings, sources: resolveSettings(core.config).sources };
      core.settings = settings;
      return { sources: settings.sources };
    },
  };
}
