// `dske-station`: the CLI over the same core and the same dispatch as the window (issue S1, part 7).
// Every command but `init` and `--help` signs in first (`--operator NAME`, the passphrase from the
// terminal or a file); the station's roles and two-person rules apply exactly as in the window.
// Exit codes: 0 done; 1 the station refused or failed (the error code is printed); 2 usage error.
import { resolve } from 'node:path';
import { lookupCall } from '../../src-shared/api/contract';
import { StationFailure, fail, type Result } from '../../src-shared/api/result';
import { stationApi } from '../../src-shared/api/station-api';
import { formatBytes } from '../../src-shared/psrd/size';
import { defaultDataDir } from '../station/default-data-dir';
import { openStation, transportContext, type Station } from '../station/station';
import { VERSION } from '../station/version';
import { UsageError, parseArgs, single, type ParsedArgs } from './args';
import type { Command } from './command';
import { commands } from './commands';
import { processTerminal, secrets as makeSecrets, type Terminal } from './secrets';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export const HELP = `dske-station ${VERSION} — the DSKE Local Distributor station

Usage: dske-station [--data-dir DIR] [--json] [--operator NAME [--passphrase-file F]] COMMAND

Commands:
${commands.map((c) => `  ${c.usage.padEnd(46)} ${c.summary}`).join('\n')}

Source SPEC: os | hwrng | file:/path | serial:/dev/ttyACM0[:truerng|truerngpro|onerng] | usb:VID:PID[:SERIAL]

Options:
  --data-dir DIR          the station's data directory (default: $DSKE_STATION_DATA or ~/.local/share/dske-station)
  --operator NAME         who you are; every command but init needs it
  --passphrase-file F     read your passphrase from F (- for standard input); otherwise it is asked for
  --approver NAME         the second operator, for two-person commands (sources ack)
  --approver-passphrase-file F
  --json                  print results as JSON (errors as {"ok":false,"error":{code,message}})
  --help                  this text

Exit status: 0 done, 1 the station refused or failed, 2 usage error.`;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const stdio: CliIo = { out: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l + '\n') };

/** What to do next, where the station's own sentence cannot name a command (the window shows it too). */
const HINTS: Readonly<Record<string, string>> = {
  'no-data-dir': 'Create a station there with `dske-station init --admin NAME`, or give the right --data-dir.',
  'entropy-failed': 'After checking the device, two operators re-enable it with `dske-station sources ack SPEC --approver NAME`.',
};

export interface CliOptions {
  readonly io?: CliIo;
  readonly env?: NodeJS.ProcessEnv;
  readonly terminal?: Terminal;
  /** Aborted on SIGINT/SIGTERM: the running job stops cleanly and records it. */
  readonly signal?: AbortSignal;
}

export async function runCli(argv: readonly string[], opts: CliOptions = {}): Promise<number> {
  const io = opts.io ?? stdio;
  const json = argv.includes('--json');
  const usage = (message: string): number => {
    if (json) io.out(JSON.stringify(fail('usage', message), null, 2));
    else io.err(`${message}\n\nRun dske-station --help for usage.`);
    return EXIT_USAGE;
  };
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    return usage((e as Error).message);
  }
  if (parsed.flags.has('--help')) {
    io.out(HELP);
    return EXIT_OK;
  }
  if (parsed.flags.has('--version')) {
    io.out(VERSION);
    return EXIT_OK;
  }
  if (parsed.command.length === 0) return usage('Name a command.');
  const cmd = commands.find((c) => parsed.command.slice(0, c.words.split(' ').length).join(' ') === c.words && (c.when?.(parsed) ?? true));
  if (!cmd) return usage(`Unknown command "${parsed.command.join(' ')}".`);
  const operands = parsed.command.slice(cmd.words.split(' ').length);
  if (operands.length !== (cmd.operands?.length ?? 0)) return usage(`${cmd.words} takes ${cmd.operands?.length ? cmd.operands.join(' ') : 'no further words'}.`);
  const spec = lookupCall(stationApi, cmd.call)!;
  const secrets = makeSecrets(opts.terminal ?? processTerminal);
  let operator: string | undefined;
  let approver: string | undefined;
  try {
    operator = single(parsed, '--operator');
    approver = single(parsed, '--approver');
  } catch (e) {
    return usage((e as Error).message);
  }
  if (spec.access !== 'public' && !operator) return usage(`${cmd.words} needs --operator NAME: every command is made by a signed-in operator.`);
  if (spec.approval && !approver) return usage(`${cmd.words} needs a second person: --approver NAME (an operator with the ${spec.approval.join(' or ')} role).`);

  let station: Station;
  try {
    const dataDir = resolve(single(parsed, '--data-dir') ?? defaultDataDir(opts.env ?? process.env));
    station = openStation({ dataDir, host: 'cli', mode: cmd.mode === 'write' ? 'open' : cmd.mode });
  } catch (e) {
    return report(io, json, e instanceof StationFailure ? fail(e.code, e.message) : fail('internal', `The station could not open: ${String(e)}`));
  }
  const transport = transportContext('cli', opts.signal);
  try {
    let current: string | undefined;
    let callArgs: Record<string, unknown>;
    try {
      if (operator) {
        current = await secrets.read(single(parsed, '--passphrase-file'), `Passphrase for ${operator}`);
        const signIn = await station.dispatch('operators.signIn', { name: operator, passphrase: current }, transport);
        if (!signIn.ok) return report(io, json, signIn);
      }
      callArgs = await cmd.args(parsed, { station, operands, secrets, current });
      if (approver) callArgs = { ...callArgs, approval: { operator: approver, passphrase: await secrets.read(single(parsed, '--approver-passphrase-file'), `Passphrase for ${approver} (approving)`) } };
    } catch (e) {
      if (e instanceof UsageError) return usage(e.message);
      throw e;
    }
    // Progress of long work on stderr (stdout keeps the result): generation in bytes, other jobs in their own units.
    const unsubscribe = json
      ? undefined
      : cmd.call === 'pool.generate'
        ? station.events.on('pool.progress', (p) => {
            if (p.phase === 'generating') io.err(`  ${formatBytes(p.bytesDone)} / ${formatBytes(p.bytesTotal)}  ${formatBytes(p.bytesPerSecond)}/s  ETA ${p.etaSeconds ?? '?'} s`);
          })
        : !(io === stdio && process.stderr.isTTY)
          ? undefined // other jobs' progress only at a terminal: a script reads the result alone
          : station.events.on('jobs.changed', (j) => {
            if (j.state === 'running' && j.done > 0) io.err(`  ${j.title} (${j.phase}): ${j.unit === 'bytes' ? `${formatBytes(j.done)} / ${formatBytes(j.total)}` : `${j.done} / ${j.total}`}`);
          });
    const result = await station.dispatch(cmd.call, callArgs, transport);
    unsubscribe?.();
    if (result.ok && cmd.after) {
      try {
        cmd.after(result.value as never, parsed);
      } catch {
        return report(io, json, fail('io', 'The result could not be written to the file you named (check the folder and its permissions).'));
      }
    }
    const code = report(io, json, result, cmd);
    return result.ok && cmd.failed?.(result.value as never) ? EXIT_FAILED : code;
  } finally {
    await station.close();
  }
}

function report(io: CliIo, json: boolean, result: Result<unknown>, cmd?: Command): number {
  if (json) io.out(JSON.stringify(result, null, 2));
  else if (result.ok) io.out(cmd ? cmd.show(result.value as never) : JSON.stringify(result.value));
  else io.err(`Error (${result.error.code}): ${result.error.message}${HINTS[result.error.code] ? `\n${HINTS[result.error.code]}` : ''}`);
  return result.ok ? EXIT_OK : EXIT_FAILED;
}
