// One allocation of pool PSRD to one client on one medium (issue S6, part 3; spec §10.2, §10.3, §11.2),
// journaled phase by phase: reserve → write → verify by read-back → destroy the station's copy →
// queue the range report. A failure before the read-back matched voids the range (destroyed here,
// reported voided); a failure after it leaves a delivered range whose destruction the next start
// finishes. Client packages and initial keys both go through here, on different sinks.
import { randomBytes } from 'node:crypto';
import { StationFailure } from '../../../src-shared/api/result';
import type { PsrdRange } from '../../../src-shared/psrd/range';
import type { Carrier, CarrierProgress, PackageStream } from '../../../hardware/carriers/carrier';
import type { Actor } from '../operators/accounts';
import { chooseRanges } from './allocator';
import type { AllocationRecord, MediumRecorded, Purpose } from './allocations';
import { settleDelivered, settleVoided, type SettleParts } from './settle';

/**
 * Where an allocation goes: a carrier (hardware/carriers/carrier.ts, whose phases it follows) or the
 * station's own keystore, which is no medium of the client's and so has a record of its own kind.
 * `release` is called by whoever opened the sink, on every path (a token left logged in refuses the next).
 */
export type Sink = Omit<Carrier, 'kind' | 'describe'> & { describe(): Promise<MediumRecorded> };

export type AllocationPhase = 'reserve' | 'write' | 'verify' | 'destroy' | 'report';

export interface AllocationRequest {
  readonly client: string;
  readonly purpose: Purpose;
  readonly bytes: number;
  readonly sink: Sink;
  /** The bytes that leave, for these ranges: a client package, or the raw initial keys. */
  readonly stream: (ranges: readonly PsrdRange[], packageId: string) => PackageStream;
  readonly job?: string;
  readonly actor: Actor;
  readonly signal: AbortSignal;
  readonly onPhase?: (phase: AllocationPhase, done: number, total: number) => void;
  /** Called after the reservation is recorded (tests and the crash harness hook here). */
  readonly afterPhase?: (phase: AllocationPhase) => void;
}

export interface AllocationOutcome {
  readonly allocation: AllocationRecord;
  readonly packageId: string;
  readonly packageBytes: number;
  readonly medium: MediumRecorded;
  readonly report: number;
}

export const newPackageId = (): string => `pkg-${randomBytes(16).toString('hex')}`;
const newAllocationId = (): string => `alc-${randomBytes(8).toString('hex')}`;

export interface AllocateParts extends SettleParts {
  /** The segments whose shipment the Security Server acknowledged: the only ones allocated (issue S8, part 3). */
  readonly shipped: ReadonlySet<string>;
}

export async function allocate(p: AllocateParts, req: AllocationRequest): Promise<AllocationOutcome> {
  const { sink, signal } = req;
  const cancelled = (): void => {
    if (signal.aborted) throw new StationFailure('cancelled', 'The delivery was cancelled.');
  };
  // Nothing is recorded until the medium has agreed to take the package.
  const ranges = chooseRanges(p.pool.state, p.allocations, p.shipped, req.bytes);
  const packageId = newPackageId();
  const stream = req.stream(ranges, packageId);
  await sink.preflight(stream.length);
  cancelled();
  const id = newAllocationId();
  const medium = await sink.describe();
  p.ledger.append('allocation.reserved', {
    allocation: id, client: req.client, purpose: req.purpose, ...(req.purpose === 'psrd' ? { package: packageId } : {}),
    ranges: ranges.map((r) => ({ segment: r.segment, offset: r.offset, length: r.length })), bytes: req.bytes, medium, ...(req.job ? { job: req.job } : {}), actor: req.actor,
  }, p.now);
  const a = p.allocations.byId.get(id)!;
  req.afterPhase?.('reserve');
  const total = 2 * stream.length;
  const progress = (c: CarrierProgress): void => req.onPhase?.(c.phase, (c.phase === 'verify' ? stream.length : 0) + c.bytesDone, total);
  try {
    req.onPhase?.('write', 0, total);
    const written = await sink.write(stream, progress, signal);
    p.ledger.append('allocation.written', { allocation: id, packageBytes: stream.length, medium: await sink.describe() }, p.now);
    req.afterPhase?.('write');
    cancelled();
    req.onPhase?.('verify', stream.length, total);
    await sink.verify(stream, written, progress, signal);
    p.ledger.append('allocation.verified', { allocation: id, method: 'read back from the medium and compared with what was written' }, p.now);
    req.afterPhase?.('verify');
  } catch (e) {
    const f = e instanceof StationFailure ? e : new StationFailure('internal', 'The delivery stopped on an unexpected error.');
    await sink.discard({ packageId });
    try {
      settleVoided(p, a, f.code, f.message, req.actor);
    } catch {
      // The ledger or the pool refused (a full disk): the allocation stays unsettled, and the next start voids it.
    }
    // An unexpected error goes on as it is, so that dispatch logs its stack (it carries no PSRD) and answers `internal`.
    throw e instanceof StationFailure ? f : e;
  }
  // The client holds a verified copy from here on: only the station's copy remains to destroy.
  req.onPhase?.('destroy', total, total);
  let report: number;
  try {
    report = settleDelivered(p, a);
  } catch (e) {
    const why = e instanceof StationFailure ? e.message : 'an unexpected error';
    throw new StationFailure(e instanceof StationFailure && e.code === 'disk-full' ? 'disk-full' : 'io', `The package was written and verified, but the station's copy could not be destroyed yet (${why}). The next start of the station finishes it; the medium may be handed over.`);
  }
  req.afterPhase?.('report');
  req.onPhase?.('report', total, total);
  return { allocation: a, packageId, packageBytes: stream.length, medium: a.medium ?? (await sink.describe()), report };
}
