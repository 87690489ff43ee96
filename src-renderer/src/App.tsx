// The station UI. Three people use it (docs/DESIGN.md), each in a workspace of their own (workspaces.ts):
// the IT desk (enrolment), the hub operator (dashboard, sources, Security Server) and the auditor (ledger). Nothing is shown before someone signs in; the first run is a
// guided setup (first administrator, entropy sources, first pool: SetupView). It holds no PSRD, ever:
// only sizes, ids and ledger facts.
import { useCallback, useEffect, useState } from 'react';
import type { SessionInfo } from '../../src-shared/api/session';
import type { StationError } from '../../src-shared/api/result';
import { station } from './station-client';
import { ErrorNote } from './views/ErrorNote';
import { remainingSetupStep, SetupView, type SetupStep } from './views/SetupView';
import { SignInView } from './views/SignInView';
import { ScreenView } from './screen-table';
import { useHashRoute } from './use-hash-route';
import { screensFor, type Screen } from './workspaces';

type Tab = { readonly id: Screen; readonly label: string };

/**
 * The WAI-ARIA tabs pattern: one tab stop (the selected tab), arrow keys, Home and End move and select,
 * each tab naming the panel it controls.
 */
function Tabs({ tabs, tab, onSelect }: { tabs: readonly Tab[]; tab: Screen; onSelect: (t: Screen) => void }): React.JSX.Element {
  function onKeyDown(e: React.KeyboardEvent): void {
    const i = tabs.findIndex((t) => t.id === tab);
    const to = e.key === 'ArrowRight' ? (i + 1) % tabs.length : e.key === 'ArrowLeft' ? (i + tabs.length - 1) % tabs.length : e.key === 'Home' ? 0 : e.key === 'End' ? tabs.length - 1 : -1;
    if (to < 0) return;
    e.preventDefault();
    onSelect(tabs[to]!.id);
    document.getElementById(`tab-${tabs[to]!.id}`)?.focus();
  }
  return (
    <nav aria-label="Station">
      <div className="tabs" role="tablist" aria-label="Station" onKeyDown={onKeyDown}>
        {tabs.map((t) => (
          <button key={t.id} id={`tab-${t.id}`} role="tab" aria-selected={tab === t.id} aria-controls={`panel-${t.id}`} tabIndex={tab === t.id ? 0 : -1} onClick={() => onSelect(t.id)}>
            {t.label}
          </button>
        ))}
      </div>
    </nav>
  );
}

/** How often the window asks whether its session is still open (the station signs idle sessions out). */
const SESSION_CHECK_MS = 30_000;

export function App(): React.JSX.Element {
  const [route, setRoute] = useHashRoute();
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
  const screens = who ? screensFor(who.roles) : [];
  // The route names the screen (a reload comes back to it); one this account does not have falls back to its first.
  const tab = screens.find((s) => s.id === route)?.id ?? screens[0]?.id;
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
        tab === undefined ? (
          <p className="warn">Your account has no role with a screen in this window. An administrator can give it one.</p>
        ) : (
          <>
            <Tabs tabs={screens} tab={tab} onSelect={setRoute} />
            <main>
              <div id={`panel-${tab}`} role="tabpanel" aria-labelledby={`tab-${tab}`} tabIndex={0}>
                <ScreenView screen={tab} />
              </div>
            </main>
          </>
        )
      )}
    </div>
  );
}
