// At a glance, beside the pool: each entropy source's state (a latched FAILED one is acknowledged on the
// Sources screen), the devices present, the Security Server's record ("in sync up to #N", or what waits),
// and every job running in the station now, whoever started it.
import { useEffect, useState } from 'react';
import type { JobView } from '../../../../src-shared/api/jobs';
import { formatBytes } from '../../../../src-shared/psrd/size';
import { station } from '../../station-client';
import { useCall } from '../../use-call';
import { ErrorNote } from '../ErrorNote';

function SourcesCard(): React.JSX.Element {
  const list = useCall(() => station().devices.listSources({}), []);
  const { refresh } = list;
  useEffect(() => station().on('devices.changed', () => refresh()), [refresh]);
  const sources = list.value?.sources ?? [];
  const configured = sources.filter((s) => s.configured);
  const others = sources.filter((s) => !s.configured && s.state !== 'absent');
  const failed = configured.filter((s) => s.state === 'failed');
  return (
    <div className="card" data-testid="dash-sources">
      <h3>Entropy sources</h3>
      <ErrorNote error={list.error} />
      <ul className="plain">
        {configured.map((s) => (
          <li key={s.spec} data-state={s.state}>
            <span className={s.state === 'ok' ? 'good' : s.state === 'failed' ? 'error' : 'warn'}>{s.state === 'ok' ? 'ready' : s.state === 'failed' ? 'FAILED' : s.state === 'absent' ? 'not present' : 'unavailable'}</span> {s.label}
          </li>
        ))}
      </ul>
      {configured.length === 0 && <p className="warn">No source is configured: the first-run setup or an administrator names them.</p>}
      {failed.length > 0 && (
        <p className="error">
          {failed.length === 1 ? 'A source is' : `${failed.length} sources are`} latched FAILED: check the device, then acknowledge it on the <a href="#/sources">Sources</a> screen with a second operator.
        </p>
      )}
      {others.length > 0 && <p className="fine">Also present, not configured: {others.map((s) => s.label).join(', ')}.</p>}
    </div>
  );
}

function SyncCard(): React.JSX.Element {
  const status = useCall(() => station().sync.status({}), []);
  const { refresh } = status;
  useEffect(() => station().on('ledger.appended', (e) => (e.type.startsWith('sync.') || e.type.startsWith('allocation.') ? refresh() : undefined)), [refresh]);
  const s = status.value;
  return (
    <div className="card" data-testid="dash-sync">
      <h3>Security Server</h3>
      <ErrorNote error={status.error} />
      {s && (
        <>
          <p>{s.registration ? `Registered (hub ${s.registration.hub}).` : 'Not registered yet.'}</p>
          <p data-testid="dash-sync-position">
            In sync up to #{s.acknowledgedUpTo.toLocaleString('en-US')}
            {s.reportsWaiting > 0 ? `; ${s.reportsWaiting.toLocaleString('en-US')} report(s) waiting (${formatBytes(s.bytesWaiting)})` : '; nothing waits'}.
          </p>
          <p>
            Allocatable (the server holds it too): {formatBytes(s.shippedBytes)}
            {s.unshippedBytes > 0 ? `; ${formatBytes(s.unshippedBytes)} still to ship or be acknowledged` : ''}.
          </p>
          {s.lastRefusal && <p className="error">The server refused report #{s.lastRefusal.seq}: {s.lastRefusal.reason}</p>}
          <p className="fine">
            Ship, import acknowledgements and push reports on the <a href="#/sync">Security Server</a> screen.
          </p>
        </>
      )}
    </div>
  );
}

function JobsCard(): React.JSX.Element {
  const [jobs, setJobs] = useState<readonly JobView[]>([]);
  useEffect(() => {
    void station().jobs.list({}).then((r) => r.ok && setJobs(r.value.filter((j) => j.state === 'running')));
    return station().on('jobs.changed', (j) => setJobs((all) => [...all.filter((x) => x.id !== j.id), ...(j.state === 'running' ? [j] : [])]));
  }, []);
  return (
    <div className="card" data-testid="dash-jobs">
      <h3>Running now</h3>
      {jobs.length === 0 ? (
        <p className="fine">Nothing is running.</p>
      ) : (
        <ul className="plain">
          {jobs.map((j) => (
            <li key={j.id}>
              {j.title} ({j.startedBy}): {j.unit === 'bytes' ? `${formatBytes(j.done)} of ${formatBytes(j.total)}` : `${j.done.toLocaleString('en-US')} of ${j.total.toLocaleString('en-US')}`}
              <progress max={Math.max(j.total, 1)} value={j.done} aria-label={j.title} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function StationHealth(): React.JSX.Element {
  return (
    <div className="cards">
      <SourcesCard />
      <SyncCard />
      <JobsCard />
    </div>
  );
}
