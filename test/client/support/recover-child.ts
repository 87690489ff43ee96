// A client process killed (SIGKILL) in the middle of fetchAndRecover (issue S10): it fetches and stores
// the key instructions, acknowledges them (so the hubs forget them), and dies right after the first
// instruction's PSRD is durably marked used, before the share it opens is stored.
// Run as: node --import tsx recover-child.ts DIR
import { KeyClient } from '../../../src-client/keys/key-client';
import { ClientStore } from '../../../src-client/store/client-store';

const [dir] = process.argv.slice(2) as [string];
const store = ClientStore.open(dir, {
  afterMark: () => {
    process.kill(process.pid, 'SIGKILL');
  },
});
await new KeyClient(store).fetchAndRecover();
process.stdout.write('not killed\n');
