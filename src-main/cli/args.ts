// Command-line parsing for `dske-station`: global options, a command path, and per-command options.
// Pure, so that every usage error is testable without running anything.
import { resolve } from 'node:path';
export interface ParsedArgs {
  readonly command: string[];
  readonly options: Readonly<Record<string, string[]>>;
  readonly flags: ReadonlySet<string>;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Options that take a value; everything else starting with -- is a flag. */
const VALUED = new Set(['--data-dir', '--bytes', '--source', '--limit', '--port', '--operator', '--passphrase-file', '--approver', '--approver-passphrase-file', '--admin', '--role', '--new-passphrase-file', '--out', '--against', '--client', '--who', '--type', '--segment', '--since', '--until', '--name', '--reason', '--to', '--pin-file', '--profile', '--csv', '--medium', '--document', '--check', '--outcome', '--number-file', '--code', '--package', '--keys-dir', '--server']);
const FLAGS = new Set(['--json', '--help', '-h', '--version', '--resume', '--yes', '--deep', '--open']);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const command: string[] = [];
  const options: Record<string, string[]> = {};
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('-')) {
      const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
      if (VALUED.has(name)) {
        const value = inline ?? argv[++i];
        if (value === undefined || (inline === undefined && value.startsWith('--'))) throw new UsageError(`${name} needs a value.`);
        (options[name] ??= []).push(value);
      } else if (FLAGS.has(name) && inline === undefined) {
        flags.add(name === '-h' ? '--help' : name);
      } else {
        throw new UsageError(`Unknown option ${name}.`);
      }
    } else {
      command.push(a);
    }
  }
  return { command, options, flags };
}

export function single(args: ParsedArgs, name: string): string | undefined {
  const v = args.options[name];
  if (v && v.length > 1) throw new UsageError(`${name} given more than once.`);
  return v?.[0];
}

/** The value of an option the command cannot do without; a usage error naming it otherwise. */
export function required(args: ParsedArgs, name: string, command: string): string {
  const v = single(args, name);
  if (!v) throw new UsageError(`${command} needs ${name}.`);
  return v;
}

/** A file the command writes or reads, as an absolute path (the station's API takes no relative path). */
export function requiredPath(args: ParsedArgs, name: string, command: string): string {
  return resolve(required(args, name, command));
}
