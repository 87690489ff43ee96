// The running job of one kind, as the station reports it: found again after a tab switch, a reload or a
// restart of the window, because it comes from the station's jobs and not from a component's state.
import { useEffect, useState } from 'react';
import type { JobView } from '../../src-shared/api/jobs';
import { station } from './station-client';

export function useRunningJob(kind: string, onEnded?: (job: JobView) => void): JobView | undefined {
  const [running, setRunning] = useState<JobView>();
  useEffect(() => {
    let live = true;
    void station().jobs.list({}).then((r) => {
      if (live && r.ok) setRunning(r.value.find((j) => j.kind === kind && j.state === 'running'));
    });
    const off = station().on('jobs.changed', (j) => {
      if (j.kind !== kind) return;
      if (j.state === 'running') setRunning(j);
      else {
        setRunning(undefined);
        onEnded?.(j);
      }
    });
    return () => {
      live = false;
      off();
    };
  }, [kind, onEnded]);
  return running;
}
