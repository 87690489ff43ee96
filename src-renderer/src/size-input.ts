// An amount typed by a person ("64MiB", "4 GiB"): its bytes, or the sentence that says how to write one.
import type { StationError } from '../../src-shared/api/result';
import { parseSize } from '../../src-shared/psrd/size';

export function sizeOrProblem(text: string): number | StationError {
  const bytes = parseSize(text);
  return bytes === null ? { code: 'bad-request', message: `"${text}" is not a size. Write for example 64MiB or 4GiB.` } : bytes;
}
