// What the auditor narrows the ledger to: a client, an operator, an entry type (from the catalogue), a
// segment, and a time span given in local time (the zone is shown) and sent in UTC.
import { useState } from 'react';
import type { LedgerFilter } from '../../../../src-shared/api/audit';
import { cataloguedTypes } from '../../../../src-shared/ledger/catalogue';

const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** A datetime-local value (local time) as ISO 8601 in UTC; empty stays empty. */
function toUtc(local: string): string | undefined {
  if (!local) return undefined;
  const t = new Date(local);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
}

export function Filters({ onApply }: { onApply: (f: LedgerFilter) => void }): React.JSX.Element {
  const [client, setClient] = useState('');
  const [operator, setOperator] = useState('');
  const [type, setType] = useState('');
  const [segment, setSegment] = useState('');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');

  function apply(e: React.FormEvent): void {
    e.preventDefault();
    const f: { -readonly [K in keyof LedgerFilter]: LedgerFilter[K] } = {};
    if (client.trim()) f.client = client.trim();
    if (operator.trim()) f.operator = operator.trim();
    if (type) f.type = type;
    if (segment.trim()) f.segment = segment.trim();
    const s = toUtc(since);
    const u = toUtc(until);
    if (s) f.since = s;
    if (u) f.until = u;
    onApply(f);
  }

  function clear(): void {
    setClient('');
    setOperator('');
    setType('');
    setSegment('');
    setSince('');
    setUntil('');
    onApply({});
  }

  return (
    <form className="ledger-filters" onSubmit={apply} aria-label="Filter the ledger">
      <label>
        Client
        <input value={client} onChange={(e) => setClient(e.target.value)} placeholder="c-000042" spellCheck={false} />
      </label>
      <label>
        Operator
        <input value={operator} onChange={(e) => setOperator(e.target.value)} placeholder="a name" spellCheck={false} />
      </label>
      <label>
        Entry type
        <select value={type} onChange={(e) => setType(e.target.value)}>
          <option value="">any</option>
          {cataloguedTypes.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </label>
      <label>
        Segment
        <input value={segment} onChange={(e) => setSegment(e.target.value)} placeholder="seg-…" spellCheck={false} />
      </label>
      <label>
        From ({zone})
        <input type="datetime-local" step={1} value={since} onChange={(e) => setSince(e.target.value)} />
      </label>
      <label>
        Before ({zone})
        <input type="datetime-local" step={1} value={until} onChange={(e) => setUntil(e.target.value)} />
      </label>
      <div className="ledger-filter-buttons">
        <button type="submit">Apply filter</button>
        <button type="button" className="secondary" onClick={clear}>
          Clear
        </button>
      </div>
    </form>
  );
}
