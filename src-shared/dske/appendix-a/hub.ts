// The Security Hub's part of App. A (§11.4, "Security Hub key instruction generation"): verify the
// sender's tag against the hub's copy of the sender's PSRD, decrypt the share, and for each recipient
// re-encrypt it with that recipient's PSRD and tag the key instruction. The transport's AEAD layer
// (aead.ts) is opened before and applied after; where the share is stored meanwhile is the caller's.
import { abytes, aint, wipe, copyBytes } from '../bytes';
import { DskeError } from '../errors';
import { decodeShareMessage, MAX_ID, type ShareMessage } from '../wire';
import { checkPsrd, pad, signMessage, verifyMessage } from './layout';

/** A verified request and its decrypted share R[i] (3 + m words). The share is secret. */
export interface HeldShare {
  readonly request: ShareMessage;
  readonly share: Uint8Array;
}

export interface InstructionTarget {
  /** The recipient's client ID at this hub; must be one of the request's recipient IDs. */
  readonly recipientId: number;
  /** Byte offset of `psrd` in the hub's PSRD table for that recipient (the hub chooses: offline variant). */
  readonly psrdIndex: number;
  /** psrdBytesPerHub(m) bytes of that table. The caller deletes them from its store. */
  readonly psrd: Uint8Array;
}

/** Decode a key request (DskeDecodeError only). Look up PSRD by its senderId and psrdIndex, then acceptRequest. */
export const decodeRequest = (bytes: Uint8Array): ShareMessage => decodeShareMessage(bytes, 'request');

/** Verify the request's tag with the sender's PSRD (psrdBytesPerHub(m) bytes at its psrdIndex) and decrypt. */
export function acceptRequest(request: ShareMessage, senderPsrd: Uint8Array): HeldShare {
  if (typeof request !== 'object' || request === null || request.type !== 'request') throw new DskeError('argument', 'expected a decoded key request');
  checkPsrd(senderPsrd, request.m, 'sender PSRD');
  verifyMessage(request, senderPsrd);
  return { request, share: pad(copyBytes(request.share), senderPsrd) };
}

/** The key instruction for one recipient: the share under that recipient's PSRD, tagged with it. */
export function instruct(held: HeldShare, to: InstructionTarget): Uint8Array {
  const r = held.request;
  aint(to.recipientId, 0, MAX_ID, 'recipientId');
  if (!r.recipientIds.includes(to.recipientId)) throw new DskeError('argument', 'recipientId is not a recipient of this secret');
  checkPsrd(to.psrd, r.m, 'recipient PSRD');
  const share = pad(copyBytes(abytes(held.share, r.share.length, 'share')), to.psrd);
  const frame = signMessage({ ...r, type: 'instruction', psrdIndex: to.psrdIndex, share }, to.psrd);
  wipe(share);
  return frame;
}
