// The auditor's ledger browser (the Ledger screen): every entry in plain words, in one list that stays
// fast at a million entries, narrowed by client, operator, entry type, segment and time span through the
// station's index; an entry's raw form on demand; verification, checkpoints, exports and reconciliation
// beside it, and the ledger's figures in pictures. Nothing here holds PSRD: the ledger has none.
import { useCallback, useState } from 'react';
import type { LedgerEntryView, LedgerFilter } from '../../../../src-shared/api/audit';
import type { StationError } from '../../../../src-shared/api/result';
import { grouped } from '../../../../src-shared/ledger/entry-words';
import { ErrorNote } from '../ErrorNote';
import { Filters } from './Filters';
import { LedgerCharts } from './LedgerCharts';
import { LedgerList, type ListState } from './LedgerList';
import { CheckpointPanel, ExportPanel, ReconcilePanel, VerifyPanel } from './Panels';
import { RawEntry } from './RawEntry';
import { shownTime } from '../../time';
import './ledger.css';

function describe(f: LedgerFilter): string {
  const parts = [
    f.client && `client ${f.client}`,
    f.operator && `operator ${f.operator}`,
    f.type && `type ${f.type}`,
    f.segment && `segment ${f.segment}`,
    f.since && `from ${shownTime(f.since)}`,
    f.until && `before ${shownTime(f.until)}`,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'every entry';
}

export function LedgerBrowser(): React.JSX.Element {
  const [filter, setFilter] = useState<LedgerFilter>({});
  const [open, setOpen] = useState<LedgerEntryView>();
  const [state, setState] = useState<ListState>({ total: undefined, ledgerLength: undefined, loadedAt: 0 });
  const [error, setError] = useState<StationError>();
  const onState = useCallback((s: ListState) => setState(s), []);
  const onError = useCallback((e: StationError | undefined) => setError(e), []);
  const filtered = Object.keys(filter).length > 0;

  function close(): void {
    setOpen(undefined);
    document.querySelector<HTMLElement>('[data-testid="ledger-grid"]')?.focus();
  }

  return (
    <section className="panel ledger-browser" aria-labelledby="ledger-heading">
      <h2 id="ledger-heading">Ledger</h2>
      <Filters onApply={setFilter} />
      <p role="status" className="ledger-total" data-testid="ledger-total" data-total={state.total ?? ''}>
        {state.total === undefined
          ? 'Reading the ledger…'
          : filtered
            ? `${grouped(state.total)} of ${grouped(state.ledgerLength ?? 0)} entries match: ${describe(filter)}.`
            : `${grouped(state.total)} entries, oldest first. Arrow keys, Page Up/Down, Home and End move; Enter opens an entry's raw form.`}
      </p>
      <ErrorNote error={error} />
      <LedgerList filter={filter} onOpen={setOpen} onState={onState} onError={onError} />
      {open && <RawEntry entry={open} onClose={close} />}
      <div className="ledger-tools">
        <VerifyPanel />
        <CheckpointPanel ledgerLength={state.ledgerLength} />
        <ExportPanel filter={filter} describe={describe(filter)} />
        <ReconcilePanel />
      </div>
      <LedgerCharts />
    </section>
  );
}
