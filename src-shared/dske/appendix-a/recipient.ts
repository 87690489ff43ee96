// The receiving client of App. A (Bob), §11.4–§11.6: verify each hub's key instruction with its own
// PSRD, decrypt the share, recover the secret from any k shares whose secret tag is zero (§11.5),
// name the hubs that lied or failed, and refuse replays and expired secrets (§11.6).
import { abytes, aint, isZeroBytes, wipe, copyBytes } from '../bytes';
import { DskeError, isDskeError, type DskeErrorCode } from '../errors';
import { WORD } from '../gf128';
import type { ReplayGuard } from '../replay';
import { combineRobustFlat, secretTagIsZero } from '../shamir-robust';
import { decodeShareMessage, SECRET_ID_BYTES, type ShareMessage } from '../wire';
import { checkPsrd, KEY_WORDS, pad, shareWords, verifyMessage } from './layout';

/** A verified key instruction from one hub, with its decrypted share (3 + m words, secret). */
export interface ReceivedShare {
  /** The caller's label for the hub it came through (as established by the AEAD layer). */
  readonly hub: number;
  readonly message: ShareMessage;
  readonly share: Uint8Array;
}

/** Decode a key instruction (DskeDecodeError only). Read PSRD at its psrdIndex, then openInstruction. */
export const decodeInstruction = (bytes: Uint8Array): ShareMessage => decodeShareMessage(bytes, 'instruction');

/** Verify the instruction's tag with the recipient's PSRD for that hub (psrdBytesPerHub(m) bytes) and decrypt. */
export function openInstruction(hub: number, message: ShareMessage, psrd: Uint8Array): ReceivedShare {
  aint(hub, 0, Number.MAX_SAFE_INTEGER, 'hub');
  if (typeof message !== 'object' || message === null || message.type !== 'instruction') throw new DskeError('argument', 'expected a decoded key instruction');
  checkPsrd(psrd, message.m, 'PSRD');
  verifyMessage(message, psrd);
  return { hub, message, share: pad(copyBytes(message.share), psrd) };
}

/** §11.6 defaults: a threshold of at least two hubs, and no more hubs than the robust combiner can search. */
export const DEFAULT_K_MIN = 2;
export const DEFAULT_N_MAX = 16;

export interface RecoverOptions {
  /** Only this secret ID is wanted; shares for others are named bad. */
  readonly secretId?: Uint8Array;
  /** The sender's client ID at each hub, if known (§11.3); shares from anyone else are named bad. */
  readonly senderIdAt?: (hub: number) => number | undefined;
  /**
   * §11.6: the least threshold k and the largest n this receiver accepts; defaults 2 and 16. Without a
   * floor, one lying hub could re-tag its share as a k = 1 secret of its own choosing.
   */
  readonly kMin?: number;
  readonly nMax?: number;
  /** Current time, seconds since the Unix epoch; needed when the sender set an expiry. */
  readonly now?: number;
  /** §11.6 replay protection: `sender` is the caller's name for the sending peer. */
  readonly replay?: { readonly guard: ReplayGuard; readonly sender: string };
}

export interface Recovered {
  /** y1..ym, m·16 bytes: the key (or transmitted secret). */
  readonly secret: Uint8Array;
  readonly secretId: Uint8Array;
  readonly k: number;
  readonly n: number;
  readonly m: number;
  readonly expiresAt: number;
  readonly aad: Uint8Array;
  /** Hubs whose shares lie on the recovered secret's polynomial. */
  readonly hubs: number[];
  /** Hubs whose shares were set aside: other metadata, another sender, or off the polynomial. */
  readonly bad: number[];
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hex = (b: Uint8Array): string => Array.from(b, (v) => HEX[v]).join('');
// Metadata that every honest hub relays unchanged (IDs differ per hub, so they are not in it).
// Secret IDs and AAD are not secret: strings of them are fine.
const groupKey = (m: ShareMessage): string => [m.k, m.n, m.m, m.expiresAt, hex(m.secretId), hex(m.aad)].join('/');

/**
 * Recover the secret from verified shares. Shares are grouped by the metadata they carry (a lying
 * hub may alter it); the largest group with at least k members is tried first, and within it the
 * robust combiner finds the k shares whose secret validates and names the rest.
 * Errors: 'not-enough-shares', 'secret-tag-mismatch', 'policy', 'expired', 'replay'.
 */
export function recover(shares: readonly ReceivedShare[], opts: RecoverOptions = {}): Recovered {
  if (!Array.isArray(shares)) throw new DskeError('argument', 'shares: expected an array');
  const wanted = opts.secretId === undefined ? undefined : hex(abytes(opts.secretId, SECRET_ID_BYTES, 'secretId'));
  const hubsSeen = new Set<number>();
  const bad: number[] = [];
  const groups = new Map<string, ReceivedShare[]>();
  for (const s of shares) {
    if (typeof s !== 'object' || s === null || typeof s.message !== 'object' || s.message === null) throw new DskeError('argument', 'expected verified shares');
    if (hubsSeen.has(s.hub)) throw new DskeError('argument', 'one share per hub');
    hubsSeen.add(s.hub);
    const m = s.message;
    abytes(s.share, shareWords(m.m) * WORD, 'share');
    // x = 0 would make the share the secret itself (decoded messages never carry it).
    if (isZeroBytes(abytes(m.x, WORD, 'x'))) throw new DskeError('argument', 'zero coordinate');
    const expectSender = opts.senderIdAt?.(s.hub);
    if ((wanted !== undefined && hex(m.secretId) !== wanted) || (expectSender !== undefined && expectSender !== m.senderId)) {
      bad.push(s.hub);
      continue;
    }
    const key = groupKey(m);
    const g = groups.get(key);
    if (g) g.push(s);
    else groups.set(key, [s]);
  }
  const ordered = [...groups.values()].sort((a, b) => b.length - a.length);
  let failure: { code: DskeErrorCode; message: string } = { code: 'not-enough-shares', message: 'fewer than k verified shares agree on the secret' };
  for (const group of ordered) {
    const meta = group[0].message;
    const { k, n, m } = meta;
    if (group.length < k) continue;
    if (k < (opts.kMin ?? DEFAULT_K_MIN) || n > (opts.nMax ?? DEFAULT_N_MAX) || group.length > n) {
      failure = { code: 'policy', message: `k = ${k}, n = ${n} with ${group.length} shares is outside the accepted bounds` };
      continue;
    }
    if (meta.expiresAt !== 0 && opts.now === undefined) throw new DskeError('argument', 'the sender set an expiry: pass now');
    const now = opts.now ?? 0;
    if (meta.expiresAt !== 0 && aint(now, 0, Number.MAX_SAFE_INTEGER, 'now') > meta.expiresAt) throw new DskeError('expired', 'the secret has expired');
    opts.replay?.guard.check(opts.replay.sender, meta.secretId, meta.expiresAt, now);

    const W = shareWords(m);
    const xs = new Uint8Array(group.length * WORD);
    group.forEach((s, i) => xs.set(s.message.x, i * WORD));
    let res;
    try {
      res = combineRobustFlat(xs, group.map((s) => s.share), W, k, secretTagIsZero);
    } catch (e) {
      if (!isDskeError(e, 'secret-tag-mismatch')) throw e;
      failure = { code: e.code, message: e.message };
      continue;
    }
    opts.replay?.guard.record(opts.replay.sender, meta.secretId, meta.expiresAt);
    const secret = res.secret.slice(KEY_WORDS * WORD);
    wipe(res.secret);
    const off = new Set(res.bad);
    for (const other of ordered) if (other !== group) for (const s of other) bad.push(s.hub);
    group.forEach((s, i) => off.has(i) && bad.push(s.hub));
    return {
      secret, secretId: copyBytes(meta.secretId), k, n, m, expiresAt: meta.expiresAt, aad: copyBytes(meta.aad),
      hubs: group.filter((_, i) => !off.has(i)).map((s) => s.hub),
      bad: bad.sort((a, b) => a - b),
    };
  }
  throw new DskeError(failure.code, failure.message);
}

export interface Rejected {
  readonly hub: number;
  /** 'decode', 'tag-mismatch', or the code of a DskeError the PSRD look-up threw. */
  readonly code: DskeErrorCode;
}

/** Instruction bytes as they came out of the AEAD layer, labelled with the hub they came through. */
export interface Incoming {
  readonly hub: number;
  readonly bytes: Uint8Array;
}

/**
 * Everything a recipient does with one secret's instructions: decode and verify each (a hub sending
 * garbage is rejected, not fatal), then recover. `psrdFor` returns psrdBytesPerHub(message.m) bytes
 * of this client's table for `hub` at message.psrdIndex; it may throw a DskeError to reject.
 */
export function receive(
  incoming: readonly Incoming[],
  psrdFor: (hub: number, message: ShareMessage) => Uint8Array,
  opts: RecoverOptions = {},
): Recovered & { readonly rejected: Rejected[] } {
  if (!Array.isArray(incoming)) throw new DskeError('argument', 'incoming: expected an array');
  const rejected: Rejected[] = [];
  const shares: ReceivedShare[] = [];
  for (const { hub, bytes } of incoming) {
    try {
      const msg = decodeInstruction(bytes);
      shares.push(openInstruction(hub, msg, psrdFor(hub, msg)));
    } catch (e) {
      if (!(e instanceof DskeError)) throw e;
      rejected.push({ hub, code: e.code });
    }
  }
  try {
    return { ...recover(shares, opts), rejected };
  } finally {
    for (const s of shares) wipe(s.share);
  }
}
