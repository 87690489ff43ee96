// Who may talk to the browser host (issue S1, part 5): only a page on our own loopback origin that
// holds this run's token. The checks are pure so that tests can state each refusal on its own.
// The token travels only as `Authorization: Bearer`: never as a cookie (cookies are not scoped by
// port, so any other listener on 127.0.0.1 would receive it) and never in a query string (the printed
// URL carries it in the fragment, which no server sees).
import { timingSafeEqual } from 'node:crypto';

export interface AccessPolicy {
  readonly token: string;
  readonly port: number;
}

export type AccessDecision = { readonly allow: true } | { readonly allow: false; readonly status: 401 | 403 | 421; readonly reason: string };

// Only the address we bind: `localhost` may resolve to ::1, where another process could listen on our port.
const allowedHosts = (port: number): string[] => [`127.0.0.1:${port}`];
const allowedOrigins = (port: number): string[] => allowedHosts(port).map((h) => `http://${h}`);

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Host must name our loopback listener: anything else is DNS rebinding or a misdirected request. */
export function checkHost(policy: AccessPolicy, host: string | undefined): AccessDecision {
  if (!host || !allowedHosts(policy.port).includes(host.toLowerCase())) return { allow: false, status: 421, reason: 'This station only answers on its loopback address.' };
  return { allow: true };
}

/** A browser names the page's origin; a foreign page must never drive the station. */
export function checkOrigin(policy: AccessPolicy, origin: string | undefined): AccessDecision {
  if (origin === undefined) return { allow: true };
  if (!allowedOrigins(policy.port).includes(origin.toLowerCase())) return { allow: false, status: 403, reason: 'Requests from other web pages are refused.' };
  return { allow: true };
}

/** API calls and the event stream carry the token as a bearer header. */
export function checkToken(policy: AccessPolicy, headers: { authorization?: string }): AccessDecision {
  const bearer = headers.authorization?.startsWith('Bearer ') ? headers.authorization.slice(7) : undefined;
  if (bearer !== undefined && sameSecret(bearer, policy.token)) return { allow: true };
  return { allow: false, status: 401, reason: 'This station link has no valid access token. Open the address printed when the station started.' };
}
