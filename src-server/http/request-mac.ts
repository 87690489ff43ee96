// The server's side of the request MAC (src-shared/sync/request-mac.ts): a read of a station's state
// must be signed with that station's report key within five minutes of this server's clock.
import { timingSafeEqual } from 'node:crypto';
import { REQUEST_MAC_WINDOW_MS, requestMacOf } from '../../src-shared/sync/request-mac';

export { REQUEST_MAC_HEADER } from '../../src-shared/sync/request-mac';

export function checkRequest(reportKey: Uint8Array, method: string, path: string, header: string | undefined, now: Date): boolean {
  if (!header) return false;
  const dot = header.lastIndexOf('.');
  if (dot < 0) return false;
  const time = header.slice(0, dot);
  const at = Date.parse(time);
  if (Number.isNaN(at) || Math.abs(now.getTime() - at) > REQUEST_MAC_WINDOW_MS) return false;
  const given = Buffer.from(header.slice(dot + 1), 'hex');
  const expected = Buffer.from(requestMacOf(reportKey, method, path, time), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
