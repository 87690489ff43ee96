// bench/keys: clients establishing keys through Security Hubs (issue S10), end to end: five real
// stations and five real Security Servers on loopback HTTP (each station's pool shipped to its server,
// two clients enrolled at every hub, their packages imported into two client stores, the reports
// pushed), then A establishes keys with B through n = 5 hubs at k = 3 and B recovers each.
//   npx tsx bench/keys.ts [--keys 300] [--batches 1,16,256]
//
// Printed: 256-bit keys per second and latency per execution (median, p99: A's request to all five hubs,
// and B's fetch and recovery), key throughput in Mbit/s beside the DSKE paper's prototype (> 50 Mbit/s),
// and the PSRD both clients spent per key, measured from their stores, beside the floor 2·n·K and the
// public Python implementation's 2·n·(64+K) — unbatched (one key per execution, m = 2 words) and batched
// (keys per execution from `--batches`, m = 2 words per key: App. A with m words). The baseline, in the same process:
// App. A alone (send, five hubs' acceptRequest and instruct, recover) without HTTP, envelopes or stores.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { acceptRequest, decodeInstruction, decodeRequest, instruct, openInstruction, psrdBytesPerHub, recover, send } from '../src-shared/dske/appendix-a';
import { KeyClient, writeKeySettings } from '../src-client/keys/key-client';
import { ClientStore } from '../src-client/store/client-store';
import { enrolAtEvery, openLiveHub, type LiveHub } from '../test/client/support/live-hub';
import { tempDir } from '../test/support/station';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const KEYS = arg('--keys', 300);
const BATCHES = (process.argv.includes('--batches') ? process.argv[process.argv.indexOf('--batches') + 1] : '1,16,256').split(',').map(Number);
const N = 5;
const K = 3;
const KEY_BYTES = 32;
const HUBS = Array.from({ length: N }, (_, i) => `hub-${String.fromCharCode(97 + i)}`);

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

interface Party {
  readonly name: string;
  readonly store: ClientStore;
  readonly ids: Record<string, string>;
  readonly keys: KeyClient;
}

function spent(p: Party): number {
  return p.store.status().reduce((a, h) => a + h.forRequests.usedBytes + h.forInstructions.usedBytes, 0);
}

/** The protocol alone, in memory: keys per second of App. A with the same n, k and m. */
function protocolOnly(m: number, executions: number): number {
  const len = psrdBytesPerHub(m);
  const t = process.hrtime.bigint();
  for (let e = 0; e < executions; e++) {
    const sender = Array.from({ length: N }, () => randomBytes(len));
    const recipient = Array.from({ length: N }, () => randomBytes(len));
    const sent = send({ k: K, m, secretId: randomBytes(16), hubs: sender.map((psrd) => ({ senderId: 1, recipientIds: [2], psrdIndex: 0, psrd })) });
    const shares = sent.requests.map((r, i) => {
      const held = acceptRequest(decodeRequest(r), sender[i]);
      return openInstruction(i, decodeInstruction(instruct(held, { recipientId: 2, psrdIndex: 0, psrd: recipient[i] })), recipient[i]);
    });
    recover(shares, { kMin: K });
  }
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  return (executions * (m / 2)) / s;
}

async function main(): Promise<void> {
  const live: LiveHub[] = [];
  const work = tempDir('dske-bench-keys-');
  // Each client's package: its two halves hold the request and the instruction PSRD of every key.
  const perKeyPerHub = psrdBytesPerHub(2);
  const packageBytes = Math.max(64 << 10, 2 * BATCHES.length * (KEYS + Math.max(...BATCHES) + 64) * perKeyPerHub);
  try {
    console.log(`setting up ${N} stations and ${N} Security Servers (packages of ${packageBytes} bytes per client per hub) …`);
    for (const hub of HUBS) live.push(await openLiveHub(hub, 4 * packageBytes + (1 << 20)));
    const party = (name: string): Party => {
      const dir = join(work, name);
      ClientStore.init(dir);
      const store = ClientStore.open(dir);
      writeKeySettings(store, { kMin: K, nMax: N });
      return { name, store, ids: {}, keys: new KeyClient(store) };
    };
    const a = party('alice');
    const b = party('bob');
    await enrolAtEvery(live, [a, b], packageBytes);

    const run = async (perExecution: number): Promise<{ keysPerSecond: number; p50: number; p99: number; psrdPerKey: number }> => {
      const m = 2 * perExecution;
      const executions = Math.ceil(KEYS / perExecution);
      const before = spent(a) + spent(b);
      const latencies: number[] = [];
      const t = process.hrtime.bigint();
      for (let e = 0; e < executions; e++) {
        const t0 = process.hrtime.bigint();
        const sent = await a.keys.establish({ peers: b.ids, hubs: HUBS, k: K, m });
        const got = await b.keys.fetchAndRecover();
        const mine = got.recovered.find((r) => r.secretId === sent.secretId);
        if (!mine || !Buffer.from(mine.key).equals(Buffer.from(sent.key))) throw new Error(`execution ${e}: B did not recover A's key`);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      const s = Number(process.hrtime.bigint() - t) / 1e9;
      const keys = executions * perExecution;
      return { keysPerSecond: keys / s, p50: pct(latencies, 50), p99: pct(latencies, 99), psrdPerKey: (spent(a) + spent(b) - before) / keys };
    };

    const floor = 2 * N * KEY_BYTES;
    const python = 2 * N * (64 + KEY_BYTES);
    for (const per of BATCHES) {
      const label = per === 1 ? 'unbatched (1 key per execution)' : `batched (${per} keys per execution)`;
      const r = await run(per);
      const baseline = protocolOnly(2 * per, Math.max(5, Math.ceil(200 / per)));
      console.log(`${label}, n = ${N}, k = ${K}, 256-bit keys:`);
      console.log(`  ${r.keysPerSecond.toFixed(0)} keys/s end to end (${((r.keysPerSecond * 256) / 1e6).toFixed(3)} Mbit/s; the DSKE paper's prototype > 50 Mbit/s), per execution p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms`);
      console.log(`  App. A alone in memory: ${baseline.toFixed(0)} keys/s (${((baseline * 256) / 1e6).toFixed(3)} Mbit/s); end to end / protocol ${(r.keysPerSecond / baseline).toFixed(3)}×`);
      console.log(`  PSRD spent per key, both clients: ${r.psrdPerKey.toFixed(0)} B; floor 2·n·K = ${floor} B (${(r.psrdPerKey / floor).toFixed(2)}×); dske-python 2·n·(64+K) = ${python} B (${(r.psrdPerKey / python).toFixed(2)}×)`);
    }
    a.store.close();
    b.store.close();
  } finally {
    for (const l of live) await l.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
