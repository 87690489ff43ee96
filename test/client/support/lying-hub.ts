// What a lying Security Hub can do to a recipient (issue S10, part 5): it holds a copy of the recipient's
// PSRD, so it can decrypt the share of a key instruction, alter it, re-encrypt it and re-tag it with a
// valid message tag. Tests play it by intercepting the recipient's fetch of its instructions from that
// hub (opened and re-sealed under the recipient's transport key there) — exactly the hub's power.
import { open as openEnvelope, seal } from '../../../src-shared/dske/aead';
import { decodeInstruction } from '../../../src-shared/dske/appendix-a';
import { pad, signMessage } from '../../../src-shared/dske/appendix-a/layout';
import { decodeInstructions, encodeInstructions, type HeldInstruction } from '../../../src-shared/hub-api/instruction-list';
import type { ClientStore } from '../../../src-client/store/client-store';

export type Tamper = (list: HeldInstruction[]) => HeldInstruction[];

/** A fetch for `store`'s client that hands its instruction lists from the hubs named in `tamper` (by URL prefix) to the tamper. */
export function intercepting(store: ClientStore, hubUrls: Readonly<Record<string, string>>, tamper: Readonly<Record<string, Tamper>>): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    const u = String(input);
    const hub = Object.keys(hubUrls).find((h) => u.startsWith(hubUrls[h]!));
    const t = hub ? tamper[hub] : undefined;
    if (!hub || !t || !u.endsWith('/v1/dske/instructions') || res.status !== 200) return res;
    const tk = store.transport(hub);
    const list = decodeInstructions(openEnvelope(tk.key, Buffer.from(await res.arrayBuffer())).plaintext);
    return new Response(seal(tk.key, tk.keyId, encodeInstructions(t(list))), { status: 200, headers: { 'content-type': 'application/octet-stream' } });
  };
}

/** The lie: each share decrypted with the hub's copy of the recipient's PSRD (`psrdAt(index)`), a word of y1 altered, re-encrypted, re-tagged. */
export function lie(psrdAt: (index: number) => Uint8Array): Tamper {
  return (list) => list.map((i) => {
    const msg = decodeInstruction(i.frame);
    const psrd = psrdAt(msg.psrdIndex);
    const share = pad(new Uint8Array(msg.share), psrd); // the hub's plaintext share
    share[3 * 16 + 5]! ^= 0x5a; // y1 altered
    pad(share, psrd);
    return { id: i.id, frame: signMessage({ ...msg, share }, psrd) };
  });
}
