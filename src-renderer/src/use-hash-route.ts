// The window's routes live in the URL fragment (`#/ledger`), as a hash router's do: the window is served
// from the app protocol (Electron) or one loopback address (browser host), so only the fragment may
// change, and a reload comes back to the same screen. The browser host's `#token=` is taken out of the
// address bar before any route is read (http-client.ts).
import { useCallback, useEffect, useState } from 'react';

function current(): string {
  const m = /^#\/([a-z-]+)/.exec(window.location.hash);
  return m ? m[1] : '';
}

export function useHashRoute(): [string, (to: string) => void] {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const on = (): void => setRoute(current());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  const go = useCallback((to: string) => {
    if (current() !== to) window.location.hash = `#/${to}`;
    setRoute(to);
  }, []);
  return [route, go];
}
