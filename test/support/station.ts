// Opens a real station on a fresh temporary data directory (small segments, so tests stay fast), and
// the call contexts and accounts that tests act with.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStation, transportContext, type Station } from '../../src-main/station/station';
import type { StationConfig } from '../../src-main/station/config';
import type { Ctx } from '../../src-main/station/core';

export interface TestStation {
  readonly station: Station;
  readonly dataDir: string;
  reopen(overrides?: Partial<StationConfig>): Promise<Station>;
  cleanup(): Promise<void>;
}

export const SMALL_POLICY = { segmentBytes: 256 * 1024, chunkBytes: 64 * 1024, lowWaterBytes: 1024 * 1024 };

/** A call context for tests that call handlers directly (past dispatch): a hub operator at the test host. */
export const OP: Ctx = { host: 'test', session: {}, signal: new AbortController().signal, operator: { name: 'Test Operator', roles: ['operator', 'auditor', 'admin', 'desk'] } };

export function tempDir(prefix = 'dske-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function openTestStation(overrides: Partial<StationConfig> = {}): TestStation {
  const dataDir = overrides.dataDir ?? tempDir();
  const config = (o: Partial<StationConfig> = {}): StationConfig => ({ dataDir, host: 'test', policy: SMALL_POLICY, ...overrides, ...o });
  let current = openStation(config());
  return {
    get station() {
      return current;
    },
    dataDir,
    async reopen(o = {}) {
      await current.close();
      current = openStation(config(o));
      return current;
    },
    async cleanup() {
      await current.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The accounts that tests sign in as; every passphrase is `<name> passphrase`. */
export const PEOPLE = {
  admin: { name: 'Ada Admin', roles: ['admin'] },
  operator: { name: 'Otto Operator', roles: ['operator'] },
  second: { name: 'Sam Second', roles: ['operator'] },
  desk: { name: 'Dee Desk', roles: ['desk'] },
  auditor: { name: 'Audrey Auditor', roles: ['auditor'] },
} as const;

export const passphraseOf = (name: string): string => `${name} passphrase`;

/** Creates the first administrator and the other test accounts through the real API. */
export async function enrolPeople(station: Station): Promise<void> {
  const t = transportContext('test');
  const setup = await station.dispatch('operators.setup', { name: PEOPLE.admin.name, passphrase: passphraseOf(PEOPLE.admin.name) }, t);
  if (!setup.ok) throw new Error(setup.error.message);
  for (const p of [PEOPLE.operator, PEOPLE.second, PEOPLE.desk, PEOPLE.auditor]) {
    const r = await station.dispatch('operators.create', { name: p.name, roles: [...p.roles], passphrase: passphraseOf(p.name) }, t);
    if (!r.ok) throw new Error(r.error.message);
  }
}

/** A transport signed in as one of PEOPLE. */
export async function signedIn(station: Station, name: string, host = 'test'): Promise<ReturnType<typeof transportContext>> {
  const t = transportContext(host);
  const r = await station.dispatch('operators.signIn', { name, passphrase: passphraseOf(name) }, t);
  if (!r.ok) throw new Error(r.error.message);
  return t;
}

/** Passphrase files for the CLI, one per person, in dir. */
export function passphraseFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of Object.values(PEOPLE)) {
    const f = join(dir, `${p.name.replace(/\W/g, '_')}.pass`);
    writeFileSync(f, passphraseOf(p.name) + '\n', { mode: 0o600 });
    out[p.name] = f;
  }
  return out;
}
