// One pool generation in its own process, as the station does it (sources → health tests →
// conditioning → encryption at rest → fsync → ledger), reporting its own peak RSS for bench/pool.ts.
import { openStation } from '../src-main/station/station';

const [dataDir, bytesText, ...sources] = process.argv.slice(2);
const station = openStation({ dataDir, host: 'cli' });
const started = process.hrtime.bigint();
const r = await station.handlers.pool.generate({ bytes: Number(bytesText), sources: sources.length ? sources : ['os'] });
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
await station.close();
process.stdout.write(JSON.stringify({ bytes: r.bytes, seconds, maxRssKiB: process.resourceUsage().maxRSS }) + '\n');
