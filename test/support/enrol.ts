// A client enrolled through the desk's steps (issue S7): application, identity checked and accepted,
// registered, initial keys handed over to a file of their own — ready for PSRD.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Station } from '../../src-main/station/station';
import type { Ctx } from '../../src-main/station/core';

export const PASSPORT_CHECKS = ['photo-matches', 'not-expired', 'mrz-consistent', 'name-matches'];

export interface Enrolled {
  readonly client: string;
  readonly application: string;
  /** The initial keys file (docs/formats.md): the 64 key bytes are at [length − 96, length − 32). */
  readonly keysFile: string;
}

export async function enrolClient(station: Station, ctx: Ctx, opts: { name?: string; keysDir: string; medium?: 'usb' | 'hsm' | 'qr' | 'file'; checker?: Ctx }): Promise<Enrolled> {
  const h = station.handlers;
  const app = await h.enrolment.apply({ name: opts.name ?? 'Test Person', medium: opts.medium ?? 'file' }, ctx);
  await h.enrolment.checkIdentity({ application: app.application, document: 'passport', number: 'X1234567', checks: PASSPORT_CHECKS, outcome: 'accepted' }, opts.checker ?? ctx);
  const reg = await h.enrolment.register({ application: app.application }, ctx);
  mkdirSync(opts.keysDir, { recursive: true });
  const keysFile = join(opts.keysDir, `${reg.client}.keys`);
  await h.enrolment.handOverKeys({ application: app.application, to: `file:${keysFile}` }, ctx);
  return { client: reg.client!, application: app.application, keysFile };
}

/** The 64 bytes of initial keys inside an initial keys file. */
export function keysIn(file: Buffer): Buffer {
  return file.subarray(file.length - 96, file.length - 32);
}
