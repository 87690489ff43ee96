// The station UI. Three people use it (DESIGN.md): the hub operator (pool), the IT desk (enrolment,
// later issues) and the auditor (ledger). It holds no PSRD, ever: only sizes, ids and ledger facts.
import { useEffect, useState } from 'react';
import type { SessionInfo } from '../../src-shared/api/types';
import { station } from './station-client';
import { PoolView } from './views/PoolView';
import { LedgerView } from './views/LedgerView';
import { SourcesView } from './views/SourcesView';

type Tab = 'pool' | 'sources' | 'ledger';

export function App(): React.JSX.Element {
  const [tab, setTab] = useState<Tab>('pool');
  const [session, setSession] = useState<SessionInfo>();
  useEffect(() => {
    void station().session.info({}).then((r) => r.ok && setSession(r.value));
  }, []);
  return (
    <div className="app">
      <header className="top">
        <h1>DSKE Station</h1>
        <span className="sub">Local Distributor{session ? ` · ${session.dataDir} · v${session.version}` : ''}</span>
      </header>
      <nav className="tabs" role="tablist">
        <button role="tab" aria-selected={tab === 'pool'} onClick={() => setTab('pool')}>Pool</button>
        <button role="tab" aria-selected={tab === 'sources'} onClick={() => setTab('sources')}>Sources</button>
        <button role="tab" aria-selected={tab === 'ledger'} onClick={() => setTab('ledger')}>Ledger</button>
      </nav>
      <main>{tab === 'pool' ? <PoolView /> : tab === 'sources' ? <SourcesView /> : <LedgerView />}</main>
    </div>
  );
}
