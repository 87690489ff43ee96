// A long ledger for the auditor's specs: N realistic entries — deliveries to USB drives and tokens, their
// jobs, identity checks, refused sign-ins (the mix of bench/ledger.ts) — over the last 120 days, written
// through the station's own code (openStation, Ledger.append with its authenticated head, catalogue, folds,
// snapshots and rolled files), so that the browser host opens a ledger made as a station makes it.
//
// The ledger keeps its entries in time order (a clock set back does not reorder it), so a ledger that
// spans months is made from its first entry: the station browser-host.ts made a moment ago is made again
// in the same folder, from 120 days ago — its accounts the same people with the same passphrases, created
// through the station's API — then a small pool, then the entries, the last a few minutes ago.
//
// Run in a child process (`tsx e2e/long-ledger.ts DIR N`), so that the spec's process stays small; it
// prints one JSON line: what a spec can check the window against.
import { spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LongLedger {
  readonly entries: number;
  /** A client with deliveries, and how many entries name it. */
  readonly client: string;
  readonly clientEntries: number;
  readonly buildSeconds: number;
}

const DAY = 86_400_000;
const SPAN_DAYS = 120;

/** Builds the long ledger in `dataDir` (the station must not be open). */
export function buildLongLedger(dataDir: string, entries: number): Promise<LongLedger> {
  return new Promise((resolve, reject) => {
    const child = spawn(join('node_modules', '.bin', 'tsx'), [fileURLToPath(import.meta.url), dataDir, String(entries)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as LongLedger);
      else reject(new Error(`long-ledger failed (${code}): ${out}${err}`));
    });
  });
}

async function main(dataDir: string, n: number): Promise<void> {
  const started = process.hrtime.bigint();
  const { openStation, transportContext } = await import('../src-main/station/station');
  const { ADMIN, AUDITOR, DESK, OPERATOR, SECOND, passphraseOf } = await import('./browser-host');
  const end = Date.now() - 5 * 60_000;
  const begin = end - SPAN_DAYS * DAY;
  const clock = { now: begin };
  const now = (): Date => new Date(clock.now);

  // The station made again, from its first entry, 120 days ago; station.json (the settings) is kept.
  for (const name of readdirSync(dataDir)) if (name !== 'station.json') rmSync(join(dataDir, name), { recursive: true, force: true });
  const station = openStation({ dataDir, host: 'test', mode: 'create', now });
  const t = transportContext('test');
  const ok = <T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };
  ok(await station.dispatch('operators.setup', { name: ADMIN, passphrase: passphraseOf(ADMIN) }, t));
  for (const [name, role] of [[OPERATOR, 'operator'], [SECOND, 'operator'], [DESK, 'desk'], [AUDITOR, 'auditor']] as const) {
    ok(await station.dispatch('operators.create', { name, roles: [role], passphrase: passphraseOf(name) }, t));
  }
  // A small pool on the first day, which the deliveries name.
  const op = { ...t, operator: { name: OPERATOR, roles: ['operator' as const] } };
  await station.handlers.pool.generate({ bytes: 4 * 2 ** 20, sources: ['os'] }, op);
  const segments = station.pool.state.unallocated().map((s) => s.id);

  const clients = Math.max(50, Math.min(20_000, Math.floor(n / 50)));
  const clientOf = (i: number): string => `c-${String(((i * 7919) % clients) + 1).padStart(6, '0')}`;
  const first = station.ledger.length;
  const watched = clientOf(first + 5);
  let watchedEntries = 0;
  for (let i = first; i < n; i++) {
    clock.now = begin + Math.floor(((i - first + 1) / (n - first + 1)) * (end - begin));
    const actor = { host: 'electron', operator: [DESK, OPERATOR, SECOND][i % 3] };
    const client = clientOf(i);
    const segment = segments[i % segments.length];
    const job = `job-${i.toString(16).padStart(16, '0')}`;
    let type: string;
    let data: Record<string, unknown>;
    switch (i % 20) {
      case 0:
        [type, data] = ['job.started', { job, kind: 'delivery', title: `Delivering 4 MiB to ${client}`, resources: ['pool:allocate', 'drive:usb:0781:5583:4C530001'], resumable: true, actor }];
        break;
      case 1:
        [type, data] = ['job.ended', { job: `job-${(i - 1).toString(16).padStart(16, '0')}`, outcome: 'done' }];
        break;
      case 2:
        [type, data] = ['delivery.range-delivered', { client, package: `pkg-${i.toString(16).padStart(12, '0')}`, segment, offset: (i * 4096) % (4 * 2 ** 20), length: 4096, medium: 'hsm', token: { label: 'client-token', serial: '9A3F11C2' }, verified: 'read back by value', actor }];
        break;
      case 3:
        [type, data] = ['enrolment.identity-checked', { application: `app-${i.toString(16).padStart(16, '0')}`, document: 'passport', last4: String(1000 + (i % 9000)), numberHmac: 'a'.repeat(64), checks: ['photo-matches', 'not-expired', 'mrz-consistent', 'name-matches'], outcome: 'accepted', actor }];
        break;
      case 4:
        [type, data] = ['operator.sign-in-refused', { name: actor.operator, reason: 'wrong passphrase', failures: 1, host: 'electron' }];
        break;
      default:
        [type, data] = ['delivery.range-delivered', { client, package: `pkg-${i.toString(16).padStart(12, '0')}`, segment, offset: (i * 4096) % (4 * 2 ** 20), length: 4096, medium: 'usb', drive: { vendorId: '0781', productId: '5583', serial: '4C530001', sizeBytes: 31914983424 }, verified: 'read-back, page cache bypassed', actor }];
    }
    station.ledger.append(type, data, now);
    if ('client' in data && data.client === watched) watchedEntries++;
    if (i % 100_000 === 0 && i > 0) process.stderr.write(`  built ${i} entries\n`);
  }
  const entries = station.ledger.length;
  await station.close();
  const buildSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(JSON.stringify({ entries, client: watched, clientEntries: watchedEntries, buildSeconds } satisfies LongLedger) + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [dir, n] = process.argv.slice(2);
  main(dir!, Number(n)).catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
