// The station UI. Three people use it (docs/DESIGN.md): the hub operator (pool), the IT desk (enrolment,
// later issues) and the auditor (ledger). Nothing is shown before someone signs in; the first run
// creates the first administrator. It holds no PSRD, ever: only sizes, ids and ledger facts.
import { useCallback, useEffect, useState } from 'react';
import type { SessionInfo } from '../../src-shared/api/session';
import type { StationError } from '../../src-shared/api/result';
import { station } from './station-client';
import { ErrorNote } from './views/ErrorNote';
import { PoolView } from './views/PoolView';
import { LedgerView } from './views/LedgerView';
import { SignInView } from './views/SignInView';
import { SourcesView } from './views/SourcesView';

type Tab = 'pool' | 'sources' | 'ledger';

/** How often the window asks whether its session is still open (the station signs idle sessions out). */
const SESSION_CHECK_MS = 30_000;

export function App(): React.JSX.Element {
  const [tab, setTab] = useState<Tab>('pool');
  const [session, setSession] = useState<SessionInfo>();
  const [error, setError] = useState<StationError>();
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
      {!session ? null : !who ? (
        <SignInView firstRun={session.needsSetup} onSignedIn={check} />
      ) : (
        <>
          <nav className="tabs" role="tablist">
            <button role="tab" aria-selected={tab === 'pool'} onClick={() => setTab('pool')}>Pool</button>
            <button role="tab" aria-selected={tab === 'sources'} onClick={() => setTab('sources')}>Sources</button>
            <button role="tab" aria-selected={tab === 'ledger'} onClick={() => setTab('ledger')}>Ledger</button>
          </nav>
          <main>{tab === 'pool' ? <PoolView /> : tab === 'sources' ? <SourcesView /> : <LedgerView />}</main>
        </>
      )}
    </div>
  );
}
