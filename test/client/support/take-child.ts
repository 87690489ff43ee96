// A client process that takes PSRD and is killed (SIGKILL) before it can return or close (issue S10):
// `mark` dies inside the take, after its bytes are durably marked used and before they are returned;
// `after` prints the index and the bytes it got (hex) and dies right after the take, before closing.
// `request N` is takeForRequest(hub, N); `at INDEX N [CLAIM]` is takeAt(hub, INDEX, N[, CLAIM]).
// Run as: node --import tsx take-child.ts DIR HUB mark|after request N | at INDEX N [CLAIM]
import { writeSync } from 'node:fs';
import { ClientStore } from '../../../src-client/store/client-store';

const [dir, hub, when, how, a, b, claim] = process.argv.slice(2) as [string, string, string, string, string, string | undefined, string | undefined];
const die = (): never => {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
};
const store = ClientStore.open(dir, when === 'mark' ? { afterMark: die } : {});
const got = how === 'request' ? store.takeForRequest(hub, Number(a)) : { index: Number(a), bytes: store.takeAt(hub, Number(a), Number(b), claim) };
writeSync(1, `${got.index} ${Buffer.from(got.bytes).toString('hex')}\n`);
die();
