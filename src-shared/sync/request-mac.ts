// Who may read a station's state from its Security Server: whoever holds that station's report key
// (issue S8). A GET carries `x-dske-request: <ISO time>.<HMAC-SHA-256(report key, "<method> <path> <time>") hex>`;
// the server accepts it within five minutes of its own clock. Report batches and acknowledgements
// authenticate themselves and need no such header.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { utf8 } from '../psrd/utf8';

export const REQUEST_MAC_HEADER = 'x-dske-request';
export const REQUEST_MAC_WINDOW_MS = 5 * 60 * 1000;

export function requestMacOf(reportKey: Uint8Array, method: string, path: string, time: string): string {
  return bytesToHex(hmac(sha256, reportKey, utf8(`${method} ${path} ${time}`)));
}

export function signRequest(reportKey: Uint8Array, method: string, path: string, now: Date): string {
  const time = now.toISOString();
  return `${time}.${requestMacOf(reportKey, method, path, time)}`;
}
