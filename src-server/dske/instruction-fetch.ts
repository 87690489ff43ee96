// A client fetching the key instructions the hub holds for it (issue S10, part 1; §11.4, the offline
// variant): the request, an envelope under its transport key, names the highest instruction it has
// stored; the hub forgets those and answers, under the same key, with what is left (at most
// MAX_INSTRUCTIONS_PER_FETCH, oldest first). A lost answer loses nothing: the next fetch gets it again.
import { seal } from '../../src-shared/dske/aead';
import { decodeFetch, encodeInstructions, MAX_INSTRUCTIONS_PER_FETCH } from '../../src-shared/hub-api/instruction-list';
import { transportKeyId } from '../../src-shared/hub-api/transport-key';
import type { ServerCore } from '../core';
import { ServerFailure } from '../errors';
import { openFromClient } from './key-requests';

export async function fetchInstructions(core: ServerCore, frame: Uint8Array): Promise<Uint8Array> {
  const { client, key, plaintext } = await openFromClient(core, frame);
  try {
    let acknowledged: number;
    try {
      acknowledged = decodeFetch(plaintext);
    } catch (e) {
      throw new ServerFailure('malformed', (e as Error).message);
    }
    const db = core.sdb.db;
    if (acknowledged > 0) await db.deleteFrom('instructions').where('recipient', '=', client.client).where('id', '<=', acknowledged).execute();
    const rows = await db.selectFrom('instructions').select(['id', 'frame']).where('recipient', '=', client.client).orderBy('id').limit(MAX_INSTRUCTIONS_PER_FETCH).execute();
    return seal(key, transportKeyId(client.number), encodeInstructions(rows.map((r) => ({ id: Number(r.id), frame: new Uint8Array(r.frame) }))));
  } finally {
    key.fill(0);
  }
}
