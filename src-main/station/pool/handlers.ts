// The `pool` namespace: level, segments, generation as a job, and destruction of expired segments.
import type { Handlers } from '../../../src-shared/api/dispatch';
import type { GenerateResult, PoolProgress, poolCalls } from '../../../src-shared/api/pool';
import type { JobHandle } from '../jobs/jobs';
import { actorOf, type Core, type Ctx } from '../core';
import type { Operator } from '../operators/gate';
import { allowedSources, sourceResources } from '../devices/configured-sources';
import { formatBytes } from '../../../src-shared/psrd/size';

/** The generation job's work: sources → health tests → conditioning → encrypted segments, with progress. */
async function generateWork(core: Core, ctx: Ctx, job: JobHandle, specs: readonly string[], args: { bytes: number; resumes?: string }): Promise<GenerateResult> {
  const stream = await core.entropy.open(specs);
  const started = Date.now();
  const progress = (phase: PoolProgress['phase'], done: number): void => {
    job.progress(done, phase);
    const rate = done / Math.max((Date.now() - started) / 1000, 1e-3);
    core.events.emit('pool.progress', {
      job: job.id, phase, bytesDone: done, bytesTotal: args.bytes, bytesPerSecond: Math.round(rate),
      etaSeconds: rate > 0 && done < args.bytes ? Math.round((args.bytes - done) / rate) : done >= args.bytes ? 0 : null,
      sources: stream.health(),
    });
  };
  let done = 0;
  try {
    progress('start-up test', 0);
    const { segmentIds } = await core.pool.generate(stream, args.bytes, {
      job: job.id,
      resumes: args.resumes,
      actor: actorOf(ctx),
      checkCancelled: job.checkCancelled,
      onProgress: (p) => {
        done = p.bytesDone;
        progress('generating', p.bytesDone);
      },
    });
    progress('done', args.bytes);
    return { job: job.id, bytes: args.bytes, segmentIds, label: stream.provenance().label };
  } catch (e) {
    progress(job.signal.aborted ? 'cancelled' : 'failed', done);
    throw e;
  } finally {
    await stream.close();
  }
}

const GENERATION = { kind: 'pool-generation', unit: 'bytes', resumable: true } as const;

export function poolHandlers(core: Core): Handlers<{ pool: typeof poolCalls }, Operator>['pool'] {
  const { pool } = core;
  const sourcesFor = (ctx: Ctx, named?: readonly string[]): readonly string[] => allowedSources(core, ctx.host, named ?? core.settings.sources);
  return {
    status: async () => pool.status(),
    segments: async ({ offset, limit }) => pool.segments(offset ?? 0, limit ?? 100),
    generate: async (args, ctx) => {
      const specs = sourcesFor(ctx, args.sources);
      return core.jobs.run(
        { ...GENERATION, title: `Generating ${formatBytes(args.bytes)} of PSRD`, resources: ['pool:generate', ...sourceResources(specs)], total: args.bytes, actor: actorOf(ctx), signal: ctx.signal },
        (job) => generateWork(core, ctx, job, specs, args),
      );
    },
    destroyExpired: (_args, ctx) =>
      core.jobs.run({ kind: 'pool-destroy-expired', title: 'Destroying expired segments', resources: ['pool:segments'], total: 0, unit: 'items', actor: actorOf(ctx), signal: ctx.signal }, async () =>
        pool.destroyExpired(actorOf(ctx)),
      ),
    // Read-only on the pool, so it may run beside a generation (which only adds segments, left out of
    // its plan); it holds the pool's segments, so nothing is destroyed while it reads them.
    scrub: (_args, ctx) => {
      const plan = pool.scrubPlan();
      return core.jobs.run(
        { kind: 'pool-scrub', title: 'Checking every chunk of the pool', resources: ['pool:segments'], total: plan.bytes, unit: 'bytes', actor: actorOf(ctx), signal: ctx.signal },
        async (job) => {
          job.progress(0, 'scrubbing');
          const result = await pool.scrub(plan, { actor: actorOf(ctx), onProgress: (done) => job.progress(done, 'scrubbing'), checkCancelled: job.checkCancelled });
          job.progress(result.bytes, 'done');
          return result;
        },
      );
    },
    // Spec §10 refresh: destroy what is past its age, then generate as much again from the configured sources, as one job.
    refresh: async (_args, ctx) => {
      const specs = sourcesFor(ctx);
      return core.jobs.run(
        { ...GENERATION, title: 'Refreshing the pool', resources: ['pool:segments', 'pool:generate', ...sourceResources(specs)], total: 0, actor: actorOf(ctx), signal: ctx.signal },
        async (job) => {
          const destroyed = pool.destroyExpired(actorOf(ctx));
          if (destroyed.destroyedBytes === 0) return { ...destroyed, generatedBytes: 0 };
          const made = await generateWork(core, ctx, job, specs, { bytes: destroyed.destroyedBytes });
          return { ...destroyed, generatedBytes: made.bytes };
        },
      );
    },
  };
}
