// The hub operator's view of entropy sources: what is present and configured, which are latched FAILED
// after a health-test failure, a test run on demand, and the acknowledgement that re-enables a source.
import { useEffect, useState } from 'react';
import type { SourceTestReport, SourceView } from '../../../src-shared/api/devices';
import type { StationError } from '../../../src-shared/api/result';
import { station } from '../station-client';
import { useCall } from '../use-call';
import { ErrorNote } from './ErrorNote';
import { APPROVAL_MISSING, useApproval } from './ApprovalFields';

export function SourcesView(): React.JSX.Element {
  const list = useCall(() => station().devices.listSources({}), []);
  const [tested, setTested] = useState<SourceTestReport>();
  const [error, setError] = useState<StationError>();
  const approval = useApproval('approves acknowledgements', 'sources');
  const [busy, setBusy] = useState<string>();
  const { refresh } = list;
  useEffect(() => station().on('devices.changed', () => refresh()), [refresh]);

  async function test(s: SourceView): Promise<void> {
    setBusy(s.spec);
    setError(undefined);
    const r = await station().devices.testSource({ spec: s.spec });
    setBusy(undefined);
    if (r.ok) setTested(r.value);
    else setError(r.error);
    list.refresh();
  }

  async function acknowledge(s: SourceView): Promise<void> {
    const approver = approval.take();
    if (!approver) {
      setError(APPROVAL_MISSING);
      return;
    }
    setError(undefined);
    const r = await station().devices.acknowledgeSource({ spec: s.spec, approval: approver });
    approval.clear();
    if (!r.ok) setError(r.error);
    list.refresh();
  }

  return (
    <section className="panel">
      <h2>Entropy sources</h2>
      <ErrorNote error={list.error} />
      <table className="ledger">
        <thead>
          <tr>
            <th>State</th>
            <th>Source</th>
            <th>Device</th>
            <th><span className="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {(list.value?.sources ?? []).map((s) => (
            <tr key={s.spec} data-testid="source" data-spec={s.spec} data-state={s.state}>
              <td className={s.state === 'failed' ? 'error' : s.state === 'ok' ? 'good' : 'warn'}>
                {s.state === 'failed' ? 'FAILED' : s.state === 'ok' ? 'ready' : s.state === 'unavailable' ? 'unavailable' : 'not present'}
                {s.configured ? ' · configured' : ''}
              </td>
              <td className="facts">{s.spec}</td>
              <td>
                {s.label}
                {s.serial ? ` · serial ${s.serial}` : ''}
                {s.reason ? <div className="fine">{s.reason}</div> : null}
              </td>
              <td>
                {s.state === 'failed' ? (
                  <button onClick={() => void acknowledge(s)}>Acknowledge</button>
                ) : s.configured && s.state === 'ok' ? (
                  <button disabled={busy !== undefined} onClick={() => void test(s)}>{busy === s.spec ? 'Testing…' : 'Test'}</button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {approval.fields}
      <ErrorNote error={error} />
      {tested && (
        <p data-testid="source-test" className={tested.passed ? 'good' : 'error'}>
          {tested.passed ? `Passed: ${tested.label}, ${tested.samplesTested} samples through the start-up and continuous health tests.` : `Failed: ${tested.reason}`}
        </p>
      )}
      {(list.value?.warnings ?? []).map((w) => (
        <p key={w} className="fine">{w}</p>
      ))}
      <p className="fine">
        Every source's raw samples pass the NIST SP 800-90B start-up, repetition-count and adaptive-proportion tests. A source that fails is
        latched until an operator who has checked the device acknowledges it here, with a second operator's approval; nothing it produced since its last passing test is used.
      </p>
    </section>
  );
}
