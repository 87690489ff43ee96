// The station UI. Three people use it (docs/DESIGN.md): the hub operator (pool), the IT desk (enrolment,
// later issues) and the auditor (ledger). Nothing is shown before someone signs in; the first run is a
// guided setup (first administrator, entropy sources, first pool: SetupView). It holds no PSRD, ever:
// only sizes, ids and ledger facts.
import { useCallback, useEffect, useState } from 'react';
import type { SessionInfo } from '../../src-shared/api/session';
import type { StationError } from '../../src-shared/api/result';
import { station } from './station-client';
import { ErrorNote } from './views/ErrorNote';
import { PoolView } from './views/PoolView';
import { LedgerView } from './views/LedgerView';
import { remainingSetupStep, SetupView, type SetupStep } from './views/SetupView';
import { SignInView } from './views/SignInView';
import { SourcesView } from './views/SourcesView';
import { SyncView } from './views/SyncView';

type Tab = 'pool' | 'sources' | 'sync' | 'ledger';

/** How often the window asks whether its session is still open (the station signs idle sessions out). */
const SESSION_CHECK_MS = 30_000;

export function App(): React.JSX.Element {
  const [tab, setTab] = useState<Tab>('pool');
  const [session, setSession] = useState<SessionInfo>();
  const [error, setError] = useState<StationError>();
  /** The setup step showing; 'none' when there is no setup to do; undefined while not yet known. */
  const [setup, setSetup] = useState<SetupStep | 'none'>();
  const check = useCallback(() => {
    void station().session.info({}).then((r) => {
      if (r.ok) {
        setSession(r.value);
        setError(undefined);
      } else setError(r.error);
    });
  }, []);
  useEffect(() => {
    check();
    const timer = setInterval(check, SESSION_CHECK_MS);
    window.addEventListener('focus', check);
    return () => {
      clearInterval(timer);
      window.removeEventListener('focus', check);
    };
  }, [check]);

  const needsSetup = session?.needsSetup;
  const whoName = session?.signedIn?.operator;
  const signedIn = session?.signedIn;
  // Whether the setup shows is decided once per signed-in account (SetupView.remainingSetupStep says
  // why after a reload); while it shows, its own steps move on, and only Finish (or signing out) ends it.
  useEffect(() => {
    if (needsSetup === undefined) return;
    if (needsSetup) {
      setSetup(1);
      return;
    }
    if (!whoName || !signedIn) {
      setSetup(undefined);
      return;
    }
    if (setup !== undefined) return;
    let live = true;
    void remainingSetupStep(signedIn).then((step) => {
      if (live) setSetup(step ?? 'none');
    });
    return () => {
      live = false;
    };
    // signedIn is a fresh object on every session check; the account's name is what matters, so it is no dependency.
  }, [needsSetup, whoName, setup]);

  async function signOut(): Promise<void> {
    await station().operators.signOut({});
    check();
  }

  const who = session?.signedIn;
  return (
    <div className="app">
      <header className="top">
        <h1>DSKE Station</h1>
        <span className="sub">Local Distributor{session ? ` · ${session.dataDir} · v${session.version}` : ''}</span>
        {who && (
          <span className="who" data-testid="signed-in">
            {who.operator} ({who.roles.join(', ')}) <button className="link" onClick={() => void signOut()}>Sign out</button>
          </span>
        )}
      </header>
      <ErrorNote error={error} />
      {!session ? null : session.needsSetup || (who && typeof setup === 'number') ? (
        <SetupView start={session.needsSetup ? 1 : (setup as SetupStep)} onSignedIn={check} onFinish={() => setSetup('none')} />
      ) : !who ? (
        <SignInView onSignedIn={check} />
      ) : setup === undefined ? (
        <p className="fine">Opening the station…</p>
      ) : (
        <>
          <nav className="tabs" role="tablist">
            <button role="tab" aria-selected={tab === 'pool'} onClick={() => setTab('pool')}>Pool</button>
            <button role="tab" aria-selected={tab === 'sources'} onClick={() => setTab('sources')}>Sources</button>
            <button role="tab" aria-selected={tab === 'sync'} onClick={() => setTab('sync')}>Security Server</button>
            <button role="tab" aria-selected={tab === 'ledger'} onClick={() => setTab('ledger')}>Ledger</button>
          </nav>
          <main>{tab === 'pool' ? <PoolView /> : tab === 'sources' ? <SourcesView /> : tab === 'sync' ? <SyncView /> : <LedgerView />}</main>
        </>
      )}
    </div>
  );
}
