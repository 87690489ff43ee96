// A hub's registration at the client (issue S10, part 2; spec §11.1): the hub ID, the client ID this
// hub gave, the check value, and the 64 bytes of initial keys, wrapped by the client's master key in
// two 32-byte halves (AES-256-GCM, the place and the IDs as associated data, so that a wrapped half
// moved to another hub or client does not unwrap). hubs/<hub>/registration.json, written once,
// atomically, and never replaced.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFile } from '../../src-node/atomic-file';
import { ioReason } from '../../src-node/io-reason';
import type { MasterKey } from '../../src-node/psrd-store/master-key';
import { CLIENT_ID, HUB_ID, INITIAL_KEY_BYTES } from '../../src-shared/psrd/package-format';
import { ClientFailure } from '../errors';
import { checkValueOf } from './initial-keys-file';

export const REGISTRATION_FILE = 'registration.json';
const HALF = INITIAL_KEY_BYTES / 2;

export interface Registration {
  readonly hub: string;
  readonly client: string;
  readonly checkValue: string;
}

const aad = (r: Registration, half: number): Buffer => Buffer.from(`dske-client initial keys v1|${r.hub}|${r.client}|${half}`, 'utf8');

export function registrationPath(hubDir: string): string {
  return join(hubDir, REGISTRATION_FILE);
}

export function writeRegistration(hubDir: string, r: Registration, keys: Uint8Array, master: MasterKey): void {
  const wrapped = [0, 1].map((i) => Buffer.from(master.wrap(keys.subarray(i * HALF, (i + 1) * HALF), aad(r, i))).toString('base64'));
  const body = Buffer.from(JSON.stringify({ format: 1, hub: r.hub, client: r.client, checkValue: r.checkValue, keys: wrapped }));
  try {
    mkdirSync(join(hubDir, 'chunks'), { recursive: true, mode: 0o700 });
    replaceFile(registrationPath(hubDir), body, 0o600);
  } catch (e) {
    throw new ClientFailure('io', `The registration for hub ${r.hub} could not be written (${ioReason(e)}); nothing was kept.`);
  }
}

const damaged = (hub: string, why: string): ClientFailure => new ClientFailure('store-damaged', `The registration for hub ${hub} is damaged: ${why}.`);

/** The registration as recorded (no keys), or undefined when this hub is not registered. */
export function readRegistration(hubDir: string, hub: string): (Registration & { wrapped: [Buffer, Buffer] }) | undefined {
  const path = registrationPath(hubDir);
  if (!existsSync(path)) return undefined;
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    throw damaged(hub, 'it is not JSON');
  }
  if (typeof o !== 'object' || o === null || o.format !== 1 || o.hub !== hub) throw damaged(hub, 'it is not a format 1 registration of this hub');
  if (typeof o.client !== 'string' || !CLIENT_ID.test(o.client) || typeof o.checkValue !== 'string' || !HUB_ID.test(hub)) throw damaged(hub, 'its IDs are malformed');
  const k = o.keys;
  if (!Array.isArray(k) || k.length !== 2 || !k.every((x) => typeof x === 'string')) throw damaged(hub, 'its keys are missing');
  return { hub, client: o.client, checkValue: o.checkValue, wrapped: [Buffer.from(k[0] as string, 'base64'), Buffer.from(k[1] as string, 'base64')] };
}

/** The 64 bytes of initial keys, unwrapped and checked against the recorded check value; the caller wipes them. */
export function unwrapKeys(r: Registration & { wrapped: [Buffer, Buffer] }, master: MasterKey): Uint8Array {
  const keys = new Uint8Array(INITIAL_KEY_BYTES);
  try {
    r.wrapped.forEach((w, i) => {
      const half = master.unwrap(w, aad(r, i));
      keys.set(half, i * HALF);
      half.fill(0);
    });
  } catch {
    keys.fill(0);
    throw damaged(r.hub, 'its initial keys do not unwrap under the client master key');
  }
  if (checkValueOf(keys) !== r.checkValue) {
    keys.fill(0);
    throw damaged(r.hub, 'its initial keys do not give the recorded check value');
  }
  return keys;
}
