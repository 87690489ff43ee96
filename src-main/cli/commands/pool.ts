// `dske-station pool …`: the pool's level, generation, destruction of expired segments, refresh and scrub.
import type { DamagedChunk, DestroyResult, GenerateResult, PoolStatus, RefreshResult, ScrubResult } from '../../../src-shared/api/pool';
import { formatBytes, parseSize } from '../../../src-shared/psrd/size';
import { single, UsageError } from '../args';
import { noArgs, type Command } from '../command';

function poolStatus(s: PoolStatus): string {
  const lines = [
    `Unallocated pool: ${formatBytes(s.unallocatedBytes)} (${s.unallocatedBytes} bytes) in ${s.segmentCount} segment(s)`,
    `Computationally secure only (from DRBG sources): ${formatBytes(s.computationalBytes)}`,
    `Low-water mark: ${formatBytes(s.lowWaterBytes)}${s.belowLowWater ? '  — BELOW the low-water mark: generate more PSRD' : ''}`,
  ];
  if (s.expiredSegments > 0) lines.push(`${s.expiredSegments} segment(s) are past their refresh age: run \`dske-station pool destroy-expired\`.`);
  return lines.join('\n');
}

const generated = (r: GenerateResult): string => `Added ${formatBytes(r.bytes)} (${r.bytes} bytes) to the pool in ${r.segmentIds.length} segment(s); protection: ${r.label}.`;

const destroyed = (r: DestroyResult): string =>
  r.destroyedSegments === 0 ? 'No segment is past its refresh age.' : `Destroyed ${r.destroyedSegments} expired segment(s), ${formatBytes(r.destroyedBytes)}, by crypto-erase (keys destroyed) and best-effort overwrite.`;

const refreshed = (r: RefreshResult): string => (r.destroyedSegments === 0 ? destroyed(r) : `${destroyed(r)}\nGenerated ${formatBytes(r.generatedBytes)} to replace them.`);

const where = (d: DamagedChunk): string => (d.chunk === null ? `${d.segment} header` : `${d.segment} chunk ${d.chunk} (bytes from ${d.offset})`);

function scrubbed(r: ScrubResult): string {
  const checked = `Checked ${r.chunks} chunk(s), ${formatBytes(r.bytes)} (${r.bytes} bytes), in ${r.segments} segment(s)`;
  if (r.damagedCount === 0) return `${checked}: every authentication tag matches.`;
  const more = r.damagedCount > r.damaged.length ? [`… and ${r.damagedCount - r.damaged.length} more (the ledger lists the first ${r.damaged.length}).`] : [];
  return [`${checked}: ${r.damagedCount} DAMAGED (recorded in the ledger; nothing was changed):`, ...r.damaged.map((d) => `DAMAGED  ${where(d)}: ${d.reason}`), ...more].join('\n');
}

export const poolCommands: readonly Command[] = [
  { words: 'pool status', usage: 'pool status', summary: 'how much unallocated PSRD the pool holds', call: 'pool.status', mode: 'read', args: noArgs, show: poolStatus },
  {
    words: 'pool generate',
    usage: 'pool generate --bytes SIZE [--source SPEC ...] | --resume',
    summary: 'generate PSRD into the pool (SIZE like 64MiB, 4GiB); --resume finishes one that stopped early',
    call: 'pool.generate',
    mode: 'write',
    args: (a, { station }) => {
      const sources = a.options['--source'];
      if (a.flags.has('--resume')) {
        const job = station.pool.state.resumable();
        if (!job) throw new UsageError('There is no interrupted generation to resume.');
        return { bytes: job.bytes - job.bytesDone, ...(sources ? { sources } : job.sources.length ? { sources: [...job.sources] } : {}), resumes: job.job };
      }
      const text = single(a, '--bytes');
      if (!text) throw new UsageError('pool generate needs --bytes SIZE (for example --bytes 4GiB).');
      const bytes = parseSize(text);
      if (bytes === null) throw new UsageError(`--bytes ${text} is not a size (write e.g. 1048576, 64MiB or 4GiB).`);
      return { bytes, ...(sources ? { sources } : {}) };
    },
    show: generated,
  },
  { words: 'pool destroy-expired', usage: 'pool destroy-expired', summary: 'crypto-erase unallocated segments past their refresh age', call: 'pool.destroyExpired', mode: 'write', args: noArgs, show: destroyed },
  {
    words: 'pool scrub',
    usage: 'pool scrub',
    summary: "check every chunk's authentication tag and list damaged chunks (changes nothing in the pool; the result is recorded)",
    call: 'pool.scrub',
    mode: 'write',
    args: noArgs,
    show: scrubbed,
    failed: (r: ScrubResult) => r.damagedCount > 0,
  },
  { words: 'pool refresh', usage: 'pool refresh', summary: 'destroy-expired, then generate as much again from the configured sources', call: 'pool.refresh', mode: 'write', args: noArgs, show: refreshed },
];
