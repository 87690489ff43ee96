// The files carried between the station and its Security Server are named by their full path (the
// station writes and reads them itself, wherever the window is): a path it would refuse is said in the
// operator's words before the call, not as the API's "malformed request".
import type { StationError } from '../../../../src-shared/api/result';

export function fullPathProblem(what: string, path: string): StationError | undefined {
  if (!path) return { code: 'bad-request', message: `Name the ${what}: its full path, starting with /.` };
  if (!path.startsWith('/')) return { code: 'bad-request', message: `"${path}" is not a full path. Write the ${what}'s full path, starting with / (for example /media/transfer/…).` };
  if (/[\x00-\x1f]/.test(path)) return { code: 'bad-request', message: `The ${what}'s path holds a control character; type it again.` };
  return undefined;
}
