// The ledger's files: the active one (<data-dir>/ledger.jsonl), where entries are appended, and the
// sealed ones before it (ledger-000001.jsonl, ledger-000002.jsonl, …), read-only, each closed when the
// active file reached the roll size — so that no file grows without bound and old ones can be archived
// as they are. Read together they are one stream of lines: a position counts from the first byte of
// the first file. A sealed file missing, shortened or out of order breaks the chain where it joins.
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readdirSync, readSync, renameSync, writeSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import { StationFailure } from '../../src-shared/api/result';
import { fsyncDir } from '../atomic-file';

export const LEDGER_FILE = 'ledger.jsonl';
const SEALED = /^ledger-(\d{6})\.jsonl$/;
const sealedName = (n: number): string => `ledger-${String(n).padStart(6, '0')}.jsonl`;

/** A source of bytes by position (a file, or the ledger's files read as one). */
export interface ByteSource {
  read(buffer: Uint8Array, offset: number, length: number, position: number): number;
}

export const fileSource = (fd: number): ByteSource => ({ read: (b, o, l, p) => readSync(fd, b, o, l, p) });

export interface Part {
  readonly path: string;
  readonly fd: number;
  /** Where this file starts in the stream, and its length. */
  readonly base: number;
  size: number;
}

/**
 * Reads from the file that holds `position` (never across two: the caller reads on). Self-contained,
 * like chain.ts's scanLinesWith: it runs in the verification worker too.
 */
export function readAcross(
  io: { readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number },
  parts: readonly { fd: number; base: number; size: number }[],
  buffer: Uint8Array,
  offset: number,
  length: number,
  position: number,
): number {
  for (const p of parts) {
    if (position >= p.base && position < p.base + p.size) return io.readSync(p.fd, buffer, offset, Math.min(length, p.base + p.size - position), position - p.base);
  }
  return 0;
}

export class LedgerFiles implements ByteSource {
  private constructor(
    private readonly dir: string,
    private readonly parts: Part[],
    private readonly readOnly: boolean,
  ) {}

  /** Whether any ledger file is in dir. */
  static exists(dir: string): boolean {
    if (existsSync(join(dir, LEDGER_FILE))) return true;
    try {
      return readdirSync(dir).some((f) => SEALED.test(f));
    } catch {
      return false;
    }
  }

  /** Opens the sealed files in order and the active one (made empty when missing and not read-only). */
  static open(dir: string, opts: { readOnly?: boolean } = {}): LedgerFiles {
    const sealed = readdirSync(dir)
      .map((f) => SEALED.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    sealed.forEach((n, i) => {
      if (n !== i + 1) throw new StationFailure('ledger-corrupt', `The ledger failed verification: its file ${sealedName(i + 1)} is missing (the station sealed ${sealed.at(-1)} files); restore it from a backup.`);
    });
    const parts: Part[] = [];
    let base = 0;
    try {
      for (const n of sealed) {
        const path = join(dir, sealedName(n));
        const fd = openSync(path, 'r');
        const size = fstatSync(fd).size;
        parts.push({ path, fd, base, size });
        base += size;
      }
      const active = join(dir, LEDGER_FILE);
      if (!existsSync(active) && opts.readOnly) {
        parts.push({ path: active, fd: -1, base, size: 0 });
      } else {
        const fd = openSync(active, opts.readOnly ? 'r' : existsSync(active) ? 'r+' : 'a+', 0o600);
        parts.push({ path: active, fd, base, size: fstatSync(fd).size });
      }
    } catch (e) {
      for (const p of parts) if (p.fd >= 0) closeSync(p.fd);
      throw e;
    }
    return new LedgerFiles(dir, parts, opts.readOnly === true);
  }

  private get active(): Part {
    return this.parts[this.parts.length - 1];
  }

  get size(): number {
    return this.active.base + this.active.size;
  }

  read(buffer: Uint8Array, offset: number, length: number, position: number): number {
    return readAcross({ readSync }, this.parts, buffer, offset, length, position);
  }

  /** Every file and its length, in order (for the verification worker). */
  files(): { path: string; size: number }[] {
    return this.parts.filter((p) => p.size > 0).map((p) => ({ path: p.path, size: p.size }));
  }

  /** Writes `line` at the end of the active file and makes it durable; on failure nothing stays written (or it throws `broken`). */
  append(line: Buffer): void {
    const a = this.active;
    let off = 0;
    while (off < line.length) off += writeSync(a.fd, line, off, line.length - off, a.size + off);
    fsyncSync(a.fd);
    a.size += line.length;
  }

  /** Cuts the stream back to `size` (within the active file: a torn line or a write that failed). */
  truncate(size: number): void {
    const a = this.active;
    if (size < a.base) throw new StationFailure('ledger-corrupt', 'The ledger cannot be cut back into a sealed file.');
    ftruncateSync(a.fd, size - a.base);
    fsyncSync(a.fd);
    a.size = size - a.base;
  }

  /** Seals the active file once it holds `rollBytes` or more, and starts an empty one. A failure leaves the active file as it was. */
  rollIfFull(rollBytes: number): void {
    const a = this.active;
    if (this.readOnly || a.size < rollBytes) return;
    const sealedPath = join(this.dir, sealedName(this.parts.length));
    renameSync(a.path, sealedPath);
    fsyncDir(this.dir);
    closeSync(a.fd);
    this.parts[this.parts.length - 1] = { path: sealedPath, fd: openSync(sealedPath, 'r'), base: a.base, size: a.size };
    const fd = openSync(join(this.dir, LEDGER_FILE), 'a+', 0o600);
    fsyncSync(fd);
    fsyncDir(this.dir);
    this.parts.push({ path: join(this.dir, LEDGER_FILE), fd, base: a.base + a.size, size: 0 });
  }

  close(): void {
    for (const p of this.parts) if (p.fd >= 0) closeSync(p.fd);
  }
}
