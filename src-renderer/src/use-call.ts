// A small hook around one station call: its latest value, its error (as a sentence), and a refresh.
import { useCallback, useEffect, useState } from 'react';
import type { Result, StationError } from '../../src-shared/api/result';

export function useCall<T>(call: () => Promise<Result<T>>, deps: unknown[]): { value: T | undefined; error: StationError | undefined; refresh: () => void } {
  const [value, setValue] = useState<T>();
  const [error, setError] = useState<StationError>();
  const refresh = useCallback(() => {
    void call().then((r) => {
      if (r.ok) {
        setValue(r.value);
        setError(undefined);
      } else setError(r.error);
    });
  }, deps);
  useEffect(refresh, [refresh]);
  return { value, error, refresh };
}
