// Each screen's view, one line each (the screens and who sees them: workspaces.ts).
import type { Screen } from './workspaces';
import { LedgerBrowser } from './views/ledger/LedgerBrowser';
import { Dashboard } from './views/dashboard/Dashboard';
import { SourcesView } from './views/SourcesView';
import { EnrolWizard } from './views/enrol/EnrolWizard';
import { SyncView } from './views/sync/SyncView';

export function ScreenView({ screen }: { screen: Screen }): React.JSX.Element {
  switch (screen) {
    case 'dashboard':
      return <Dashboard />;
    case 'enrol':
      return <EnrolWizard />;
    case 'sources':
      return <SourcesView />;
    case 'sync':
      return <SyncView />;
    case 'ledger':
      return <LedgerBrowser />;
    default:
      return <p className="fine">This screen is not in this build of the station.</p>;
  }
}
