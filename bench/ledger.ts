// bench/ledger: the ledger at scale (issue S5). Builds a ledger of N realistic entries through the
// station's own code (openStation, Ledger.append with its authenticated head, folds and snapshots),
// (deliveries, jobs, enrolment checks, refused sign-ins), then, in a fresh process so that the figures are those of a station opening it, measures: opening
// (snapshot + tail), full verification (entries/s), a query by client from the index, and RSS.
// Prints one JSON line: {entries, bytes, buildSeconds, openMs, verifyEntriesPerSec, queryByClientMs,
// queryResults, rssMiB}, and beside verification the baseline `sha256sum` of the same file
// (hashing alone, no parsing), as a ratio.
//
//   npx tsx bench/ledger.ts --entries 1000000 [--dir /dev/shm]
//
// The ledger is built on tmpfs by default (/dev/shm): every append fsyncs three times, which on a
// disk would make building a million entries take most of an hour; opening and verifying read the
// file from memory either way (the page cache).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStation } from '../src-main/station/station';
import { LEDGER_FILE } from '../src-node/ledger/ledger';
import { OP, SMALL_POLICY } from '../test/support/station';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const CLIENTS = 20_000;
const clientOf = (i: number): string => `client-${(i * 7919) % CLIENTS}`;

/** One realistic entry of the kinds a hub's ledger is made of, by its position in the mix. */
function entry(i: number, segments: string[]): [string, Record<string, unknown>] {
  const actor = { host: 'electron', operator: ['Dee Desk', 'Otto Operator', 'Sam Second'][i % 3] };
  const segment = segments[i % segments.length];
  switch (i % 20) {
    case 0:
      return ['job.started', { job: `job-${i.toString(16).padStart(16, '0')}`, kind: 'delivery', title: `Delivering 4 MiB to ${clientOf(i)}`, resources: ['pool:allocate', 'drive:usb:0781:5583:4C530001'], resumable: true, actor }];
    case 1:
      return ['job.ended', { job: `job-${(i - 1).toString(16).padStart(16, '0')}`, outcome: 'done' }];
    case 2:
      return ['delivery.range-delivered', { client: clientOf(i), package: `pkg-${i.toString(16).padStart(12, '0')}`, segment, offset: (i * 4096) % 67108864, length: 4194304, medium: 'hsm', token: { label: 'client-token', serial: '9A3F11C2' }, verified: 'read back by value', actor }];
    case 3:
      return ['enrolment.identity-checked', { application: `app-${i.toString(16).padStart(16, '0')}`, document: 'passport', last4: String(1000 + (i % 9000)), numberHmac: 'a'.repeat(64), checks: ['photo-matches', 'not-expired', 'mrz-consistent', 'name-matches'], outcome: 'accepted', actor }];
    case 4:
      return ['operator.sign-in-refused', { name: actor.operator, reason: 'wrong passphrase', failures: 1, host: 'electron' }];
    default:
      return ['delivery.range-delivered', { client: clientOf(i), package: `pkg-${i.toString(16).padStart(12, '0')}`, segment, offset: (i * 4096) % 67108864, length: 4194304, medium: 'usb', drive: { vendorId: '0781', productId: '5583', serial: '4C530001', sizeBytes: 31914983424 }, verified: 'read-back, page cache bypassed', actor }];
  }
}

async function build(dir: string, n: number): Promise<number> {
  const started = process.hrtime.bigint();
  const station = openStation({ dataDir: dir, host: 'test', mode: 'create', policy: SMALL_POLICY });
  await station.handlers.pool.generate({ bytes: 8 * SMALL_POLICY.segmentBytes, sources: ['os'] }, OP);
  const segments = station.pool.state.unallocated().map((s) => s.id);
  for (let i = station.ledger.length; i < n; i++) {
    const [type, data] = entry(i, segments);
    station.ledger.append(type, data);
    if (i % 100_000 === 0) process.stderr.write(`  built ${i} entries\n`);
  }
  await station.close();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function measure(dir: string): Promise<void> {
  const t0 = process.hrtime.bigint();
  const station = openStation({ dataDir: dir, host: 'test', mode: 'read' });
  const openMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const t1 = process.hrtime.bigint();
  const v = await station.ledger.verify();
  const verifySeconds = Number(process.hrtime.bigint() - t1) / 1e9;
  if (!v.ok) throw new Error(`verification failed: ${v.problem}`);
  const t2 = process.hrtime.bigint();
  const r = await station.handlers.audit.query({ client: clientOf(4245), limit: 1000 }, OP);
  const queryByClientMs = Number(process.hrtime.bigint() - t2) / 1e6;
  const rssMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
  await station.close();
  process.stdout.write(JSON.stringify({ entries: v.entries, openMs: Math.round(openMs), verifySeconds, queryByClientMs: Math.round(queryByClientMs * 10) / 10, queryResults: r.entries.length, rssMiB }) + '\n');
}

async function main(): Promise<void> {
  const measureDir = option('--measure', '');
  if (measureDir) return measure(measureDir);
  const n = Number(option('--entries', '100000'));
  const base = option('--dir', existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
  // --keep DIR: build there once and measure it again on later runs (building a million entries takes minutes).
  const keep = option('--keep', '');
  const dir = keep || join(mkdtempSync(join(base, 'dske-bench-ledger-')), 'station');
  try {
    let buildSeconds = 0;
    if (!keep || !existsSync(join(dir, LEDGER_FILE))) {
      process.stderr.write(`building ${n} entries in ${dir} …\n`);
      buildSeconds = await build(dir, n);
    }
    // The active file and the sealed ones before it (ledger-NNNNNN.jsonl).
    const files = readdirSync(dir).filter((f) => f === LEDGER_FILE || /^ledger-\d{6}\.jsonl$/.test(f)).map((f) => join(dir, f));
    const bytes = files.reduce((a, f) => a + statSync(f).size, 0);
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'bench/ledger.ts', '--measure', dir], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (child.status !== 0) throw new Error(`measuring failed: ${child.stderr}`);
    const m = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { entries: number; openMs: number; verifySeconds: number; queryByClientMs: number; queryResults: number; rssMiB: number };
    const t = process.hrtime.bigint();
    execFileSync('sha256sum', files);
    const shaSeconds = Number(process.hrtime.bigint() - t) / 1e9;
    process.stdout.write(
      JSON.stringify({
        entries: m.entries,
        bytes,
        buildSeconds: Math.round(buildSeconds),
        openMs: m.openMs,
        verifyEntriesPerSec: Math.round(m.entries / m.verifySeconds),
        verifyVsSha256sum: Math.round((shaSeconds / m.verifySeconds) * 100) / 100,
        queryByClientMs: m.queryByClientMs,
        queryResults: m.queryResults,
        rssMiB: m.rssMiB,
      }) + '\n',
    );
  } finally {
    if (!keep) rmSync(join(dir, '..'), { recursive: true, force: true });
  }
}

void main();
