// A client process that takes PSRD and is killed (SIGKILL) before it can return or close (issue S10,
// part 2): `mark` dies inside take(), after its bytes are durably marked used and before they are
// returned; `after` prints the bytes it got (hex) and dies right after take(), before closing.
// Run as: node --import tsx take-child.ts DIR HUB N mark|after
import { writeSync } from 'node:fs';
import { ClientStore } from '../../../src-client/store/client-store';

const [dir, hub, n, when] = process.argv.slice(2) as [string, string, string, string];
const die = (): never => {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
};
const store = ClientStore.open(dir, when === 'mark' ? { afterMark: die } : {});
const bytes = store.take(hub, Number(n));
writeSync(1, Buffer.from(bytes).toString('hex') + '\n');
die();
