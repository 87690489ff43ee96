// `dske-station`: the CLI over the same core and the same dispatch as the window (issue S1, part 7).
// Exit codes: 0 done; 1 the station refused or failed (the error code is printed); 2 usage error.
import { resolve } from 'node:path';
import { StationFailure, type Result } from '../../src-shared/api/result';
import type { SourceTestReport } from '../../src-shared/api/types';
import { formatBytes, parseSize } from '../../src-shared/psrd/size';
import { defaultDataDir } from '../station/default-data-dir';
import { openStation, type Station } from '../station/station';
import { VERSION } from '../station/version';
import { createDispatch } from '../transport/dispatch';
import { UsageError, parseArgs, single, type ParsedArgs } from './args';
import * as fmt from './format';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export const HELP = `dske-station ${VERSION} — the DSKE Local Distributor station

Usage: dske-station [--data-dir DIR] [--json] COMMAND

Commands:
  pool status                         how much unallocated PSRD the pool holds
  pool generate --bytes SIZE [--source SPEC ...]
                                      generate PSRD into the pool (SIZE like 64MiB, 4GiB)
  pool generate --resume              finish a generation that stopped early
  pool destroy-expired                crypto-erase unallocated segments past their refresh age
  pool refresh                        destroy-expired, then generate as much again from the configured sources
  sources list                        entropy sources present and configured, and their health
  sources test SPEC                   run one source through its SP 800-90B health tests (nothing is kept)
  sources ack SPEC --operator NAME    re-enable a source latched FAILED, after checking the device
  ledger show [--limit N]             the newest ledger entries
  ledger verify                       check the ledger's hash chain end to end

Source SPEC: os | hwrng | file:/path | serial:/dev/ttyACM0[:truerng|truerngpro|onerng] | usb:VID:PID[:SERIAL]

Options:
  --data-dir DIR   the station's data directory (default: $DSKE_STATION_DATA or ~/.local/share/dske-station)
  --json           print results as JSON (errors as {"ok":false,"error":{code,message}})
  --help           this text

Exit status: 0 done, 1 the station refused or failed, 2 usage error.`;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const stdio: CliIo = { out: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l + '\n') };

interface Command {
  readonly call: string;
  /** Positional arguments after the command words, by name (all required). */
  readonly operands?: readonly string[];
  args(a: ParsedArgs, station: Station, operands: readonly string[]): Record<string, unknown>;
  show(value: never): string;
  /** A result that is a finding rather than a refusal (a source failing its test) still exits 1. */
  failed?(value: never): boolean;
}

const commands: Readonly<Record<string, Command>> = {
  'pool status': { call: 'pool.status', args: () => ({}), show: fmt.poolStatus },
  'pool generate': {
    call: 'pool.generate',
    args: (a, station) => {
      const sources = a.options['--source'];
      if (a.flags.has('--resume')) {
        const job = station.pool.state.resumable();
        if (!job) throw new UsageError('There is no interrupted generation to resume.');
        return { bytes: job.bytes - job.bytesDone, ...(sources ? { sources } : job.sources.length ? { sources: [...job.sources] } : {}), resumes: job.job };
      }
      const text = single(a, '--bytes');
      if (!text) throw new UsageError('pool generate needs --bytes SIZE (for example --bytes 4GiB).');
      const bytes = parseSize(text);
      if (bytes === null) throw new UsageError(`--bytes ${text} is not a size (write e.g. 1048576, 64MiB or 4GiB).`);
      return { bytes, ...(sources ? { sources } : {}) };
    },
    show: fmt.generated,
  },
  'pool destroy-expired': { call: 'pool.destroyExpired', args: () => ({}), show: fmt.destroyed },
  'pool refresh': { call: 'pool.refresh', args: () => ({}), show: fmt.refreshed },
  'sources list': { call: 'devices.listSources', args: () => ({}), show: fmt.sources },
  'sources test': { call: 'devices.testSource', operands: ['SPEC'], args: (_a, _s, [spec]) => ({ spec }), show: fmt.sourceTest, failed: (r: SourceTestReport) => !r.passed },
  'sources ack': {
    call: 'devices.acknowledgeSource',
    operands: ['SPEC'],
    args: (a, _s, [spec]) => {
      const operator = single(a, '--operator');
      if (!operator) throw new UsageError('sources ack needs --operator NAME: the ledger records who re-enabled the source.');
      return { spec, operator };
    },
    show: () => 'Acknowledged: the source is enabled again and repeats its start-up test on its next use.',
  },
  'ledger show': {
    call: 'audit.ledger',
    args: (a) => {
      const limit = single(a, '--limit');
      if (limit !== undefined && !/^\d+$/.test(limit)) throw new UsageError('--limit takes a whole number.');
      return limit ? { limit: Number(limit) } : {};
    },
    show: fmt.ledgerEntries,
  },
  'ledger verify': { call: 'audit.verify', args: () => ({}), show: fmt.verification },
};

export async function runCli(argv: readonly string[], io: CliIo = stdio, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    io.err(`${(e as Error).message}\n\nRun dske-station --help for usage.`);
    return EXIT_USAGE;
  }
  const json = parsed.flags.has('--json');
  if (parsed.flags.has('--help') || parsed.command.length === 0) {
    io.out(HELP);
    return parsed.command.length === 0 && !parsed.flags.has('--help') ? EXIT_USAGE : EXIT_OK;
  }
  if (parsed.flags.has('--version')) {
    io.out(VERSION);
    return EXIT_OK;
  }
  const name = parsed.command.slice(0, 2).join(' ');
  const cmd = commands[name];
  const operands = parsed.command.slice(2);
  if (!cmd) {
    io.err(`Unknown command "${parsed.command.join(' ')}".\n\nRun dske-station --help for usage.`);
    return EXIT_USAGE;
  }
  if (operands.length !== (cmd.operands?.length ?? 0)) {
    io.err(`${name} takes ${cmd.operands?.length ? cmd.operands.join(' ') : 'no further words'}.\n\nRun dske-station --help for usage.`);
    return EXIT_USAGE;
  }
  let station: Station;
  try {
    station = openStation({ dataDir: resolve(single(parsed, '--data-dir') ?? defaultDataDir(env)), host: 'cli' });
  } catch (e) {
    return report(io, json, e instanceof StationFailure ? { ok: false, error: { code: e.code, message: e.message } } : { ok: false, error: { code: 'internal', message: String(e) } });
  }
  try {
    let callArgs: Record<string, unknown>;
    try {
      callArgs = cmd.args(parsed, station, operands);
    } catch (e) {
      io.err(`${(e as Error).message}\n\nRun dske-station --help for usage.`);
      return EXIT_USAGE;
    }
    if (!json && cmd.call === 'pool.generate') {
      station.events.on('pool.progress', (p) => {
        if (p.phase === 'generating') io.err(`  ${formatBytes(p.bytesDone)} / ${formatBytes(p.bytesTotal)}  ${formatBytes(p.bytesPerSecond)}/s  ETA ${p.etaSeconds ?? '?'} s`);
      });
    }
    const result = await createDispatch(station.handlers)(cmd.call, callArgs);
    const code = report(io, json, result, cmd.show as (v: unknown) => string);
    return result.ok && cmd.failed?.(result.value as never) ? EXIT_FAILED : code;
  } finally {
    await station.close();
  }
}

function report(io: CliIo, json: boolean, result: Result<unknown>, show?: (v: unknown) => string): number {
  if (json) io.out(JSON.stringify(result, null, 2));
  else if (result.ok) io.out(show ? show(result.value) : JSON.stringify(result.value));
  else io.err(`Error (${result.error.code}): ${result.error.message}`);
  return result.ok ? EXIT_OK : EXIT_FAILED;
}
