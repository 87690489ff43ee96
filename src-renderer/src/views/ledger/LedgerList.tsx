// The ledger as one long list that stays fast at millions of entries: a grid of fixed-height rows of which
// only those in view (and a few around them) exist, fetched a page at a time by their position among the
// matches of the filter (audit.rows: from the index, so the end costs what the start does). The scrollbar
// spans the whole list, scaled when the list is taller than a browser lets an element be. Keyboard alone is
// enough: the grid is one tab stop; arrow keys, Page Up/Down, Home and End move the selected row, Enter
// opens its raw form. It opens at the newest entry and follows new ones while the newest is selected.
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { LedgerEntryView, LedgerFilter } from '../../../../src-shared/api/audit';
import type { StationError } from '../../../../src-shared/api/result';
import { entryInWords, factsLine, grouped } from '../../../../src-shared/ledger/entry-words';
import { station } from '../../station-client';
import { shownTime } from '../../time';

export const ROW_PX = 34;
const HEAD_PX = 34;
/** Below every browser's limit on an element's height: a longer list scrolls in proportion. */
const MAX_SCROLL_PX = 4_000_000;
const PAGE = 200;
/** Rows kept beyond each edge of the view. */
const OVERSCAN = 8;

export interface ListState {
  readonly total: number | undefined;
  readonly ledgerLength: number | undefined;
  readonly loadedAt: number;
}

export function LedgerList({
  filter,
  onOpen,
  onState,
  onError,
}: {
  filter: LedgerFilter;
  onOpen: (e: LedgerEntryView) => void;
  onState: (s: ListState) => void;
  onError: (e: StationError | undefined) => void;
}): React.JSX.Element {
  const scroller = useRef<HTMLDivElement>(null);
  const grid = useRef<HTMLTableElement>(null);
  const [viewport, setViewport] = useState(480);
  const [total, setTotal] = useState<number>();
  const [first, setFirst] = useState(0);
  const [active, setActive] = useState(0);
  const [, setLoaded] = useState(0);
  const pages = useRef(new Map<number, readonly LedgerEntryView[] | 'loading'>());
  const filterKey = JSON.stringify(filter);
  /** Bumped with each filter, so that answers to an older filter are dropped. */
  const generation = useRef(0);
  const following = useRef(true);
  const totalRef = useRef<number | undefined>(undefined);
  totalRef.current = total;

  const visible = Math.max(1, Math.floor((viewport - HEAD_PX) / ROW_PX));
  const count = total ?? 0;
  const maxFirst = Math.max(0, count - visible);
  const inner = HEAD_PX + Math.min(count * ROW_PX, MAX_SCROLL_PX) + (viewport - HEAD_PX - visible * ROW_PX);
  const scrollable = Math.max(0, inner - viewport);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setViewport(el.clientHeight));
    ro.observe(el);
    setViewport(el.clientHeight);
    return () => ro.disconnect();
  }, []);

  const scrollToFirst = useCallback(
    (f: number) => {
      const el = scroller.current;
      const target = Math.max(0, Math.min(maxFirst, f));
      setFirst(target);
      if (el) el.scrollTop = maxFirst > 0 ? (target / maxFirst) * scrollable : 0;
    },
    [maxFirst, scrollable],
  );

  /** Fetches one page of rows (and learns the total from it). */
  const fetchPage = useCallback(
    (page: number, force = false) => {
      if (!force && pages.current.has(page)) return;
      pages.current.set(page, 'loading');
      const gen = generation.current;
      void station()
        .audit.rows({ ...filter, from: page * PAGE, limit: PAGE })
        .then((r) => {
          if (gen !== generation.current) return;
          if (!r.ok) {
            pages.current.delete(page);
            onError(r.error);
            return;
          }
          onError(undefined);
          pages.current.set(page, r.value.entries);
          setTotal(r.value.total);
          onState({ total: r.value.total, ledgerLength: r.value.ledgerLength, loadedAt: performance.now() });
          setLoaded((n) => n + 1);
        });
    },
    // filterKey stands for filter.
    [filterKey, onError, onState],
  );

  // A new filter: forget every page, learn the total, and open at the newest match.
  useEffect(() => {
    generation.current++;
    pages.current.clear();
    following.current = true;
    setTotal(undefined);
    onState({ total: undefined, ledgerLength: undefined, loadedAt: performance.now() });
    const gen = generation.current;
    void station()
      .audit.rows({ ...filter, from: 0, limit: 1 })
      .then((r) => {
        if (gen !== generation.current) return;
        if (!r.ok) {
          onError(r.error);
          return;
        }
        setTotal(r.value.total);
        setActive(Math.max(0, r.value.total - 1));
      });
  }, [filterKey]);

  // Once the total is known (or grows while following the newest), show the end.
  useEffect(() => {
    if (total === undefined) return;
    if (following.current) {
      setActive(Math.max(0, total - 1));
      scrollToFirst(Math.max(0, total - visible));
    }
  }, [total, visible, scrollable]);

  // The pages the rows in view need.
  useEffect(() => {
    if (total === undefined) return;
    const lo = Math.max(0, first - OVERSCAN);
    const hi = Math.min(total, first + visible + OVERSCAN);
    for (let p = Math.floor(lo / PAGE); p * PAGE < hi; p++) fetchPage(p);
  }, [first, visible, total, fetchPage]);

  // New entries: the last page again (it learns the new total), at most a few times a second.
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = station().on('ledger.appended', () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        const t = totalRef.current ?? 0;
        fetchPage(Math.floor(Math.max(0, t - 1) / PAGE), true);
        fetchPage(Math.floor(t / PAGE), true);
      }, 300);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [fetchPage]);

  function onScroll(): void {
    const el = scroller.current;
    if (!el) return;
    const f = scrollable > 0 ? Math.round((el.scrollTop / scrollable) * maxFirst) : 0;
    if (f !== first) setFirst(f);
  }

  function moveTo(to: number): void {
    if (count === 0) return;
    const row = Math.max(0, Math.min(count - 1, to));
    setActive(row);
    following.current = row === count - 1;
    if (row < first) scrollToFirst(row);
    else if (row >= first + visible) scrollToFirst(row - visible + 1);
  }

  function entryAt(row: number): LedgerEntryView | undefined {
    const p = pages.current.get(Math.floor(row / PAGE));
    return p === undefined || p === 'loading' ? undefined : p[row - Math.floor(row / PAGE) * PAGE];
  }

  function onKeyDown(e: React.KeyboardEvent): void {
    const to =
      e.key === 'ArrowDown' ? active + 1
      : e.key === 'ArrowUp' ? active - 1
      : e.key === 'PageDown' ? active + visible
      : e.key === 'PageUp' ? active - visible
      : e.key === 'Home' ? 0
      : e.key === 'End' ? count - 1
      : undefined;
    if (to !== undefined) {
      e.preventDefault();
      moveTo(to);
      return;
    }
    if (e.key === 'Enter' || e.key === ' ') {
      const entry = entryAt(active);
      if (entry) {
        e.preventDefault();
        onOpen(entry);
      }
    }
  }

  const lo = Math.max(0, first - OVERSCAN);
  const hi = Math.min(count, first + visible + OVERSCAN);
  const rows: React.JSX.Element[] = [];
  for (let row = lo; row < hi; row++) {
    const e = entryAt(row);
    const selected = row === active;
    rows.push(
      e ? (
        <tr
          key={row}
          id={`ledger-row-${row}`}
          data-testid="ledger-entry"
          data-type={e.type}
          data-seq={e.seq}
          aria-rowindex={row + 2}
          aria-selected={selected}
          className={selected ? 'selected' : undefined}
          onClick={() => moveTo(row)}
          onDoubleClick={() => onOpen(e)}
        >
          <td className="seq">{grouped(e.seq)}</td>
          <td className="time">{shownTime(e.time)}</td>
          <td className="type" title={e.type}>{e.type}</td>
          <td className="what" title={entryInWords(e)}>{entryInWords(e)}</td>
          <td className="facts">{factsLine(e.data)}</td>
        </tr>
      ) : (
        <tr key={row} id={`ledger-row-${row}`} aria-rowindex={row + 2} aria-selected={selected} className={selected ? 'selected loading' : 'loading'}>
          <td className="seq">…</td>
          <td colSpan={4}>Loading…</td>
        </tr>
      ),
    );
  }
  const activeShown = active >= lo && active < hi;
  return (
    <div className="ledger-scroller" ref={scroller} onScroll={onScroll} data-testid="ledger-list">
      <div style={{ height: `${inner}px` }}>
        <div className="ledger-window" style={{ height: `${viewport}px` }}>
          <table
            ref={grid}
            className="ledger-grid"
            role="grid"
            aria-label="Ledger entries, oldest first"
            aria-rowcount={count + 1}
            aria-colcount={5}
            aria-activedescendant={activeShown ? `ledger-row-${active}` : undefined}
            tabIndex={0}
            onKeyDown={onKeyDown}
            data-testid="ledger-grid"
            data-active={active}
            data-first={first}
          >
            <colgroup>
              <col className="c-seq" />
              <col className="c-time" />
              <col className="c-type" />
              <col className="c-what" />
              <col className="c-facts" />
            </colgroup>
            <thead>
              <tr aria-rowindex={1}>
                <th scope="col">#</th>
                <th scope="col">Time</th>
                <th scope="col">Entry</th>
                <th scope="col">What happened</th>
                <th scope="col" className="facts">Facts</th>
              </tr>
            </thead>
            <tbody style={{ transform: `translateY(${-(first - lo) * ROW_PX}px)` }}>{rows}</tbody>
          </table>
        </div>
      </div>
    </div>
  );
}
