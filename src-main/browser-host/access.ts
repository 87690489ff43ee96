// Who may talk to the browser host (issue S1, part 5): only a page on our own loopback origin that
// holds this run's token. The checks are pure so that tests can state each refusal on its own.
import { timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'dske_station_session';

export interface AccessPolicy {
  readonly token: string;
  readonly port: number;
}

export type AccessDecision = { readonly allow: true } | { readonly allow: false; readonly status: 401 | 403 | 421; readonly reason: string };

const allowedHosts = (port: number): string[] => [`127.0.0.1:${port}`, `localhost:${port}`];
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

export function cookieToken(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === SESSION_COOKIE) return v.join('=');
  }
  return undefined;
}

/** The token arrives once in the printed URL, then as an HttpOnly SameSite=Strict cookie or a bearer header. */
export function checkToken(policy: AccessPolicy, headers: { cookie?: string; authorization?: string }, queryToken: string | null): AccessDecision {
  const bearer = headers.authorization?.startsWith('Bearer ') ? headers.authorization.slice(7) : undefined;
  for (const candidate of [queryToken ?? undefined, bearer, cookieToken(headers.cookie)]) {
    if (candidate !== undefined && sameSecret(candidate, policy.token)) return { allow: true };
  }
  return { allow: false, status: 401, reason: 'This station link has no valid access token. Open the address printed when the station started.' };
}
