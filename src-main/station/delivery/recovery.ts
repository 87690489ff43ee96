// At start, after the pool has finished its recorded destructions: every allocation the station was
// in the middle of is settled (issue S6, part 3). One whose read-back had matched is delivered (the
// client holds a verified copy; only the station's copy is destroyed); any other is voided — its ranges
// destroyed here and reported voided, so that the Security Server destroys its copy too. A client
// whose initial keys were settled but not yet recorded gets its client.created entry; the keystore
// file of a voided creation is removed.
import type { ClientParts } from '../clients/create-client';
import { recordClient } from '../clients/create-client';
import { settleDelivered, settleVoided } from './settle';

export function recoverAllocations(p: ClientParts): { delivered: number; voided: number } {
  let delivered = 0;
  let voided = 0;
  for (const id of [...p.allocations.unsettled]) {
    const a = p.allocations.byId.get(id)!;
    if (a.phase === 'verified') {
      settleDelivered(p, a);
      delivered++;
    } else {
      if (a.purpose === 'initial-keys') p.keystore.remove(a.client);
      settleVoided(p, a, 'interrupted', `The station stopped during this ${a.purpose === 'psrd' ? 'delivery' : 'client creation'} (after the ${a.phase} step); the range was voided and nothing of it will be used.`);
      voided++;
    }
  }
  const system = { host: 'station' };
  for (const a of p.allocations.byId.values()) {
    if (a.purpose === 'initial-keys' && a.phase === 'delivered' && !p.clients.byId.has(a.client)) recordClient(p, a, system);
  }
  return { delivered, voided };
}
