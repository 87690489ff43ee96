// The client's side of a hub's key-instruction API (issue S10; §11.4, the offline variant; the contract
// in src-shared/hub-api): POST {hub}/v1/dske/requests with a key request in its envelope, and POST
// {hub}/v1/dske/instructions to fetch the key instructions the hub holds (acknowledging those stored).
// Every failure is a sentence naming the hub: down, refusing (its code and message), or answering in a
// way the contract does not allow; no call throws.
import { open as openEnvelope, seal } from '../../src-shared/dske/aead';
import { decodeInstructions, encodeFetch, type HeldInstruction } from '../../src-shared/hub-api/instruction-list';

export interface HubEndpoint {
  readonly hub: string;
  readonly url: string;
  /** The §11.4 envelope key and its key ID (src-shared/hub-api/transport-key.ts). */
  readonly key: Uint8Array;
  readonly keyId: Uint8Array;
}

export type HubAnswer<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: string; readonly reason: string };

export interface LinkOptions {
  readonly fetch?: typeof fetch;
  /** Per call; default 10 s. */
  readonly timeoutMs?: number;
}

const OCTETS = 'application/octet-stream';

async function post(h: HubEndpoint, path: string, body: Uint8Array, opts: LinkOptions): Promise<HubAnswer<{ type: string; bytes: Buffer }>> {
  let r: Response;
  try {
    r = await (opts.fetch ?? fetch)(`${h.url}${path}`, { method: 'POST', headers: { 'content-type': OCTETS }, body, signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) });
  } catch (e) {
    const why = e instanceof Error && e.name === 'TimeoutError' ? 'it did not answer in time' : 'it cannot be reached';
    return { ok: false, code: 'unreachable', reason: `hub ${h.hub} (${h.url}): ${why}` };
  }
  let bytes: Buffer;
  try {
    bytes = Buffer.from(await r.arrayBuffer());
  } catch {
    return { ok: false, code: 'unreachable', reason: `hub ${h.hub}: its answer was cut off` };
  }
  const type = r.headers.get('content-type') ?? '';
  if (r.status !== 200) {
    let code = `http-${r.status}`;
    let message = '';
    if (type.startsWith('application/json')) {
      try {
        const o = JSON.parse(bytes.toString('utf8')) as { code?: unknown; message?: unknown };
        if (typeof o.code === 'string') code = o.code;
        if (typeof o.message === 'string') message = o.message;
      } catch {
        // the status says enough
      }
    }
    return { ok: false, code, reason: `hub ${h.hub} refused (${code}${message ? `: ${message.replace(/\.$/, '')}` : `, HTTP ${r.status}`})` };
  }
  return { ok: true, value: { type, bytes } };
}

/** Posts a key request (an encoded request frame): the hub's count of instructions made, or why not. */
export async function postKeyRequest(h: HubEndpoint, request: Uint8Array, opts: LinkOptions = {}): Promise<HubAnswer<{ instructions: number }>> {
  const r = await post(h, '/v1/dske/requests', seal(h.key, h.keyId, request), opts);
  if (!r.ok) return r;
  try {
    const o = JSON.parse(r.value.bytes.toString('utf8')) as { accepted?: unknown; instructions?: unknown };
    if (o.accepted === true && Number.isSafeInteger(o.instructions)) return { ok: true, value: { instructions: o.instructions as number } };
  } catch {
    // below
  }
  return { ok: false, code: 'bad-answer', reason: `hub ${h.hub} answered the key request with something other than {accepted, instructions}` };
}

/** Fetches the instructions the hub holds, acknowledging every id ≤ `acknowledged` (which it then forgets). */
export async function fetchInstructions(h: HubEndpoint, acknowledged: number, opts: LinkOptions = {}): Promise<HubAnswer<HeldInstruction[]>> {
  const r = await post(h, '/v1/dske/instructions', seal(h.key, h.keyId, encodeFetch(acknowledged)), opts);
  if (!r.ok) return r;
  try {
    const opened = openEnvelope(h.key, r.value.bytes);
    if (Buffer.compare(Buffer.from(opened.keyId), Buffer.from(h.keyId)) !== 0) throw new Error('key id');
    return { ok: true, value: decodeInstructions(opened.plaintext) };
  } catch {
    return { ok: false, code: 'bad-answer', reason: `hub ${h.hub} answered the fetch with bytes that do not open under this client's transport key, or are not a list of key instructions` };
  }
}
