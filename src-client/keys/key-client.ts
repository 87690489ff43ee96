// Key establishment at the client (issue S10, parts 2 and 4; draft §11.4, App. A; the offline variant):
//
// establish(): the sender takes psrdBytesPerHub(m) bytes of its own halves of its PSRD table at each of
// the n hubs (takeForRequest, marked used before anything leaves), makes the n key requests (App. A
// `send`), posts each in its §11.4 envelope, and holds the key once at least k hubs accepted.
//
// fetchAndRecover(): the recipient fetches what every configured hub holds for it, storing the frames
// (sealed under the master key) before acknowledging them; opens each with the PSRD of the hub's half at
// the frame's index (takeAt: the tag verified, the share decrypted) and keeps the opened share, sealed,
// until its secret is recovered, so that a share that arrives before enough others waits for them; and
// recovers each secret from its shares (App. A `recover`, k_min and n_max from the settings), naming the
// hubs whose share was wrong (liars) or whose tag failed. A secret ID already recovered from the same
// sender (at any of the hubs it came through) is refused (§11.6) before any PSRD is spent on it.
// Keys established or recovered are kept sealed under the master key, by (peer, secret ID).
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFile } from '../../src-node/atomic-file';
import { ioReason } from '../../src-node/io-reason';
import { decodeInstruction, openInstruction, psrdBytesPerHub, recover, send, type ReceivedShare } from '../../src-shared/dske/appendix-a';
import { DEFAULT_K_MIN, DEFAULT_N_MAX } from '../../src-shared/dske/appendix-a/recipient';
import { isDskeError } from '../../src-shared/dske/errors';
import { ReplayGuard } from '../../src-shared/dske/replay';
import { MAX_M, SECRET_ID_BYTES, type ShareMessage } from '../../src-shared/dske/wire';
import { clientNumber } from '../../src-shared/hub-api/transport-key';
import { CLIENT_ID } from '../../src-shared/psrd/package-format';
import { ClientFailure } from '../errors';
import type { ClientStore } from '../store/client-store';
import { fetchInstructions, postKeyRequest, type HubEndpoint, type LinkOptions } from './hub-link';

export const SETTINGS_FILE = 'settings.json';
export const INBOX = 'inbox.sealed';
export const KEYS = 'keys.sealed';
/** Fetches per hub per call at most (each up to MAX_INSTRUCTIONS_PER_FETCH instructions). */
const MAX_ROUNDS = 64;

export interface KeySettings {
  /** §11.6: the least threshold k this client accepts as a recipient (and uses as a sender). */
  readonly kMin: number;
  /** §11.6: the most hubs n it accepts. */
  readonly nMax: number;
}

export function readKeySettings(store: ClientStore): KeySettings {
  const path = join(store.dir, SETTINGS_FILE);
  if (!existsSync(path)) return { kMin: DEFAULT_K_MIN, nMax: DEFAULT_N_MAX };
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    if (o.format === 1 && Number.isSafeInteger(o.kMin) && Number.isSafeInteger(o.nMax) && (o.kMin as number) >= 1 && (o.nMax as number) >= (o.kMin as number) && (o.nMax as number) <= 255) return { kMin: o.kMin as number, nMax: o.nMax as number };
  } catch {
    // below
  }
  throw new ClientFailure('store-damaged', `${path} is not a settings file of format 1 ({kMin, nMax}, 1 ≤ kMin ≤ nMax ≤ 255).`);
}

export function writeKeySettings(store: ClientStore, s: KeySettings): void {
  if (!Number.isSafeInteger(s.kMin) || !Number.isSafeInteger(s.nMax) || s.kMin < 1 || s.nMax < s.kMin || s.nMax > 255) throw new ClientFailure('bad-request', 'k_min and n_max are whole numbers with 1 ≤ k_min ≤ n_max ≤ 255.');
  try {
    replaceFile(join(store.dir, SETTINGS_FILE), Buffer.from(JSON.stringify({ format: 1, kMin: s.kMin, nMax: s.nMax })), 0o600);
  } catch (e) {
    throw new ClientFailure('io', `The settings could not be written (${ioReason(e)}).`);
  }
}

// ------------------------------------------------------------------ sealed state

interface Pending {
  readonly hub: string;
  readonly id: number;
  readonly frame: string; // base64
}
interface Opened extends Pending {
  /** The decrypted share (3 + m words), base64. */
  readonly share: string;
}
interface Inbox {
  /** Per hub: the highest instruction id stored and not yet acknowledged (0: none). */
  acked: Record<string, number>;
  pending: Pending[];
  opened: Opened[];
}
interface KeptKey {
  readonly role: 'sent' | 'received';
  /** The other end: `hub/client` for each hub it was established through. */
  readonly peer: string;
  readonly secretId: string;
  readonly key: string; // base64
  readonly hubs: readonly string[];
  readonly at: string;
  /** A sent key: false from before its requests were posted until k hubs accepted them. */
  readonly confirmed?: boolean;
}
interface ReplayRecord {
  /** `hub/senderNumber`: the sender as one hub names it. */
  readonly sender: string;
  readonly secretId: string;
  readonly expiresAt: number;
}
interface KeyFile {
  keys: KeptKey[];
  replay: ReplayRecord[];
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
/** The store claim under which a pending frame's PSRD is taken: the frame's digest. */
const claimOf = (p: Pending): string => `instruction-${createHash('sha256').update(Buffer.from(p.frame, 'base64')).digest('hex').slice(0, 32)}`;

function damaged(name: string): never {
  throw new ClientFailure('store-damaged', `${name} in the client folder does not hold what it should.`);
}

function readInbox(store: ClientStore): Inbox {
  const o = store.vault.read(INBOX) as Partial<Inbox> | undefined;
  if (o === undefined) return { acked: {}, pending: [], opened: [] };
  if (typeof o !== 'object' || o === null || typeof o.acked !== 'object' || !Array.isArray(o.pending) || !Array.isArray(o.opened)) damaged(INBOX);
  return o as Inbox;
}

function readKeys(store: ClientStore): KeyFile {
  const o = store.vault.read(KEYS) as Partial<KeyFile> | undefined;
  if (o === undefined) return { keys: [], replay: [] };
  if (typeof o !== 'object' || o === null || !Array.isArray(o.keys) || !Array.isArray(o.replay)) damaged(KEYS);
  return o as KeyFile;
}

// ------------------------------------------------------------------ results

export type HubOutcome = { readonly hub: string; readonly ok: true; readonly instructions: number } | { readonly hub: string; readonly ok: false; readonly code: string; readonly reason: string };

export interface EstablishParams {
  /** The recipient's client ID at each hub (its peer identity there, §11.3). */
  readonly peers: Readonly<Record<string, string>>;
  /** The n hubs, in order (each gets x = its position + 1). */
  readonly hubs: readonly string[];
  readonly k: number;
  /** Secret length in 128-bit words: 2 for a 256-bit key. */
  readonly m: number;
  /** 16 bytes; default random. */
  readonly secretId?: Uint8Array;
  /** §11.6 expiry, seconds since the Unix epoch; default none. */
  readonly expiresAt?: number;
}

export interface Established {
  readonly secretId: string;
  /** m·16 bytes; the caller wipes its copy (the client keeps one, sealed). */
  readonly key: Uint8Array;
  readonly hubs: readonly HubOutcome[];
}

export interface Rejection {
  readonly hub: string;
  readonly secretId?: string;
  /** decode | not-for-me | psrd-used | wrong-half | tag-mismatch | replay | … */
  readonly code: string;
  readonly reason: string;
}

export interface RecoveredKey {
  readonly sender: string;
  readonly secretId: string;
  readonly key: Uint8Array;
  /** Hubs whose shares gave the secret. */
  readonly hubs: readonly string[];
  /** Hubs whose verified share was off the secret's polynomial or carried other metadata: they lied. */
  readonly liars: readonly string[];
}

export interface Refused {
  readonly secretId: string;
  readonly code: string;
  readonly reason: string;
  readonly hubs: readonly string[];
}

export interface FetchReport {
  readonly hubs: readonly (HubOutcome & { readonly fetched?: number })[];
  readonly recovered: readonly RecoveredKey[];
  /** Frames set aside: undecodable, not for this client, replayed, or whose tag failed. */
  readonly rejected: readonly Rejection[];
  /** Secrets given up on (policy, expired, replay, or all n shares and still no secret). */
  readonly refused: readonly Refused[];
  /** Secrets whose shares wait for more hubs (or for a package not imported yet). */
  readonly waiting: readonly { readonly secretId: string; readonly hubs: readonly string[] }[];
}

export interface KeyClientOptions extends LinkOptions {
  /** Seconds since the Unix epoch (for expiry); default the system clock. */
  readonly now?: () => number;
}

// ------------------------------------------------------------------ the client

export class KeyClient {
  constructor(
    private readonly store: ClientStore,
    private readonly opts: KeyClientOptions = {},
  ) {}

  private endpoint(hub: string): HubEndpoint & { number: number } {
    const url = this.store.hubUrl(hub);
    if (!url) throw new ClientFailure('no-hub-url', `No address is set for hub ${hub}; set one before exchanging keys through it.`);
    const t = this.store.transport(hub);
    return { hub, url, key: t.key, keyId: t.keyId, number: t.number };
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Math.floor(Date.now() / 1000);
  }

  async establish(p: EstablishParams): Promise<Established> {
    const settings = readKeySettings(this.store);
    const hubs = [...p.hubs];
    const n = hubs.length;
    if (n < 1 || new Set(hubs).size !== n) throw new ClientFailure('bad-request', 'Name each hub once, at least one.');
    if (n > settings.nMax) throw new ClientFailure('bad-request', `${n} hubs is more than this client's n_max (${settings.nMax}).`);
    if (!Number.isSafeInteger(p.k) || p.k < settings.kMin || p.k > n) throw new ClientFailure('bad-request', `k must be between k_min (${settings.kMin}) and the number of hubs (${n}); it is ${p.k}.`);
    if (!Number.isSafeInteger(p.m) || p.m < 1 || p.m > MAX_M) throw new ClientFailure('bad-request', `m (words of secret) must be between 1 and ${MAX_M}.`);
    const secretId = p.secretId ?? randomBytes(SECRET_ID_BYTES);
    if (secretId.length !== SECRET_ID_BYTES) throw new ClientFailure('bad-request', `A secret ID is ${SECRET_ID_BYTES} bytes.`);
    const len = psrdBytesPerHub(p.m);
    // Every check before any PSRD is spent: the peer at each hub, an address, PSRD left.
    const recipients = hubs.map((hub) => {
      const peer = p.peers[hub];
      const num = typeof peer === 'string' && CLIENT_ID.test(peer) ? clientNumber(peer) : null;
      if (num === null) throw new ClientFailure('bad-request', `The recipient's client ID at hub ${hub} is missing or malformed.`);
      return num;
    });
    const ends = hubs.map((hub) => this.endpoint(hub));
    try {
      const short = hubs.filter((hub) => this.store.freeForRequest(hub, len) === null);
      if (short.length > 0) throw new ClientFailure('used-up', `No ${len} bytes of PSRD are left for key requests at hub${short.length > 1 ? 's' : ''} ${short.join(', ')}; import a new package. Nothing was spent.`);
      const taken = hubs.map((hub) => this.store.takeForRequest(hub, len));
      let sent;
      try {
        sent = send({
          k: p.k, m: p.m, secretId, expiresAt: p.expiresAt ?? 0,
          hubs: hubs.map((_, i) => ({ senderId: ends[i]!.number, recipientIds: [recipients[i]!], psrdIndex: taken[i]!.index, psrd: taken[i]!.bytes })),
        });
      } finally {
        for (const t of taken) t.bytes.fill(0);
      }
      // Kept before anything is sent, as unconfirmed: a crash while posting leaves the key here, not only
      // at the recipient.
      const peer = hubs.map((h) => `${h}/${p.peers[h]}`).join(',');
      const before = readKeys(this.store);
      before.keys.push({ role: 'sent', peer, secretId: hex(secretId), key: b64(sent.secret), hubs: [], at: new Date().toISOString(), confirmed: false });
      this.store.vault.write(KEYS, before);
      const answers = await Promise.all(ends.map((e, i) => postKeyRequest(e, sent.requests[i]!, this.opts)));
      const outcome: HubOutcome[] = answers.map((a, i) => (a.ok ? { hub: hubs[i]!, ok: true, instructions: a.value.instructions } : { hub: hubs[i]!, ok: false, code: a.code, reason: a.reason }));
      const accepted = outcome.filter((o) => o.ok).length;
      const keys = readKeys(this.store);
      const mine = (k: KeptKey): boolean => k.role === 'sent' && k.secretId === hex(secretId);
      if (accepted < p.k) {
        sent.secret.fill(0);
        keys.keys = keys.keys.filter((k) => !mine(k));
        this.store.vault.write(KEYS, keys);
        const failed = outcome.filter((o): o is Extract<HubOutcome, { ok: false }> => !o.ok);
        throw new ClientFailure('establish-failed', `Only ${accepted} of ${n} hubs accepted the key request, and ${p.k} are needed; no key was established. ${failed.map((f) => `${f.reason[0]!.toUpperCase()}${f.reason.slice(1)}.`).join(' ')}`);
      }
      keys.keys = keys.keys.map((k) => (mine(k) ? { ...k, hubs: outcome.filter((o) => o.ok).map((o) => o.hub), confirmed: true } : k));
      this.store.vault.write(KEYS, keys);
      return { secretId: hex(secretId), key: sent.secret, hubs: outcome };
    } finally {
      for (const e of ends) e.key.fill(0);
    }
  }

  /** Fetches from every hub with an address, opens what came, and recovers every secret it can. */
  async fetchAndRecover(): Promise<FetchReport> {
    const settings = readKeySettings(this.store);
    const hubs = this.store.hubs().filter((h) => this.store.hubUrl(h) !== undefined);
    const inbox = readInbox(this.store);
    const save = (): void => this.store.vault.write(INBOX, inbox);
    const ends = hubs.map((hub) => this.endpoint(hub));
    let fetchedHubs: (HubOutcome & { fetched?: number })[];
    try {
      fetchedHubs = await Promise.all(ends.map(async (e) => {
        let fetched = 0;
        for (let round = 0; round < MAX_ROUNDS; round++) {
          const acked = inbox.acked[e.hub] ?? 0;
          const r = await fetchInstructions(e, acked, this.opts);
          if (!r.ok) return { hub: e.hub, ok: false as const, code: r.code, reason: r.reason };
          const fresh = r.value.filter((i) => i.id > acked);
          if (fresh.length === 0) {
            // That fetch acknowledged everything stored, and the hub has forgotten it: nothing is left to
            // acknowledge. Starting again from 0 keeps a later acknowledgement from naming numbers the hub
            // may give again to new instructions (SQLite reuses the highest rowid once it is deleted).
            if (acked !== 0) {
              inbox.acked[e.hub] = 0;
              save();
            }
            break;
          }
          for (const i of fresh) inbox.pending.push({ hub: e.hub, id: i.id, frame: b64(i.frame) });
          inbox.acked[e.hub] = Math.max(acked, ...fresh.map((i) => i.id));
          save(); // stored before the next fetch acknowledges them (writes are synchronous: no interleaving)
          fetched += fresh.length;
        }
        return { hub: e.hub, ok: true as const, instructions: fetched, fetched };
      }));
    } finally {
      for (const e of ends) e.key.fill(0);
    }

    const rejected: Rejection[] = [];
    const refused: Refused[] = [];
    const recovered: RecoveredKey[] = [];
    const keys = readKeys(this.store);
    const recoveredIds = new Set(keys.keys.filter((k) => k.role === 'received').map((k) => k.secretId));
    // §11.6: the secret IDs recovered, per sender as each hub names it (`hub/number`), persisted in the key file.
    const guard = ReplayGuard.from(keys.replay.map((r) => ({ sender: r.sender, secretId: unhex(r.secretId), expiresAt: r.expiresAt })));
    const now = this.now();
    guard.prune(now);
    const numbers = new Map(this.store.hubs().map((h) => [h, clientNumber(this.store.clientAt(h))]));

    // Open every pending frame: its PSRD taken (marked used) and the share kept, sealed, in one step each.
    for (const pend of [...inbox.pending]) {
      const drop = (code: string, reason: string, secretId?: string): void => {
        rejected.push({ hub: pend.hub, code, reason, ...(secretId ? { secretId } : {}) });
        inbox.pending.splice(inbox.pending.indexOf(pend), 1);
        save();
      };
      let msg: ShareMessage;
      try {
        msg = decodeInstruction(unb64(pend.frame));
      } catch {
        drop('decode', `hub ${pend.hub} sent instruction ${pend.id}, which is not a key instruction`);
        continue;
      }
      const sid = hex(msg.secretId);
      const label = `${pend.hub}/${msg.senderId}`;
      if (guard.has(label, msg.secretId)) {
        drop('replay', `hub ${pend.hub} sent again an instruction for secret ${sid} of sender ${msg.senderId}, which this client recovered before (§11.6); no PSRD was spent on it`, sid);
        continue;
      }
      if (recoveredIds.has(sid)) {
        drop('late', `hub ${pend.hub}'s share of secret ${sid} came after the secret was recovered; set aside`, sid);
        continue;
      }
      if (!msg.recipientIds.includes(numbers.get(pend.hub)!)) {
        drop('not-for-me', `hub ${pend.hub} sent an instruction for other recipients`, sid);
        continue;
      }
      // Under a claim: a crash before the share is stored lets the next run read the same bytes again for it.
      const claim = claimOf(pend);
      let psrd: Uint8Array;
      try {
        psrd = this.store.takeAt(pend.hub, msg.psrdIndex, psrdBytesPerHub(msg.m), claim);
      } catch (e) {
        if (!(e instanceof ClientFailure)) throw e;
        if (e.code === 'psrd-not-held') continue; // its package is not imported yet: it waits
        if (e.code === 'psrd-used' || e.code === 'wrong-half') {
          drop(e.code, `hub ${pend.hub}'s instruction for secret ${sid}: ${e.message.replace(/; .*$/, '').replace(/\.$/, '')}`, sid);
          continue;
        }
        throw e;
      }
      let share: ReceivedShare;
      try {
        share = openInstruction(0, msg, psrd);
      } catch (e) {
        if (!isDskeError(e)) throw e;
        drop(e.code, `hub ${pend.hub}'s instruction for secret ${sid} does not verify under this client's PSRD at index ${msg.psrdIndex} (${e.code}); its PSRD is spent`, sid);
        this.store.release(pend.hub, claim);
        continue;
      } finally {
        psrd.fill(0);
      }
      inbox.pending.splice(inbox.pending.indexOf(pend), 1);
      inbox.opened.push({ ...pend, share: b64(share.share) });
      share.share.fill(0);
      save();
      this.store.release(pend.hub, claim);
    }
    // Claims whose frame is no longer pending (a run stopped between storing the share and releasing).
    const stillPending = new Set(inbox.pending.map(claimOf));
    for (const hub of hubs) for (const c of this.store.claims(hub)) if (!stillPending.has(c.claim)) this.store.release(hub, c.claim);

    // Recover each secret whose shares suffice.
    const groups = new Map<string, Opened[]>();
    for (const o of inbox.opened) {
      const sid = hex(decodeInstruction(unb64(o.frame)).secretId);
      groups.set(sid, [...(groups.get(sid) ?? []), o]);
    }
    const waitingFor = new Map<string, string[]>();
    for (const p of inbox.pending) {
      try {
        const sid = hex(decodeInstruction(unb64(p.frame)).secretId);
        waitingFor.set(sid, [...(waitingFor.get(sid) ?? []), p.hub]);
      } catch {
        // set aside above
      }
    }
    const waiting: { secretId: string; hubs: string[] }[] = [];
    for (const [sid, group] of groups) {
      if (recoveredIds.has(sid)) {
        // Recovered, and the run stopped before its shares were dropped.
        inbox.opened = inbox.opened.filter((o) => !group.includes(o));
        this.store.vault.write(INBOX, inbox);
        continue;
      }
      // One share per hub: a second from the same hub (a hub that sent two) counts once, the first.
      const perHub = group.filter((g, i) => group.findIndex((x) => x.hub === g.hub) === i);
      const names = perHub.map((g) => g.hub);
      const messages = perHub.map((g) => decodeInstruction(unb64(g.frame)));
      const shares: ReceivedShare[] = perHub.map((g, i) => ({ hub: i, message: messages[i]!, share: unb64(g.share) }));
      const finish = (): void => {
        inbox.opened = inbox.opened.filter((o) => !group.includes(o));
      };
      const nClaimed = Math.max(...messages.map((m) => m.n));
      let got;
      try {
        got = recover(shares, { kMin: settings.kMin, nMax: settings.nMax, now });
      } catch (e) {
        if (!isDskeError(e)) throw e;
        const more = perHub.length < nClaimed && (e.code === 'not-enough-shares' || e.code === 'secret-tag-mismatch');
        if (more) waiting.push({ secretId: sid, hubs: names });
        else {
          refused.push({ secretId: sid, code: e.code, hubs: names, reason: `Secret ${sid} cannot be recovered from the shares of ${names.join(', ')}: ${e.code === 'secret-tag-mismatch' ? 'no k of them give a secret whose tag verifies (too many hubs lied)' : e.message}.` });
          finish();
          this.store.vault.write(INBOX, inbox);
        }
        continue;
      } finally {
        for (const s of shares) s.share.fill(0);
      }
      const good = got.hubs.map((i) => names[i]!);
      const liars = got.bad.map((i) => names[i]!);
      const labels = got.hubs.map((i) => `${names[i]}/${messages[i]!.senderId}`);
      const again = perHub.map((g, i) => `${g.hub}/${messages[i]!.senderId}`).filter((l) => {
        try {
          guard.check(l, got.secretId, got.expiresAt, now);
          return false;
        } catch (e) {
          if (isDskeError(e, 'replay')) return true;
          throw e;
        }
      });
      if (again.length > 0) {
        got.secret.fill(0);
        refused.push({ secretId: sid, code: 'replay', hubs: names, reason: `Secret ${sid} was recovered before from the same sender (${again.join(', ')}); refused (§11.6).` });
        finish();
        this.store.vault.write(INBOX, inbox);
        continue;
      }
      const sender = labels.join(',');
      for (const l of labels) guard.record(l, got.secretId, got.expiresAt);
      keys.replay = guard.entries().map((r) => ({ sender: r.sender, secretId: hex(r.secretId), expiresAt: r.expiresAt }));
      recoveredIds.add(sid);
      keys.keys.push({ role: 'received', peer: sender, secretId: sid, key: b64(got.secret), hubs: good, at: new Date().toISOString() });
      // The key and its replay record first, then the shares go: a crash between leaves shares whose
      // secret is recorded, which the next run sets aside.
      this.store.vault.write(KEYS, keys);
      finish();
      this.store.vault.write(INBOX, inbox);
      recovered.push({ sender, secretId: sid, key: got.secret, hubs: good, liars });
    }
    for (const [sid, hubsOf] of waitingFor) if (!groups.has(sid)) waiting.push({ secretId: sid, hubs: hubsOf });
    return { hubs: fetchedHubs, recovered, rejected, refused, waiting };
  }

  /**
   * A key kept by (peer, secret ID), or undefined; the caller wipes it. `peer` is as recorded: for a key
   * received, the sender as the hubs that carried it name it (`hub/number,…`); for a key sent, the
   * recipient (`hub/client ID,…`). Without it, the secret ID alone (unique per sender) finds the key.
   */
  /**
   * Deletes a kept key once the application holds it (a key is handed out once: QKD 014's dec_keys and
   * enc_keys, src-client/qkd014). A received secret's replay record stays, so the same secret ID from the
   * same sender is still refused (§11.6). Returns whether a key was deleted.
   */
  forget(secretId: string, role: 'sent' | 'received', peer?: string): boolean {
    const file = readKeys(this.store);
    const keep = file.keys.filter((x) => !(x.secretId === secretId && x.role === role && (peer === undefined || x.peer === peer)));
    if (keep.length === file.keys.length) return false;
    this.store.vault.write(KEYS, { ...file, keys: keep });
    return true;
  }

  key(secretId: string, role: 'sent' | 'received', peer?: string): { peer: string; key: Uint8Array; hubs: readonly string[]; confirmed: boolean } | undefined {
    const k = readKeys(this.store).keys.find((x) => x.secretId === secretId && x.role === role && (peer === undefined || x.peer === peer));
    return k ? { peer: k.peer, key: unb64(k.key), hubs: k.hubs, confirmed: k.confirmed !== false } : undefined;
  }
}
