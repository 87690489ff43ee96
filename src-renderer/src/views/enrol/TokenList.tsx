// The HSM tokens present in the clients' PKCS#11 module, as the desk chooses one (never pre-selected):
// what each token says of itself (label, serial, model, free memory); no session, no PIN. Choosing one
// fills in its label, or its serial where two tokens share a label.
import { useCallback, useState } from 'react';
import type { TokenList as Tokens } from '../../../../src-shared/api/delivery';
import type { StationError } from '../../../../src-shared/api/result';
import { station } from '../../station-client';
import { DeskError, sizeText } from './shared';
import { usePolled } from '../../use-polled';

/** How often the list is asked again while it shows (tokens come and go). */
const TOKENS_EVERY_MS = 4000;

export function TokenList({ chosen, onChoose }: { chosen: string; onChoose: (target: string) => void }): React.JSX.Element {
  const [list, setList] = useState<Tokens>();
  const [error, setError] = useState<StationError>();
  const load = useCallback(async () => {
    const r = await station().delivery.tokens({});
    if (r.ok) {
      setList(r.value);
      setError(undefined);
    } else setError(r.error);
  }, []);
  usePolled(load, TOKENS_EVERY_MS);
  const tokens = list?.tokens ?? [];
  return (
    <fieldset className="enrol-drives">
      <legend>HSM tokens present</legend>
      <div className="row">
        <button type="button" className="enrol-secondary" onClick={() => void load()}>
          Refresh the tokens
        </button>
      </div>
      <DeskError error={error} testId="enrol-tokens-error" />
      {list?.problem && <p className="warn">{list.problem}</p>}
      {list && !list.problem && tokens.length === 0 && <p>No token is present. Plug in the client’s token, then refresh the list.</p>}
      {tokens.length > 0 && (
        <ul className="enrol-drive-list" data-testid="enrol-tokens">
          {tokens.map((t) => {
            const shared = tokens.filter((x) => x.label === t.label).length > 1;
            const target = shared ? `serial=${t.serial}` : t.label;
            return (
              <li key={`${t.label}/${t.serial}`} data-token={t.label}>
                <label>
                  <input type="radio" name="token" value={target} checked={chosen === target} onChange={() => onChoose(target)} />
                  <span className="facts">{t.label}</span> · serial {t.serial} · {t.manufacturer} {t.model}
                  {t.freePrivateBytes !== null ? ` · ${sizeText(t.freePrivateBytes)} free` : ''}
                </label>
              </li>
            );
          })}
        </ul>
      )}
    </fieldset>
  );
}
