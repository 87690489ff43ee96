// The custom app protocol that replaces file:// (Electron checklist 18): the UI is served as
// app://station/… from the built renderer folder only, with the station's security headers.
import { SECURITY_HEADERS } from './csp';
import { resolveStatic } from './static-files';

export const APP_SCHEME = 'app';
export const APP_HOST = 'station';
export const APP_ENTRY = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** Privileges for protocol.registerSchemesAsPrivileged: a standard, secure scheme; nothing more. */
export const APP_SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true, corsEnabled: false, bypassCSP: false, stream: false } as const;

export interface AppResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly filePath?: string;
}

export function isAppUrl(raw: string): boolean {
  try {
    const u = new URL(raw);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '' && u.port === '';
  } catch {
    return false;
  }
}

export function appProtocolResponse(rendererDir: string, rawUrl: string): AppResponse {
  if (!isAppUrl(rawUrl)) return { status: 404, headers: SECURITY_HEADERS };
  const file = resolveStatic(rendererDir, new URL(rawUrl).pathname);
  if (!file) return { status: 404, headers: SECURITY_HEADERS };
  return { status: 200, headers: { ...SECURITY_HEADERS, 'Content-Type': file.contentType }, filePath: file.path };
}
