// PSRD never reaches the renderer, a string or a log (docs/references.md, invariants). A whole session through
// the browser host — generate, status, ledger, sources, events — is captured as text, and no piece of
// the pool's bytes appears in it: not raw, not as hex, not as base64; nor in the ledger file or the
// process's console output.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startBrowserHost, type BrowserHost } from '../../src-main/browser-host/server';
import { enrolPeople, openTestStation, passphraseOf, PEOPLE, type TestStation } from '../support/station';

let ts: TestStation;
let host: BrowserHost;
const seen: string[] = [];
const consoleSpies = (['log', 'error', 'warn', 'info', 'debug'] as const).map((m) => vi.spyOn(console, m));

async function call(channel: string, args: unknown): Promise<unknown> {
  const res = await fetch(`${host.origin}/api/call/${channel}`, { method: 'POST', headers: { Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(args) });
  const text = await res.text();
  seen.push(text);
  return JSON.parse(text);
}

beforeAll(async () => {
  ts = openTestStation();
  host = await startBrowserHost({ station: ts.station, rendererDir: 'out/renderer' });
  const events = await fetch(`${host.origin}/api/events`, { headers: { Authorization: `Bearer ${host.token}` } });
  const reader = events.body!.getReader();
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      seen.push(Buffer.from(value!).toString('latin1'));
    }
  })();
  await enrolPeople(ts.station);
  await call('operators.signIn', { name: PEOPLE.operator.name, passphrase: passphraseOf(PEOPLE.operator.name) });
  await call('pool.generate', { bytes: 512 * 1024 });
  await call('pool.status', {});
  await call('audit.ledger', { limit: 1000 });
  await call('audit.verify', {});
  await call('devices.listSources', {});
  await call('devices.testSource', { spec: 'os' });
  await call('pool.generate', { bytes: 'not a size' });
  await new Promise((r) => setTimeout(r, 200));
});
afterAll(async () => {
  await host.close();
  await ts.cleanup();
});

describe('PSRD containment', () => {
  it('keeps every piece of the pool out of API results, events, the ledger and the console', () => {
    const segments = ts.station.pool.state.unallocated();
    expect(segments.length).toBeGreaterThan(0);
    const haystacks = [
      ...seen,
      readFileSync(join(ts.dataDir, 'ledger.jsonl'), 'latin1'),
      ...consoleSpies.flatMap((s) => s.mock.calls.map((c) => c.map(String).join(' '))),
    ].join('\n');
    let probes = 0;
    for (const s of segments) {
      const plain = Buffer.concat([...ts.station.pool.read(s.id, 0, s.bytes)]);
      for (let off = 0; off + 12 <= plain.length; off += 4099) {
        const piece = plain.subarray(off, off + 12);
        probes++;
        for (const form of [piece.toString('hex'), piece.toString('base64').slice(0, 14), piece.toString('latin1')]) {
          expect(haystacks.includes(form), `pool bytes at ${s.id}+${off} found as ${form.length}-char text`).toBe(false);
        }
      }
      plain.fill(0);
    }
    expect(probes).toBeGreaterThan(100);
    expect(seen.length).toBeGreaterThan(7);
  });
});
