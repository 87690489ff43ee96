// The desk's enrolment wizard (issue S7 in the window): new application → identity check → client ID →
// initial keys → medium → write, verify, destroy the station's copy → hand receipt → done. Which step
// shows comes from the station — the application's recorded step (enrolment.show) and a delivery job
// running for its client (jobs.list, jobs.changed) — so a tab switch, a reload, a crash or a restart
// comes back to the same step. The application open sits in the address (#/enrol/app-…). No PSRD, no
// PIN and no passphrase is kept here: only ids, sizes and what the ledger says.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApplicationView } from '../../../../src-shared/api/enrolment';
import type { DeliveryResult } from '../../../../src-shared/api/delivery';
import type { JobView } from '../../../../src-shared/api/jobs';
import type { StationError } from '../../../../src-shared/api/result';
import type { ArgsOf } from '../../../../src-shared/api/station-api';
import { isMediaFault } from '../../../../src-shared/psrd/media-faults';
import { station } from '../../station-client';
import { shownTime } from '../../time';
import { ApplicationsStep } from './ApplicationsStep';
import { IdentityStep } from './IdentityStep';
import { ClientIdStep } from './ClientIdStep';
import { KeysStep } from './KeysStep';
import { MediumStep, NO_CHOICE, type MediumChoice } from './MediumStep';
import { DeliveryStep, type Progress } from './DeliveryStep';
import { ReceiptStep } from './ReceiptStep';
import { DoneStep, RefusedStep } from './DoneStep';
import { DeskError, STEPS, StepFocus, stepOf, type WizardStep } from './shared';
import './enrol.css';

export type DeliverArgs = ArgsOf<'delivery', 'deliver'>;

const APP_IN_HASH = /^#\/enrol\/(app-[0-9a-f]{16})$/;

/** The application open, from the address: a reload comes back to it. */
function useApplicationRoute(): [string | undefined, (id: string | undefined) => void] {
  const read = (): string | undefined => APP_IN_HASH.exec(window.location.hash)?.[1];
  const [id, setId] = useState(read);
  useEffect(() => {
    const on = (): void => setId(read());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  const go = useCallback((to: string | undefined) => {
    const hash = to ? `#/enrol/${to}` : '#/enrol';
    if (window.location.hash !== hash) window.location.hash = hash;
    setId(to);
  }, []);
  return [id, go];
}

/** A delivery job is this client's when its title names it (the station's jobs carry no client field). */
/** A delivery job holds its client as a resource (one delivery to a client at a time). */
const isDeliveryFor = (j: JobView, client: string): boolean => j.kind === 'delivery' && j.resources.includes(`client:${client}`);

function phaseStep(phase: string): WizardStep {
  if (phase === 'verify') return 'verify';
  if (phase === 'destroy' || phase === 'report' || phase === 'done') return 'destroy';
  return 'write';
}

export function EnrolWizard(): React.JSX.Element {
  const [appId, setAppId] = useApplicationRoute();
  const [app, setApp] = useState<ApplicationView>();
  const [loadError, setLoadError] = useState<StationError>();
  /** Set once the person acts here: from then on each new step's heading takes the focus. */
  const acted = useRef({ current: false }).current;
  const [job, setJob] = useState<JobView>();
  const [progress, setProgress] = useState<Progress>();
  /** The delivery that has just finished, shown (written, verified, copy destroyed) until the desk goes on to the receipt. */
  const [finished, setFinished] = useState<{ job: string; result?: DeliveryResult }>();
  /**
   * Deliveries the desk has gone on from: the job's end (an event) and the call's answer arrive in
   * either order, and a late one must not bring back the step the desk has left.
   */
  const continued = useRef(new Set<string>()).current;
  const [deliveryError, setDeliveryError] = useState<StationError>();
  /** The last delivery to this client that ended without delivering, found in the station's jobs after a reload. */
  const [lastAttempt, setLastAttempt] = useState<JobView>();
  const [delivering, setDelivering] = useState(false);
  /** The client whose running deliveries have been looked for (no step shows before: a delivery may be running). */
  const [jobsChecked, setJobsChecked] = useState<string>();
  const [choice, setChoice] = useState<MediumChoice>(NO_CHOICE);
  const jobId = useRef<string | undefined>(undefined);
  const firstSample = useRef<{ job: string; done: number; at: number; startedAt: number | undefined } | undefined>(undefined);
  /** When the job being watched started, by the station's clock (ms). */
  const startedAt = useRef<number | undefined>(undefined);

  const refresh = useCallback(async (): Promise<void> => {
    if (!appId) {
      setApp(undefined);
      return;
    }
    const r = await station().enrolment.show({ application: appId });
    if (r.ok) {
      setApp(r.value);
      setLoadError(undefined);
    } else setLoadError(r.error);
  }, [appId]);

  useEffect(() => {
    setApp(undefined);
    setJob(undefined);
    setProgress(undefined);
    setFinished(undefined);
    setDeliveryError(undefined);
    setLastAttempt(undefined);
    setChoice(NO_CHOICE);
    jobId.current = undefined;
    void refresh();
  }, [refresh]);

  const client = app?.client;
  // A delivery for this client, whoever started it and from whichever window: found again after a reload.
  useEffect(() => {
    if (!client) return;
    let live = true;
    void station()
      .jobs.list({})
      .then((r) => {
        if (!live) return;
        setJobsChecked(client);
        if (!r.ok) return setLoadError(r.error);
        const mine = r.value.filter((j) => isDeliveryFor(j, client));
        const running = mine.find((j) => j.state === 'running');
        if (running) {
          jobId.current = running.id;
          startedAt.current = Date.parse(running.startedAt);
          setJob(running);
        } else if (mine[0] && mine[0].state !== 'done') setLastAttempt(mine[0]);
      });
    const off = station().on('jobs.changed', (j) => {
      if (!isDeliveryFor(j, client)) return;
      jobId.current = j.id;
      startedAt.current = Date.parse(j.startedAt);
      setJob(j);
      if (j.state === 'running') return;
      if (j.state === 'done') setFinished((f) => f ?? (continued.has(j.id) ? undefined : { job: j.id }));
      else {
        setDeliveryError((j.error as StationError | undefined) ?? { code: 'internal', message: `The delivery ended ${j.state}.` });
        setChoice((c) => ({ ...c, device: undefined }));
      }
      void refresh();
    });
    return () => {
      live = false;
      off();
    };
  }, [client, refresh]);

  // Progress, from the station's events: phase, bytes, and from them speed and time left.
  useEffect(
    () =>
      station().on('delivery.progress', (p) => {
        if (p.job !== jobId.current) return;
        const now = Date.now();
        const first = firstSample.current;
        if (!first || first.job !== p.job) firstSample.current = { job: p.job, done: p.bytesDone, at: now, startedAt: startedAt.current };
        const f = firstSample.current!;
        // Over the samples seen here; with only one so far, since the job started (the station's clock).
        const seconds = (now - f.at) / 1000;
        const since = f.startedAt !== undefined ? (now - f.startedAt) / 1000 : 0;
        const speed = seconds > 0.5 ? (p.bytesDone - f.done) / seconds : since > 0.05 && p.bytesDone > 0 ? p.bytesDone / since : undefined;
        setProgress({ job: p.job, phase: p.phase, done: p.bytesDone, total: p.bytesTotal, bytesPerSecond: speed, etaSeconds: speed && speed > 0 ? (p.bytesTotal - p.bytesDone) / speed : undefined });
      }),
    [],
  );

  const open = useCallback(
    (id: string | undefined) => {
      acted.current = true;
      setAppId(id);
    },
    [acted, setAppId],
  );

  const stepDone = useCallback(
    (next?: ApplicationView) => {
      acted.current = true;
      if (next) setApp(next);
      else void refresh();
    },
    [acted, refresh],
  );

  async function deliver(args: DeliverArgs): Promise<boolean> {
    acted.current = true;
    setDeliveryError(undefined);
    setLastAttempt(undefined);
    setFinished(undefined);
    setProgress(undefined);
    setDelivering(true);
    const r = await station().delivery.deliver(args);
    setDelivering(false);
    if (r.ok) setFinished(continued.has(r.value.job) ? undefined : { job: r.value.job, result: r.value });
    else {
      setDeliveryError(r.error);
      // After a fault of the medium the stick is chosen again by the desk (it may be another one now).
      if (isMediaFault(r.error.code)) setChoice((c) => ({ ...c, device: undefined }));
    }
    void refresh();
    return r.ok;
  }

  const running = job?.state === 'running';
  let step: WizardStep | undefined;
  if (!appId) step = 'apply';
  else if (app && (!app.client || jobsChecked === app.client || job !== undefined)) {
    if (running) step = phaseStep(progress?.job === job.id ? progress.phase : job.phase);
    else if (finished) step = 'destroy';
    else step = stepOf(app);
  }
  const inDelivery = step !== undefined && (running || (finished !== undefined && appId !== undefined && app !== undefined));
  const current = STEPS.findIndex((s) => s.id === step);

  return (
    <StepFocus.Provider value={acted}>
      <section className="panel enrol" aria-labelledby="enrol-title">
        <div className="enrol-top">
          <h2 id="enrol-title">Enrolment</h2>
          {appId && (
            <button type="button" className="enrol-secondary" onClick={() => open(undefined)}>
              All applications
            </button>
          )}
        </div>
        {step !== 'refused' && (
          <ol className="enrol-steps" aria-label="Enrolment steps" data-testid="enrol-steps">
            {STEPS.map((s, i) => (
              <li key={s.id} aria-current={i === current ? 'step' : undefined} className={current >= 0 && i < current ? 'done' : step === 'destroy' && finished && s.id === 'destroy' ? 'done' : ''}>
                {s.label}
              </li>
            ))}
          </ol>
        )}
        {app && (
          <p className="enrol-who" data-testid="enrol-who">
            {app.name ?? '(name erased on request)'} · <span className="facts">{app.application}</span>
            {app.client && (
              <>
                {' '}
                · client <strong className="facts">{app.client}</strong>
              </>
            )}{' '}
            · applied {shownTime(app.createdAt)}
          </p>
        )}
        <DeskError error={loadError} />
        {step === 'apply' && <ApplicationsStep onOpen={open} />}
        {app && !inDelivery && step === 'identity' && <IdentityStep key="identity" app={app} onDone={stepDone} />}
        {app && !inDelivery && step === 'client-id' && <ClientIdStep key="client-id" app={app} onDone={stepDone} />}
        {app && !inDelivery && step === 'keys' && <KeysStep key="keys" app={app} onDone={stepDone} />}
        {app && !inDelivery && step === 'medium' && (
          <MediumStep key="medium" app={app} choice={choice} onChoice={setChoice} error={deliveryError} lastAttempt={lastAttempt} delivering={delivering} onDeliver={deliver} />
        )}
        {app && inDelivery && (
          <DeliveryStep
            key={finished ? 'delivered' : 'delivering'}
            app={app}
            job={job}
            progress={progress}
            finished={finished}
            onContinue={() => {
              acted.current = true;
              if (finished) continued.add(finished.job);
              if (job) continued.add(job.id);
              setFinished(undefined);
              setProgress(undefined);
              void refresh();
            }}
          />
        )}
        {app && !inDelivery && step === 'receipt' && <ReceiptStep key="receipt" app={app} onDone={stepDone} />}
        {app && !inDelivery && step === 'done' && <DoneStep key="done" app={app} onNew={() => open(undefined)} />}
        {app && step === 'refused' && <RefusedStep key="refused" app={app} onBack={() => open(undefined)} />}
        {appId && step === undefined && !loadError && <p className="fine">Opening the application…</p>}
      </section>
    </StepFocus.Provider>
  );
}
