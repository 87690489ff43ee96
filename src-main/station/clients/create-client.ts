// Creating a client (issue S6, part 1; spec §11.1): an ID unique within the hub and never reused, and
// initial keys drawn from the pool into the keystore (an allocation, so its bytes are accounted for and
// reported to the Security Server, which holds the same pool). The name, if given, goes to the client
// directory; the ledger gets only its HMAC under the audit key.
import type { PsrdRange } from '../../../src-shared/psrd/range';
import { INITIAL_KEY_BYTES } from '../../../src-shared/psrd/package-format';
import type { Actor } from '../operators/accounts';
import { allocate, type AllocateParts } from '../delivery/allocate';
import { rawRangeStream } from '../delivery/package-stream';
import type { AllocationRecord } from '../delivery/allocations';
import type { ClientDirectory } from './client-directory';
import type { ClientRecord, ClientRegistry } from './client-registry';
import { checkValue, type Keystore } from './keystore';
import { KeystoreSink } from './keystore-sink';

export interface ClientParts extends AllocateParts {
  readonly hubId: string;
  readonly clients: ClientRegistry;
  readonly keystore: Keystore;
  readonly directory: ClientDirectory;
}

export async function createClient(p: ClientParts, opts: { name?: string; actor: Actor; signal: AbortSignal }): Promise<ClientRecord> {
  const client = p.clients.nextId();
  const outcome = await allocate(p, {
    client,
    purpose: 'initial-keys',
    bytes: INITIAL_KEY_BYTES,
    sink: new KeystoreSink(p.keystore, client),
    stream: (ranges: readonly PsrdRange[], packageId: string) => rawRangeStream(p.pool, { hub: p.hubId, client, packageId }, ranges),
    actor: opts.actor,
    signal: opts.signal,
  });
  if (opts.name) p.directory.set(client, opts.name);
  return recordClient(p, outcome.allocation, opts.actor, opts.name);
}

/** The client.created entry, once its initial keys are in the keystore (also what recovery finishes). */
export function recordClient(p: ClientParts, a: AllocationRecord, actor: Actor, name?: string): ClientRecord {
  const keys = p.keystore.read(a.client);
  const cv = checkValue(keys);
  keys.fill(0);
  p.ledger.append('client.created', { client: a.client, allocation: a.id, checkValue: cv, ...(name ? { nameHmac: p.ledger.auditKey.mac(`client name|${name}`) } : {}), actor }, p.now);
  return p.clients.byId.get(a.client)!;
}
