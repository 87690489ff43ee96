// The sending client of App. A (Alice), §11.4: key establishment (a random secret taken from PSRD)
// or secret transmission (a given secret), to one or more recipients (§8).
//
// For each of the n hubs, 2 + 3 + m PSRD words: the first two key that hub's message MAC. For k
// chosen hubs the next 3 + m words are shares unaltered; the secret c, d, e, y1..ym is the Shamir
// polynomial through them at x = 0. One of those k shares (the last chosen) is then adjusted —
// in its d word so that σ = h(c, d, e, y1..ym) = 0, and for transmission also in its y words so that
// the secret's y words are the given ones — and the other n − k shares are derived from the k.
// Every share is one-time-padded with its hub's PSRD words (the k unaltered ones thus encrypt to
// zero, as §11.4 notes), put in M[i] and tagged.
import { abytes, aint, isZeroBytes, wipe } from '../bytes';
import { DskeError } from '../errors';
import { invInPlace, mulT, newTable, tableOf, WORD, word } from '../gf128';
import { secretTagInto } from '../polyhash';
import { combineInto, lagrangeInto } from '../shamir';
import { MAX_AAD, MAX_M, SECRET_ID_BYTES } from '../wire';
import { checkPsrd, KEY_WORDS, pad, shareWords, signMessage } from './layout';

export interface SenderHub {
  /** A[i]: the sender's client ID at this hub. */
  readonly senderId: number;
  /** B[i]*: the recipients' client IDs at this hub. */
  readonly recipientIds: readonly number[];
  /** j[A][i]: byte offset of `psrd` in the sender's PSRD table for this hub. */
  readonly psrdIndex: number;
  /** The 2 + 3 + m words read from that table (psrdBytesPerHub(m) bytes). The caller deletes them from its store. */
  readonly psrd: Uint8Array;
  /** x[i], nonzero and distinct; default: the hub's position + 1 as a word. */
  readonly x?: Uint8Array;
}

export interface SendParams {
  readonly k: number;
  /** Secret length in 128-bit words (2 for a 256-bit key). */
  readonly m: number;
  /** K[A], 16 bytes, unique for this sender. */
  readonly secretId: Uint8Array;
  /** The n hubs, in order. */
  readonly hubs: readonly SenderHub[];
  /** Secret transmission: the m-word secret to send. Omit for key establishment. */
  readonly secret?: Uint8Array;
  /** Which k hubs' PSRD become shares unaltered (App. A: "e.g. randomly"); default the first k. */
  readonly unaltered?: readonly number[];
  /** §11.6 expiry, seconds since the Unix epoch; 0 or omitted: none. */
  readonly expiresAt?: number;
  /** §11.4 additional associated data. */
  readonly aad?: Uint8Array;
}

export interface Sent {
  /** y1..ym: the established (or transmitted) secret, m·16 bytes. */
  readonly secret: Uint8Array;
  /** M[i] with its tag, encoded, one per hub in the order given. Wrap each with aead.seal before sending. */
  readonly requests: Uint8Array[];
}

const ZERO = new Uint8Array(WORD);
const T = newTable();

export function send(p: SendParams): Sent {
  if (typeof p !== 'object' || p === null || !Array.isArray(p.hubs)) throw new DskeError('argument', 'expected {k, m, secretId, hubs}');
  const n = aint(p.hubs.length, 1, 255, 'number of hubs');
  const k = aint(p.k, 1, n, 'k');
  const m = aint(p.m, 1, MAX_M, 'm');
  const W = shareWords(m);
  const secretId = abytes(p.secretId, SECRET_ID_BYTES, 'secretId');
  const given = p.secret === undefined ? undefined : abytes(p.secret, m * WORD, 'secret');
  const expiresAt = aint(p.expiresAt ?? 0, 0, Number.MAX_SAFE_INTEGER, 'expiresAt');
  const aad = p.aad === undefined ? new Uint8Array(0) : abytes(p.aad, undefined, 'aad');
  if (aad.length > MAX_AAD) throw new DskeError('argument', `aad: at most ${MAX_AAD} bytes`);

  const xs = new Uint8Array(n * WORD);
  p.hubs.forEach((h, i) => {
    checkPsrd(h.psrd, m, `hubs[${i}].psrd`);
    const x = h.x === undefined ? word(i + 1) : abytes(h.x, WORD, `hubs[${i}].x`);
    if (isZeroBytes(x)) throw new DskeError('argument', `hubs[${i}].x: the coordinate must be nonzero`);
    for (let j = 0; j < i; j++)
      if (x.every((b, t) => b === xs[j * WORD + t])) throw new DskeError('argument', 'hub coordinates must be distinct');
    xs.set(x, i * WORD);
  });
  const U = p.unaltered ?? Array.from({ length: k }, (_, i) => i);
  if (!Array.isArray(U) || U.length !== k) throw new DskeError('argument', `unaltered: expected ${k} hub positions`);
  U.forEach((u, i) => aint(u, 0, n - 1, `unaltered[${i}]`));
  if (new Set(U).size !== k) throw new DskeError('argument', 'unaltered: positions must be distinct');

  // Shares R[i]: for the k chosen hubs, the PSRD words after the MAC key, unaltered.
  const shares = p.hubs.map(() => new Uint8Array(W * WORD));
  const xsU = new Uint8Array(k * WORD);
  U.forEach((u, j) => {
    pad(shares[u], p.hubs[u].psrd);
    xsU.set(xs.subarray(u * WORD, (u + 1) * WORD), j * WORD);
  });
  const sharesU = U.map((u) => shares[u]);
  const coef = new Uint8Array(k * WORD);
  lagrangeInto(xsU, k, ZERO, 0, coef);

  // The secret S = c || d || e || y1..ym at x = 0.
  const S = new Uint8Array(W * WORD);
  combineInto(coef, sharesU, k, W, S, 0);

  // Changing the adjusted share by δ/λ changes S by δ, λ = its (nonzero) Lagrange coefficient at 0.
  const adj = shares[U[k - 1]];
  const lambdaInv = coef.slice((k - 1) * WORD, k * WORD);
  invInPlace(lambdaInv, 0);
  tableOf(lambdaInv, 0, T);
  const delta = new Uint8Array(WORD);
  const shift = (w: number): void => {
    mulT(T, delta, 0, delta, 0);
    for (let b = 0; b < WORD; b++) adj[w * WORD + b] ^= delta[b];
  };
  if (given) {
    for (let w = 0; w < m; w++) {
      const o = (KEY_WORDS + w) * WORD;
      for (let b = 0; b < WORD; b++) delta[b] = S[o + b] ^ given[w * WORD + b];
      S.set(given.subarray(w * WORD, (w + 1) * WORD), o);
      shift(KEY_WORDS + w);
    }
  }
  // σ is d plus terms free of d: adding σ to d makes it zero.
  secretTagInto(S, 0, W, delta, 0);
  for (let b = 0; b < WORD; b++) S[WORD + b] ^= delta[b];
  shift(1);

  // The other n − k shares, from the polynomial through the k.
  const chosen = new Set(U);
  for (let t = 0; t < n; t++) {
    if (chosen.has(t)) continue;
    lagrangeInto(xsU, k, xs, t * WORD, coef);
    combineInto(coef, sharesU, k, W, shares[t], 0);
  }

  const requests = p.hubs.map((h, i) =>
    signMessage(
      {
        type: 'request', k, n, m, senderId: h.senderId, recipientIds: h.recipientIds, secretId,
        psrdIndex: h.psrdIndex, expiresAt, x: xs.slice(i * WORD, (i + 1) * WORD), aad,
        share: pad(shares[i], h.psrd), // Z[A][i] = R[A][i] + PSRD words (one-time pad)
      },
      h.psrd,
    ),
  );
  const secret = S.slice(KEY_WORDS * WORD);
  wipe(S, delta, coef, lambdaInv, ...shares);
  return { secret, requests };
}
