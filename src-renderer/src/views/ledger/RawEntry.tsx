// An entry's raw form, on demand: its sentence, where it sits in the chain, and its data exactly as
// recorded (JSON). A modal dialog: Escape or Close returns to the list, at the same row.
import { useEffect, useRef } from 'react';
import type { LedgerEntryView } from '../../../../src-shared/api/audit';
import { isCatalogued, catalogue } from '../../../../src-shared/ledger/catalogue';
import { entryInWords, grouped } from '../../../../src-shared/ledger/entry-words';
import { shownTime } from '../../time';

export function RawEntry({ entry, onClose }: { entry: LedgerEntryView; onClose: () => void }): React.JSX.Element {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);
  const version = isCatalogued(entry.type) ? `version ${catalogue[entry.type].version} of its shape` : 'not in the catalogue';
  return (
    <dialog ref={dialog} className="ledger-raw" aria-labelledby="ledger-raw-title" data-testid="ledger-raw" onClose={onClose}>
      <h3 id="ledger-raw-title">Entry #{grouped(entry.seq)}: {entry.type}</h3>
      <p>{entryInWords(entry)}</p>
      <dl className="raw-facts">
        <dt>Recorded</dt>
        <dd>
          {shownTime(entry.time)} · <code>{entry.time}</code>
        </dd>
        <dt>Type</dt>
        <dd>
          <code>{entry.type}</code> ({version})
        </dd>
        <dt>Chain hash</dt>
        <dd>
          <code className="hash">{entry.hash}</code>
        </dd>
      </dl>
      <pre className="raw-json" data-testid="ledger-raw-json" tabIndex={0} aria-label="The entry's data as recorded">
        {JSON.stringify({ seq: entry.seq, time: entry.time, type: entry.type, data: entry.data }, null, 2)}
      </pre>
      <form method="dialog">
        <button type="submit" autoFocus>Close</button>
      </form>
    </dialog>
  );
}
