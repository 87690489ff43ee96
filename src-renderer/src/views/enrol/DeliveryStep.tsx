// Write, verify, destroy the station's copy: the delivery job as the station runs it — its phase, the
// bytes, the speed and the time left — announced to screen readers in tenths, not byte by byte. When it
// has finished, what the station recorded: the package, on which medium, read back and matched, the
// station's copy destroyed and the range report queued for the Security Server.
import { useState } from 'react';
import type { ApplicationView } from '../../../../src-shared/api/enrolment';
import type { StationError } from '../../../../src-shared/api/result';
import type { DeliveryResult } from '../../../../src-shared/api/delivery';
import type { JobView } from '../../../../src-shared/api/jobs';
import { formatBytes } from '../../../../src-shared/psrd/size';
import { station } from '../../station-client';
import { shownTime } from '../../time';
import { useCall } from '../../use-call';
import { StepHeading, grouped, sizeText } from './shared';
import { ErrorNote } from '../ErrorNote';

export interface Progress {
  readonly job: string;
  readonly phase: string;
  /** Of the job's total: the write is the first half, the read-back the second. */
  readonly done: number;
  readonly total: number;
  readonly bytesPerSecond?: number;
  readonly etaSeconds?: number;
}

const PHASES: readonly { readonly id: string; readonly label: string }[] = [
  { id: 'reserve', label: 'Reserving a range of the pool' },
  { id: 'write', label: 'Writing the package to the medium' },
  { id: 'verify', label: 'Reading it back and comparing' },
  { id: 'destroy', label: 'Destroying the station’s copy' },
  { id: 'report', label: 'Queuing the range report for the Security Server' },
];

const phaseLabel = (phase: string): string => PHASES.find((p) => p.id === phase)?.label ?? (phase === 'starting' ? 'Starting' : phase);

function timeLeft(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return 'time left: working it out';
  if (seconds < 1) return 'less than a second left';
  if (seconds < 90) return `about ${Math.round(seconds)} s left`;
  return `about ${Math.round(seconds / 60)} min left`;
}

/**
 * Stops the delivery (the desk may stop what it started): the station voids the range, destroys what it
 * reserved and reports it voided, so nothing is lost or handed out; the wizard then offers the medium again.
 */
function CancelDelivery({ job, cancelling }: { job: string; cancelling: boolean }): React.JSX.Element {
  const [error, setError] = useState<StationError>();
  const [asked, setAsked] = useState(false);
  async function cancel(): Promise<void> {
    setAsked(true);
    const r = await station().jobs.cancel({ id: job });
    if (!r.ok) {
      setAsked(false);
      setError(r.error);
    }
  }
  return (
    <div className="row">
      <button type="button" className="secondary" disabled={asked || cancelling} onClick={() => void cancel()}>
        {asked || cancelling ? 'Cancelling…' : 'Cancel this delivery'}
      </button>
      <ErrorNote error={error} />
    </div>
  );
}

export function DeliveryStep(props: { app: ApplicationView; job: JobView | undefined; progress: Progress | undefined; finished: { job: string; result?: DeliveryResult } | undefined; onContinue: () => void }): React.JSX.Element {
  const { app, job, progress, finished, onContinue } = props;
  const client = app.client!;
  const record = useCall(() => station().clients.show({ client }), [client, finished?.job]);

  if (finished) {
    const result = finished.result;
    const pkgId = result?.package;
    const delivered = (record.value?.packageList ?? []).filter((p) => p.state === 'delivered');
    const pkg = (pkgId ? delivered.find((p) => p.package === pkgId) : undefined) ?? delivered.at(-1);
    return (
      <div className="enrol-body">
        <StepHeading>Delivered: written, verified, the station’s copy destroyed</StepHeading>
        <ol className="enrol-phases" aria-label="Delivery phases">
          {PHASES.map((p) => (
            <li key={p.id} className="done">
              {p.label}: done
            </li>
          ))}
        </ol>
        {pkg && (
          <dl className="enrol-facts" data-testid="enrol-delivered">
            <div>
              <dt>Package</dt>
              <dd className="facts">{pkg.package}</dd>
            </div>
            <div>
              <dt>PSRD</dt>
              <dd>{sizeText(pkg.bytes)}</dd>
            </div>
            <div>
              <dt>Medium</dt>
              <dd>
                <span className="facts">
                  {pkg.medium.kind}:{pkg.medium.target}
                </span>
                {pkg.medium.serial ? ` · serial ${pkg.medium.serial}` : ''}
                {pkg.medium.model ? ` · ${pkg.medium.model}` : ''}
              </dd>
            </div>
            <div>
              <dt>State on the station’s record</dt>
              <dd data-testid="enrol-package-state">{pkg.state} on {shownTime(pkg.time)}</dd>
            </div>
            {result && (
              <div>
                <dt>Range report for the Security Server</dt>
                <dd>#{grouped(result.report)} queued</dd>
              </div>
            )}
          </dl>
        )}
        <p>The station holds no copy of this PSRD any more: the client’s medium and the Security Server hold the only two.</p>
        <div className="row">
          <button type="button" onClick={onContinue}>
            Continue to the hand receipt
          </button>
        </div>
      </div>
    );
  }

  const p = progress && progress.job === job?.id ? progress : undefined;
  const phase = p?.phase ?? job?.phase ?? 'starting';
  const total = p?.total ?? job?.total ?? 0;
  const done = p?.done ?? job?.done ?? 0;
  const half = total / 2;
  const stage = phase === 'verify' ? 'read back' : 'written';
  const stageDone = phase === 'verify' ? Math.max(0, done - half) : Math.min(done, half);
  const tenths = total > 0 ? Math.floor((10 * done) / total) * 10 : 0;
  const at = PHASES.findIndex((x) => x.id === phase);
  return (
    <div className="enrol-body">
      <StepHeading>Writing the PSRD to the medium</StepHeading>
      <p>
        {job?.title ?? `Delivering to ${client}`}
        {job ? `, started by ${job.startedBy} on ${shownTime(job.startedAt)}` : ''}. Leave the medium in place until the station says it is done.
      </p>
      <ol className="enrol-phases" aria-label="Delivery phases">
        {PHASES.map((x, i) => (
          <li key={x.id} className={i < at ? 'done' : i === at ? 'current' : ''} aria-current={i === at ? 'step' : undefined}>
            {x.label}
            {i < at ? ': done' : ''}
          </li>
        ))}
      </ol>
      <div className="enrol-progress" data-testid="enrol-progress" data-phase={phase}>
        <progress max={Math.max(total, 1)} value={done} aria-label="Delivery progress" />
        <p className="progress">
          {phaseLabel(phase)} · {formatBytes(stageDone)} of {formatBytes(half)} {stage} · {p?.bytesPerSecond !== undefined ? `${formatBytes(p.bytesPerSecond)}/s` : 'speed: measuring'} · {timeLeft(p?.etaSeconds)}
        </p>
      </div>
      {job && ['starting', 'reserve', 'write', 'verify', 'cancelling'].includes(phase) && <CancelDelivery job={job.id} cancelling={phase === 'cancelling'} />}
      {/* For screen readers: the phase and every tenth of the way, not every byte. */}
      <p className="visually-hidden" role="status" aria-live="polite" data-testid="enrol-announce">
        {`${phaseLabel(phase)}: ${tenths} % done.`}
      </p>
    </div>
  );
}
