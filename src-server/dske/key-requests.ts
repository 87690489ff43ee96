// A key request, handled by the hub (issue S10, part 1; §11.4 "Security Hub key instruction generation";
// App. A): the §11.4 envelope opened under the sender's transport key; the request decoded; the sender's
// PSRD at the index it chose (which must lie in the sender's halves of its table) spent — read and
// deleted in the same transaction, so no byte is used twice; the tag verified and the share decrypted;
// then, for each recipient, PSRD the hub chooses from the recipient's halves (the offline variant: the
// recipient need not be online) spent the same way, and the key instruction made and held until the
// recipient fetches it. A request is accepted once per (sender, secret ID): a replay is refused before
// anything is spent. A request whose tag fails still spends its PSRD (a one-time key is never tried twice).
import type { Transaction } from 'kysely';
import { acceptRequest, decodeRequest, instruct, psrdBytesPerHub } from '../../src-shared/dske/appendix-a';
import { open as openEnvelope } from '../../src-shared/dske/aead';
import { DskeError, isDskeError } from '../../src-shared/dske/errors';
import { decodeEnvelope, type ShareMessage } from '../../src-shared/dske/wire';
import { nextOnSide, onSide } from '../../src-shared/hub-api/table-layout';
import { numberOfKeyId } from '../../src-shared/hub-api/transport-key';
import type { ServerCore } from '../core';
import type { ServerDatabase } from '../db/schema';
import { inTransaction } from '../db/transaction';
import { ServerFailure } from '../errors';
import { takeFromTable } from '../psrd-table';
import { clientByNumber, clientTransportKey, tablePackages, type HubClient } from './hub-clients';

type Trx = Transaction<ServerDatabase>;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Opens a §11.4 envelope from a client: who it is (by key ID), and what it says. */
export async function openFromClient(core: ServerCore, frame: Uint8Array): Promise<{ client: HubClient; key: Uint8Array; plaintext: Uint8Array }> {
  let keyId: Uint8Array;
  try {
    keyId = decodeEnvelope(frame).keyId;
  } catch {
    throw new ServerFailure('malformed', 'This is not a DSKE envelope.');
  }
  const n = numberOfKeyId(keyId);
  if (n === null) throw new ServerFailure('unknown-client', 'The envelope names no client of this hub.');
  const client = await clientByNumber(core.sdb.db, n);
  const key = await clientTransportKey(core, core.sdb.db, client.client);
  try {
    return { client, key, plaintext: openEnvelope(key, frame).plaintext };
  } catch (e) {
    key.fill(0);
    if (isDskeError(e)) throw new ServerFailure('aead', `The envelope does not authenticate under the transport key of ${client.client}.`);
    throw e;
  }
}

/** Locks the clients' rows in one order (PostgreSQL), so that concurrent requests queue instead of deadlocking. */
async function lockClients(core: ServerCore, trx: Trx, clients: readonly string[]): Promise<void> {
  if (!core.lock) return;
  await trx.selectFrom('clients').select('client').where('client', 'in', [...new Set(clients)].sort()).orderBy('client').forUpdate().execute();
}

/** Spends PSRD for one instruction from the recipient's halves, from its cursor on; null when none is left. */
async function spendForRecipient(core: ServerCore, trx: Trx, recipient: string, length: number): Promise<{ index: number; psrd: Buffer } | null> {
  const packages = await tablePackages(trx, recipient);
  const cursor = await trx.selectFrom('hub_cursors').select('next_offset').where('client', '=', recipient).executeTakeFirst();
  let from = cursor ? Number(cursor.next_offset) : 0;
  for (let tries = 0; tries <= packages.length + 1; tries++) {
    const index = nextOnSide(packages, 'hub', from, length);
    if (index === null) return null;
    const taken = await takeFromTable(trx, core.lock, core.master, recipient, index, length);
    from = index + length;
    if (!('code' in taken)) {
      if (cursor) await trx.updateTable('hub_cursors').set({ next_offset: from }).where('client', '=', recipient).execute();
      else await trx.insertInto('hub_cursors').values({ client: recipient, next_offset: from }).execute();
      return { index, psrd: taken };
    }
  }
  return null;
}

export interface RequestOutcome {
  readonly sender: string;
  readonly secretId: string;
  readonly instructions: number;
}

export async function handleKeyRequest(core: ServerCore, frame: Uint8Array): Promise<RequestOutcome> {
  const { client: sender, key, plaintext } = await openFromClient(core, frame);
  key.fill(0);
  let request: ShareMessage;
  try {
    request = decodeRequest(plaintext);
  } catch {
    throw new ServerFailure('malformed', 'The envelope does not hold a DSKE key request.');
  }
  if (request.senderId !== sender.number) throw new ServerFailure('wrong-sender', `The request names sender ${request.senderId}, but came under the key of ${sender.client} (${sender.number}).`);
  if (sender.state !== 'active') throw new ServerFailure('client-revoked', `${sender.client} was revoked at this hub.`);
  const recipients = await Promise.all(request.recipientIds.map((n) => clientByNumber(core.sdb.db, n, 'recipient')));
  for (const r of recipients) if (r.state !== 'active') throw new ServerFailure('client-revoked', `The recipient ${r.client} was revoked at this hub.`);
  const secretId = hex(request.secretId);
  const length = psrdBytesPerHub(request.m);
  let tagFailed: DskeError | null = null;
  const made = await inTransaction(core.sdb, async (trx) => {
    await lockClients(core, trx, [sender.client, ...recipients.map((r) => r.client)]);
    const seen = await trx.selectFrom('requests_seen').select('at').where('sender', '=', sender.client).where('secret_id', '=', secretId).executeTakeFirst();
    if (seen) throw new ServerFailure('duplicate-secret', `${sender.client} sent secret ${secretId} here before (${seen.at}); a secret ID is used once (§11.6).`);
    await trx.insertInto('requests_seen').values({ sender: sender.client, secret_id: secretId, at: core.now().toISOString() }).execute();
    if (!onSide(await tablePackages(trx, sender.client), 'client', request.psrdIndex, length)) {
      throw new ServerFailure('wrong-half', `PSRD index ${request.psrdIndex} (${length} bytes) is not in ${sender.client}'s own halves of its PSRD table here (the first half of each package).`);
    }
    const senderPsrd = await takeFromTable(trx, core.lock, core.master, sender.client, request.psrdIndex, length);
    if ('code' in senderPsrd) throw new ServerFailure('psrd-unavailable', `${senderPsrd.reason}.`);
    let held: ReturnType<typeof acceptRequest>;
    try {
      held = acceptRequest(request, senderPsrd);
    } catch (e) {
      if (!isDskeError(e)) throw e;
      // The one-time key is spent all the same: commit that, then say why nothing else happened.
      tagFailed = e;
      return 0;
    } finally {
      senderPsrd.fill(0);
    }
    try {
      let n = 0;
      for (const r of recipients) {
        const spent = await spendForRecipient(core, trx, r.client, length);
        if (!spent) throw new ServerFailure('recipient-exhausted', `This hub holds no more PSRD for ${r.client}'s key instructions; the station must deliver more to it.`);
        try {
          const instruction = instruct(held, { recipientId: r.number, psrdIndex: spent.index, psrd: spent.psrd });
          await trx.insertInto('instructions').values({ recipient: r.client, sender: sender.client, secret_id: secretId, frame: instruction, created_at: core.now().toISOString() }).execute();
          n++;
        } finally {
          spent.psrd.fill(0);
        }
      }
      return n;
    } finally {
      held.share.fill(0);
    }
  });
  if (tagFailed) throw new ServerFailure('tag', `The key request's message tag does not verify under ${sender.client}'s PSRD at index ${request.psrdIndex}; those bytes are spent, and nothing was instructed.`);
  return { sender: sender.client, secretId, instructions: made };
}
