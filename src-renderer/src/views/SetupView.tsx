// The first run of a new station, in three steps: create the first administrator, choose the entropy
// sources found on this machine, and generate a first pool. The passphrase goes to the station and is
// not kept here; the page sees sizes and sources only, never PSRD.
import { useEffect, useState } from 'react';
import type { SourceTestReport, SourceView } from '../../../src-shared/api/devices';
import type { SignedIn } from '../../../src-shared/api/operators';
import { sourceSpec, type EntropyLabel, type PoolProgress } from '../../../src-shared/api/pool';
import type { StationError } from '../../../src-shared/api/result';
import { formatBytes } from '../../../src-shared/psrd/size';
import { sizeOrProblem } from '../size-input';
import { station } from '../station-client';
import { useCall } from '../use-call';
import { ErrorNote } from './ErrorNote';

export type SetupStep = 1 | 2 | 3;
const STEPS = 3;
const FIRST_POOL = '64MiB';
const MAX_SOURCES = 8;

/**
 * Where an interrupted setup resumes after a reload (or a restart of the window). Step 1 ends signed in,
 * and from then on the session no longer says `needsSetup`, so the station's own record decides:
 * the remaining steps show when the signed-in account is an administrator and hub operator, is the
 * account the first-run setup created in the window (the ledger's first `operator.created`, made by
 * no operator from the window or the browser host), and the ledger has never recorded a pool segment.
 * Step 3 once `station.sources-configured` is recorded, else step 2. So a station set up with the CLI,
 * or one that has ever had a pool, goes straight to the tabs, and the setup never comes back once the
 * first pool exists. Null: no setup.
 */
export async function remainingSetupStep(who: SignedIn): Promise<SetupStep | null> {
  if (!who.roles.includes('admin') || !who.roles.includes('operator')) return null;
  const status = await station().pool.status({});
  if (!status.ok || status.value.segmentCount > 0) return null;
  const limit = 1000;
  const ledger = await station().audit.ledger({ afterSeq: -1, limit });
  // A ledger this long belongs to a station in use for a while, not to one being set up.
  if (!ledger.ok || ledger.value.length >= limit) return null;
  const entries = ledger.value;
  const first = entries.find((e) => e.type === 'operator.created');
  const actor = (first?.data.actor ?? {}) as { host?: unknown; operator?: unknown };
  const fromWindow = actor.operator === undefined && (actor.host === 'electron' || actor.host === 'browser');
  if (!first || first.data.name !== who.operator || !fromWindow) return null;
  if (entries.some((e) => e.type === 'pool.segment-added')) return null;
  return entries.some((e) => e.type === 'station.sources-configured') ? 3 : 2;
}

function StepHeading({ step, title }: { step: SetupStep; title: string }): React.JSX.Element {
  return (
    <>
      <p className="setup-step" data-testid="setup-step">
        Step {step} of {STEPS}
      </p>
      <h2>{title}</h2>
    </>
  );
}

export function SetupView({ start, onSignedIn, onFinish }: { start: SetupStep; onSignedIn: () => void; onFinish: () => void }): React.JSX.Element {
  const [step, setStep] = useState<SetupStep>(start);
  return (
    <section className="panel setup" data-testid="setup" data-step={step}>
      <ol className="setup-steps" aria-label="Setup steps">
        {(['Administrator', 'Entropy sources', 'First pool'] as const).map((name, i) => (
          <li key={name} aria-current={step === i + 1 ? 'step' : undefined} className={step > i + 1 ? 'done' : ''}>
            {name}
          </li>
        ))}
      </ol>
      {step === 1 ? (
        <AdminStep
          onDone={() => {
            setStep(2);
            onSignedIn();
          }}
        />
      ) : step === 2 ? (
        <SourcesStep onDone={() => setStep(3)} />
      ) : (
        <PoolStep onBack={() => setStep(2)} onFinish={onFinish} />
      )}
    </section>
  );
}

function AdminStep({ onDone }: { onDone: () => void }): React.JSX.Element {
  const [name, setName] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<StationError>();
  const [waiting, setWaiting] = useState(false);

  async function submit(e: React.FormEvent): Promise<void> {
    e.preventDefault();
    if (passphrase !== again) {
      setError({ code: 'bad-request', message: 'The two passphrases differ; type the same passphrase twice.' });
      setAgain('');
      return;
    }
    setWaiting(true);
    setError(undefined);
    const r = await station().operators.setup({ name: name.trim(), passphrase });
    setWaiting(false);
    setPassphrase('');
    setAgain('');
    if (r.ok) onDone();
    else setError(r.error);
  }

  return (
    <>
      <StepHeading step={1} title="Create the administrator" />
      <p>
        This station has no accounts yet. The administrator adds the other people who use it: hub operators, who make and refresh the pool,
        IT desk staff and auditors. The account you create now is also a hub operator, so that you can make the first pool in the next steps.
      </p>
      <form className="setup-form" onSubmit={(e) => void submit(e)}>
        <label>
          Name <input aria-label="Name" autoComplete="username" value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <label>
          Passphrase <input aria-label="Passphrase" type="password" autoComplete="new-password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} required />
        </label>
        <label>
          Passphrase again <input aria-label="Passphrase again" type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} required />
        </label>
        <p className="fine">At least 10 characters. Nobody can read it back, so keep it safe.</p>
        <button type="submit" disabled={waiting}>{waiting ? 'Creating…' : 'Create administrator'}</button>
      </form>
      <ErrorNote error={error} />
    </>
  );
}

/** A spec the station can be asked to use (HID devices and the like are listed, but are no source). */
const usable = (s: SourceView): boolean => sourceSpec(s.spec).ok && s.state !== 'failed';

/**
 * Ticked at first: the OS generator and what is configured already. A hardware unit found here is
 * offered with its Test button but not ticked until the operator has tested it: a slow or broken unit
 * chosen unseen would fail the first pool, and latch, on a station that has one operator so far.
 */
function tickedAtFirst(s: SourceView): boolean {
  if (!usable(s)) return false;
  return s.spec === 'os' || (s.configured && s.state === 'ok');
}

/** A unit that may be tested here: ready, and a known RNG (an unknown serial port may be anything). */
const testable = (s: SourceView): boolean => usable(s) && s.state === 'ok' && (s.spec === 'os' || s.configured || s.kind === 'device-file' || s.kind === 'usb' || (s.kind === 'serial' && !s.label.startsWith('Serial port')));

const STATE_WORDS: Readonly<Record<SourceView['state'], string>> = { ok: 'ready', failed: 'FAILED', absent: 'not present', unavailable: 'cannot be opened' };

function SourcesStep({ onDone }: { onDone: () => void }): React.JSX.Element {
  const list = useCall(() => station().devices.listSources({}), []);
  const [ticked, setTicked] = useState<Readonly<Record<string, boolean>>>({});
  const [error, setError] = useState<StationError>();
  const [busy, setBusy] = useState<string>();
  const [tested, setTested] = useState<SourceTestReport>();
  const { refresh } = list;
  useEffect(() => station().on('devices.changed', () => refresh()), [refresh]);

  const report = list.value;
  const sources = report?.sources ?? [];
  // A source seen for the first time gets its default tick; the person's own ticks are kept.
  useEffect(() => {
    setTicked((t) => {
      const fresh = (report?.sources ?? []).filter((s) => !(s.spec in t));
      return fresh.length === 0 ? t : { ...t, ...Object.fromEntries(fresh.map((s) => [s.spec, tickedAtFirst(s)])) };
    });
  }, [report]);

  async function test(s: SourceView): Promise<void> {
    setBusy(s.spec);
    setError(undefined);
    setTested(undefined);
    const r = await station().devices.testSource({ spec: s.spec });
    setBusy(undefined);
    if (r.ok) setTested(r.value);
    else setError(r.error);
    refresh();
  }

  async function use(): Promise<void> {
    const chosen = sources.filter((s) => usable(s) && ticked[s.spec]).map((s) => s.spec);
    if (chosen.length === 0) {
      setError({ code: 'bad-request', message: 'Tick at least one source; the OS generator is always there.' });
      return;
    }
    if (chosen.length > MAX_SOURCES) {
      setError({ code: 'bad-request', message: `Tick at most ${MAX_SOURCES} sources.` });
      return;
    }
    setBusy('configure');
    setError(undefined);
    const r = await station().devices.configureSources({ sources: chosen });
    setBusy(undefined);
    if (r.ok) onDone();
    else setError(r.error);
  }

  return (
    <>
      <StepHeading step={2} title="Entropy sources" />
      <p>
        These are the sources of randomness the station found on this computer. Tick the ones the pool is made from; several are combined,
        so the pool is as good as the best of them and is made as fast as the slowest.
      </p>
      <p>
        PSRD made from the operating system&apos;s generator alone is labelled <em>computational</em> (as strong as the generator&apos;s
        cryptography); with a hardware random number generator among the sources it is labelled <em>information-theoretic</em>.
      </p>
      <ErrorNote error={list.error} />
      {!list.value && !list.error && <p>Looking for sources…</p>}
      <ul className="setup-sources">
        {sources.map((s) => (
          <li key={s.spec} data-testid="setup-source" data-spec={s.spec} data-kind={s.kind} data-state={s.state}>
            <label>
              <input
                type="checkbox"
                aria-label={`Use ${s.label}`}
                checked={usable(s) && ticked[s.spec] === true}
                disabled={!usable(s) || busy !== undefined}
                onChange={(e) => setTicked((t) => ({ ...t, [s.spec]: e.target.checked }))}
              />{' '}
              {s.label} <span className="facts">{s.spec}</span>
            </label>{' '}
            <span className={s.state === 'ok' ? 'good' : s.state === 'failed' ? 'error' : 'warn'}>{STATE_WORDS[s.state]}</span>
            {testable(s) && (
              <button className="small" disabled={busy !== undefined} onClick={() => void test(s)}>
                {busy === s.spec ? 'Testing…' : 'Test'}
              </button>
            )}
            {!usable(s) && s.state !== 'failed' && <div className="fine">Listed only; it cannot be used as an entropy source.</div>}
            {s.reason && usable(s) && <div className="fine">{s.reason}</div>}
          </li>
        ))}
      </ul>
      {tested && (
        <p data-testid="setup-source-test" className={tested.passed ? 'good' : 'error'}>
          {tested.passed ? `Passed: ${tested.label}, ${tested.samplesTested} samples through the start-up and continuous health tests.` : `Failed: ${tested.reason}`}
        </p>
      )}
      {(list.value?.warnings ?? []).map((w) => (
        <p key={w} className="fine">{w}</p>
      ))}
      <ErrorNote error={error} />
      <div className="row">
        <button disabled={busy !== undefined || !list.value} onClick={() => void use()}>{busy === 'configure' ? 'Saving…' : 'Use these sources'}</button>
      </div>
      <p className="fine">Your choice is saved in the station&apos;s settings file and recorded in the ledger. Every source&apos;s samples pass the NIST SP 800-90B health tests before use.</p>
    </>
  );
}

function PoolStep({ onBack, onFinish }: { onBack: () => void; onFinish: () => void }): React.JSX.Element {
  const status = useCall(() => station().pool.status({}), []);
  const configured = useCall(() => station().devices.listSources({}), []);
  const [size, setSize] = useState(FIRST_POOL);
  const [progress, setProgress] = useState<PoolProgress>();
  const [result, setResult] = useState<{ bytes: number; segments?: number; label?: EntropyLabel }>();
  const [error, setError] = useState<StationError>();
  const [busy, setBusy] = useState(false);
  /** A generation this page did not start (it was running before a reload): its end comes as an event only. */
  const [resumed, setResumed] = useState<string>();
  const { refresh } = status;

  useEffect(() => station().on('pool.progress', setProgress), []);
  // After a reload during generation, the station's job is still running: show it rather than offer a second one.
  useEffect(() => {
    void station().jobs.list({}).then((r) => {
      const job = r.ok ? r.value.find((j) => j.kind === 'pool-generation' && j.state === 'running') : undefined;
      if (job) {
        setResumed(job.id);
        setBusy(true);
      }
    });
  }, []);
  const ended = progress !== undefined && (progress.phase === 'done' || progress.phase === 'failed' || progress.phase === 'cancelled');
  useEffect(() => {
    if (!ended) return;
    refresh();
    if (resumed !== undefined && progress?.job === resumed) {
      setBusy(false);
      if (progress.phase === 'done') setResult({ bytes: progress.bytesTotal });
      else setError({ code: 'cancelled', message: `The generation ${progress.phase === 'failed' ? 'failed' : 'was cancelled'}; what it had finished is kept. Generate again.` });
      setResumed(undefined);
    }
  }, [ended, progress, resumed, refresh]);

  async function generate(): Promise<void> {
    const bytes = sizeOrProblem(size);
    if (typeof bytes !== 'number') return setError(bytes);
    setBusy(true);
    setError(undefined);
    setProgress(undefined);
    const r = await station().pool.generate({ bytes });
    setBusy(false);
    if (r.ok) setResult({ bytes: r.value.bytes, segments: r.value.segmentIds.length, label: r.value.label });
    else setError(r.error);
    refresh();
  }

  async function cancel(): Promise<void> {
    if (!progress) return;
    const r = await station().jobs.cancel({ id: progress.job });
    if (!r.ok) setError(r.error);
  }

  const sources = (configured.value?.sources ?? []).filter((s) => s.configured).map((s) => s.label);
  const s = status.value;
  const running = busy && progress && progress.phase !== 'done' && progress.phase !== 'failed' && progress.phase !== 'cancelled';
  return (
    <>
      <StepHeading step={3} title="First pool" />
      <p>
        The pool holds the PSRD the station hands out. Make a first amount now; you can add more at any time from the Dashboard.
        {sources.length > 0 ? ` It is made from: ${sources.join(', ')}.` : ''}
      </p>
      {!result && (
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            void generate();
          }}
        >
          <label>
            Amount <input aria-label="Amount" value={size} onChange={(e) => setSize(e.target.value)} disabled={busy} />
          </label>
          <button type="submit" disabled={busy}>{busy ? 'Generating…' : 'Generate'}</button>
          {running && (
            <button type="button" className="secondary" onClick={() => void cancel()}>
              Cancel
            </button>
          )}
        </form>
      )}
      {progress && (
        <div data-testid="setup-progress" data-phase={progress.phase}>
          <progress max={progress.bytesTotal} value={progress.bytesDone} aria-label="Generation progress" />
          <p className="progress">
            {progress.phase}: {formatBytes(progress.bytesDone)} of {formatBytes(progress.bytesTotal)} · {formatBytes(progress.bytesPerSecond)}/s
            {progress.etaSeconds !== null ? ` · about ${progress.etaSeconds} s left` : ''}
          </p>
        </div>
      )}
      <ErrorNote error={error ?? status.error} />
      {result && (
        <p className="good" data-testid="setup-result">
          Done: {formatBytes(result.bytes)} of PSRD
          {result.segments !== undefined ? ` in ${result.segments} segment${result.segments === 1 ? '' : 's'}` : ''}
          {result.label ? `, labelled ${result.label}` : ''}. The Dashboard shows it and makes more.
        </p>
      )}
      {s && (
        <p>
          The pool now holds{' '}
          <strong data-testid="setup-pool-size" data-bytes={s.unallocatedBytes}>
            {formatBytes(s.unallocatedBytes)}
          </strong>
          .
        </p>
      )}
      <div className="row">
        {!busy && !result && (
          <button type="button" className="secondary" onClick={onBack}>
            Back to the sources
          </button>
        )}
        {result && <button onClick={onFinish}>Finish</button>}
      </div>
    </>
  );
}
