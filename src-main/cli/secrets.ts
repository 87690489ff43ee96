// Passphrases for the CLI: from a file (`--passphrase-file F`, `-` for standard input) for scripts, or
// asked for on the terminal without echo. Never from an argument or the environment, which other
// users can read in the process list.
import { readFileSync } from 'node:fs';
import { UsageError } from './args';

export interface Secrets {
  /** Reads the passphrase named by a file option, or asks on the terminal; `what` says whose it is. */
  read(fileOption: string | undefined, what: string): Promise<string>;
}

export interface Terminal {
  readonly interactive: boolean;
  ask(question: string): Promise<string>;
  stdin(): Promise<string>;
}

function firstLine(text: string): string {
  const line = text.split(/\r?\n/)[0];
  return line;
}

export function secrets(terminal: Terminal): Secrets {
  let stdinUsed = false;
  return {
    async read(file, what) {
      if (file === '-') {
        if (stdinUsed) throw new UsageError('Only one passphrase can come from standard input; give the other in a file.');
        stdinUsed = true;
        return firstLine(await terminal.stdin());
      }
      if (file !== undefined) {
        try {
          return firstLine(readFileSync(file, 'utf8'));
        } catch {
          throw new UsageError(`The passphrase file ${file} cannot be read.`);
        }
      }
      if (!terminal.interactive) throw new UsageError(`${what} is needed: give it with a passphrase file (or - for standard input), or run the command at a terminal.`);
      return terminal.ask(`${what}: `);
    },
  };
}

/** The process's own terminal: a prompt on stderr with echo off. */
export const processTerminal: Terminal = {
  interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
  ask(question) {
    return new Promise((resolve) => {
      process.stderr.write(question);
      const stdin = process.stdin;
      stdin.setRawMode(true);
      stdin.resume();
      let typed = '';
      const onData = (buf: Buffer): void => {
        for (const ch of buf.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.setRawMode(false);
            stdin.pause();
            stdin.off('data', onData);
            process.stderr.write('\n');
            resolve(typed);
            return;
          }
          if (ch === '\u0003') {
            stdin.setRawMode(false);
            process.stderr.write('\n');
            process.exit(130);
          }
          if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
          else typed += ch;
        }
      };
      stdin.on('data', onData);
    });
  },
  stdin() {
    return new Promise((resolve) => {
      const parts: Buffer[] = [];
      process.stdin.on('data', (c: Buffer) => parts.push(c));
      process.stdin.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
      process.stdin.resume();
    });
  },
};
