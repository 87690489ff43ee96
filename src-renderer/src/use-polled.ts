// Asks again every few seconds while shown, for what comes and goes without an event (sticks, tokens).
import { useEffect } from 'react';

export function usePolled(load: () => Promise<void>, everyMs: number): void {
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), everyMs);
    return () => clearInterval(timer);
  }, [load, everyMs]);
}
