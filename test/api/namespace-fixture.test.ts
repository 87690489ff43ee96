// Issue S4: "A namespace added in a test fixture needs only its folder and the registration lines."
// A copy of the source tree gets a fixture namespace `notes` (its contract file, its handlers folder,
// its CLI file) and the registration lines, inserted next to the `jobs` namespace's. The test lists
// every file it touched and what changed in each registry, then type-checks the copy and runs the
// real CLI in it: `notes add` is limited to the operator role and records who added the note.
//
// What a new namespace costs today (asserted below, in REGISTRATION):
//   src-shared/api/station-api.ts   5 added lines (the import, the `stationApi` entry, and its line
//                                   in `errorCodes`, `StationEvents` and `eventNames`)
//   src-main/station/handlers.ts    2 added lines (the import, the entry)
//   src-main/cli/commands/index.ts  2 added lines (the import, the spread)
//   src-shared/ledger/catalogue.ts  1 added line (the shape of the ledger entry it records)
//   src-shared/ledger/entry-words.ts 1 added line (that entry in plain words, for the ledger browser)
// Nothing else: not the renderer, the preload, the browser host, args.ts (the fixture's CLI takes an
// operand, not a new --option: an option would also need a line in src-main/cli/args.ts's VALUED).
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passphraseFiles, PEOPLE } from '../support/station';

const PROJECT = fileURLToPath(new URL('../..', import.meta.url));
const COPIED = ['src-shared', 'src-node', 'src-main', 'src-server', 'hardware', 'test/support', 'tsconfig.base.json', 'tsconfig.node.json', 'package.json'];

// The namespace's own files: all new, none of them a registry. (Inline rather than under
// test/fixtures/, where the project's own type-check and lint would read them out of place.)
const NOTES_CONTRACT = `// Fixture namespace \`notes\` (test/api/namespace-fixture.test.ts): short notes kept in the ledger.
import { call, returns } from './contract';
import { object, text } from './validate';

export interface NoteAdded {
  readonly seq: number;
  readonly text: string;
  readonly by: string;
}

export const notesCalls = {
  add: call({ args: object({ text: text({ maxLength: 200 }) }), result: returns<NoteAdded>(), access: ['operator'] }),
  count: call({ args: object({}), result: returns<{ count: number }>(), access: 'signed-in' }),
} as const;

export const notesErrors = {
  'note-empty': 'A note needs some text.',
} as const;

export interface NotesEvents {
  'notes.added': NoteAdded;
}
export const notesEventNames = ['notes.added'] as const;
`;

const NOTES_HANDLERS = `// Fixture namespace \`notes\`: a note is a ledger entry, recorded with the actor from the call context.
import type { Handlers } from '../../../src-shared/api/dispatch';
import type { NoteAdded, notesCalls } from '../../../src-shared/api/notes';
import { StationFailure } from '../../../src-shared/api/result';
import { actorOf, type Core } from '../core';
import type { Operator } from '../operators/gate';

export function notesHandlers(core: Core): Handlers<{ notes: typeof notesCalls }, Operator>['notes'] {
  return {
    add: async ({ text }, ctx) => {
      if (text.trim() === '') throw new StationFailure('note-empty', 'A note needs some text.');
      const entry = core.ledger.append('note.added', { text, actor: actorOf(ctx) }, core.now);
      const added: NoteAdded = { seq: entry.seq, text, by: ctx.operator?.name ?? '' };
      core.events.emit('notes.added', added);
      return added;
    },
    count: async () => ({ count: core.ledger.entries().filter((e) => e.type === 'note.added').length }),
  };
}
`;

const NOTES_CLI = `// \`dske-station notes …\`: fixture namespace \`notes\`.
import type { NoteAdded } from '../../../src-shared/api/notes';
import { noArgs, type Command } from '../command';

export const notesCommands: readonly Command[] = [
  { words: 'notes add', usage: 'notes add TEXT', summary: 'record a note in the ledger', call: 'notes.add', mode: 'write', operands: ['TEXT'], args: (_a, { operands: [text] }) => ({ text }), show: (n: NoteAdded) => 'Note added by ' + n.by + ' (ledger entry ' + n.seq + ').' },
  { words: 'notes count', usage: 'notes count', summary: 'how many notes the ledger holds', call: 'notes.count', mode: 'read', args: noArgs, show: (c: { count: number }) => 'Notes: ' + c.count + '.' },
];
`;

const NEW_FILES: Readonly<Record<string, string>> = {
  'src-shared/api/notes.ts': NOTES_CONTRACT,
  'src-main/station/notes/handlers.ts': NOTES_HANDLERS,
  'src-main/cli/commands/notes.ts': NOTES_CLI,
};

/** Per registry file: lines added, existing lines extended in place (text inserted, nothing removed), lines removed. */
const REGISTRATION = {
  'src-shared/api/station-api.ts': { added: 5, extended: 0, removed: 0 },
  'src-main/station/handlers.ts': { added: 2, extended: 0, removed: 0 },
  'src-main/cli/commands/index.ts': { added: 2, extended: 0, removed: 0 },
  'src-shared/ledger/catalogue.ts': { added: 1, extended: 0, removed: 0 },
  'src-shared/ledger/entry-words.ts': { added: 1, extended: 0, removed: 0 },
} as const;

let root: string;
let copy: string;
let dataDir: string;
let pass: Record<string, string>;
const touched = new Set<string>();
const before = new Map<string, string>();
let after = new Map<string, string>();

/** Every file in the copy (node_modules is a symlink to the project's and is not walked), by relative path. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.set(relative(dir, p), readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

function writeNew(rel: string, content: string): void {
  mkdirSync(dirname(join(copy, rel)), { recursive: true });
  writeFileSync(join(copy, rel), content, { flag: 'wx' });
  touched.add(rel);
}

/** The one line of `rel` that contains `anchor`; fails clearly when the registry no longer has it. */
function anchorLine(lines: readonly string[], rel: string, anchor: string): number {
  const at = lines.flatMap((l, i) => (l.includes(anchor) ? [i] : []));
  if (at.length !== 1) throw new Error(`${rel}: the anchor "${anchor}" is on ${at.length} lines, not 1; the registry changed shape, so update this fixture's insertions.`);
  return at[0];
}

function edit(rel: string, change: (lines: string[]) => void): void {
  const file = join(copy, rel);
  const lines = readFileSync(file, 'utf8').split('\n');
  change(lines);
  writeFileSync(file, lines.join('\n'));
  touched.add(rel);
}

/** Adds `line` after the line holding `anchor`, with that line's indentation. */
const addLineAfter = (rel: string, anchor: string, line: string): void =>
  edit(rel, (lines) => {
    const i = anchorLine(lines, rel, anchor);
    lines.splice(i + 1, 0, (/^\s*/.exec(lines[i])?.[0] ?? '') + line);
  });

/** True when `to` is `from` with text inserted at one place and nothing else changed. */
function isExtension(from: string, to: string): boolean {
  if (to.length <= from.length) return false;
  let p = 0;
  while (p < from.length && from[p] === to[p]) p++;
  let s = 0;
  while (s < from.length - p && from[from.length - 1 - s] === to[to.length - 1 - s]) s++;
  return p + s === from.length;
}

/** A line diff (longest common subsequence): added lines, lines extended in place, and lines removed or rewritten. */
function lineChanges(a0: string, b0: string): { added: string[]; extended: string[]; removed: string[] } {
  const a = a0.split('\n');
  const b = b0.split('\n');
  const L = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) L[i][j] = a[i] === b[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
  const out = { added: [] as string[], extended: [] as string[], removed: [] as string[] };
  let gone: string[] = [];
  let came: string[] = [];
  const flush = (): void => {
    let k = 0;
    for (const line of came) {
      if (k < gone.length && isExtension(gone[k], line)) {
        out.extended.push(line);
        k++;
      } else out.added.push(line);
    }
    out.removed.push(...gone.slice(k));
    gone = [];
    came = [];
  };
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      flush();
      i++;
      j++;
    } else if (j < b.length && (i >= a.length || L[i][j + 1] >= L[i + 1][j])) came.push(b[j++]);
    else gone.push(a[i++]);
  }
  flush();
  return out;
}

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

function run(cmd: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: copy, env: { ...process.env, NO_COLOR: '1' }, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, out: stdout, err: stderr });
    });
  });
}

/** The copy's CLI from its sources, as `name` when given (every command but init signs in). */
const cli = (name: string | undefined, ...argv: string[]): Promise<Run> =>
  run(process.execPath, ['--import', 'tsx', 'src-main/cli/main.ts', '--data-dir', dataDir, ...(name ? ['--operator', name, '--passphrase-file', pass[name]] : []), ...argv]);

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'dske-namespace-'));
  copy = join(root, 'project');
  dataDir = join(root, 'station');
  pass = passphraseFiles(mkdtempSync(join(root, 'pass-')));
  for (const p of COPIED) cpSync(join(PROJECT, p), join(copy, p), { recursive: true });
  for (const [rel, content] of snapshot(copy)) before.set(rel, content);
  symlinkSync(join(PROJECT, 'node_modules'), join(copy, 'node_modules'), 'dir');

  for (const [rel, content] of Object.entries(NEW_FILES)) writeNew(rel, content);

  const api = 'src-shared/api/station-api.ts';
  addLineAfter(api, "from './jobs';", "import { notesCalls, notesErrors, notesEventNames, type NotesEvents } from './notes';");
  addLineAfter(api, 'jobs: jobsCalls,', 'notes: notesCalls,');
  addLineAfter(api, '...jobsErrors,', '...notesErrors,');
  addLineAfter(api, 'JobsEvents &', 'NotesEvents &');
  addLineAfter(api, '...jobsEventNames,', '...notesEventNames,');

  const handlers = 'src-main/station/handlers.ts';
  addLineAfter(handlers, "from './jobs/handlers';", "import { notesHandlers } from './notes/handlers';");
  addLineAfter(handlers, 'jobs: jobsHandlers(core),', 'notes: notesHandlers(core),');

  // The entry type it records, in the ledger's catalogue (one line).
  addLineAfter('src-shared/ledger/catalogue.ts', "'job.interrupted':", "'note.added': entry(1, object({ text: text({ maxLength: 200 }), actor })),");
  // And in plain words, for the ledger browser (one line; the compiler asks for it).
  addLineAfter('src-shared/ledger/entry-words.ts', "'job.interrupted':", "'note.added': (d) => `A note was added: ${d.text}.`,");
  const commands = 'src-main/cli/commands/index.ts';
  addLineAfter(commands, "from './jobs';", "import { notesCommands } from './notes';");
  addLineAfter(commands, '...jobsCommands,', '...notesCommands,');

  after = snapshot(copy);
});

afterAll(() => {
  if (!root) return;
  try {
    unlinkSync(join(copy, 'node_modules')); // the link only, never the project's modules
  } catch {
    // not made
  }
  rmSync(root, { recursive: true, force: true });
});

describe('a namespace added in a fixture (issue S4)', { timeout: 120_000 }, () => {
  it('needs only its own files and the registration lines', () => {
    const changed = [...after.keys()].filter((rel) => before.get(rel) !== after.get(rel));
    const removed = [...before.keys()].filter((rel) => !after.has(rel));
    const expected = [...Object.keys(NEW_FILES), ...Object.keys(REGISTRATION)].sort();
    expect(removed).toEqual([]);
    expect([...touched].sort()).toEqual(expected);
    expect(changed.sort()).toEqual(expected);

    const counts: Record<string, { added: number; extended: number; removed: number }> = {};
    for (const rel of Object.keys(REGISTRATION)) {
      const d = lineChanges(before.get(rel)!, after.get(rel)!);
      expect(d.removed, `${rel}: no existing line is removed or rewritten`).toEqual([]);
      expect(d.added.every((l) => l.includes('notes') || l.includes('Notes') || l.includes('note.')), `${rel}: every added line registers notes or its entry type: ${d.added.join(' | ')}`).toBe(true);
      counts[rel] = { added: d.added.length, extended: d.extended.length, removed: d.removed.length };
    }
    expect(counts).toEqual(REGISTRATION);
  });

  // The copy's own tsconfig.node.json, unchanged: its include globs for folders not copied (test/**
  // beyond test/support, bench, e2e, scripts, *.config.ts) match nothing, so it checks exactly the
  // copied tree. The registries are typed over every namespace, so a missing handler or error code fails here.
  it('type-checks', async () => {
    const r = await run('npx', ['tsc', '-p', 'tsconfig.node.json', '--noEmit']);
    expect(r.out + r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it('works from the CLI with the roles its contract states', async () => {
    const admin = PEOPLE.admin.name;
    const operator = PEOPLE.operator.name;
    const desk = PEOPLE.desk.name;
    const ok = (r: Run): Run => {
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      return r;
    };
    ok(await cli(undefined, 'init', '--admin', admin, '--passphrase-file', pass[admin]));
    ok(await cli(admin, 'operators', 'add', operator, '--role', 'operator', '--new-passphrase-file', pass[operator]));
    ok(await cli(admin, 'operators', 'add', desk, '--role', 'desk', '--new-passphrase-file', pass[desk]));

    expect(ok(await cli(operator, 'notes', 'add', 'hello')).out).toMatch(new RegExp(`^Note added by ${operator} \\(ledger entry \\d+\\)\\.\\n$`));
    expect(ok(await cli(operator, 'notes', 'count')).out).toBe('Notes: 1.\n');

    const refused = await cli(desk, 'notes', 'add', 'hello');
    expect(refused.code).toBe(1);
    expect(refused.out).toBe('');
    expect(refused.err).toContain('Error (not-permitted)');
    const refusedJson = await cli(desk, '--json', 'notes', 'add', 'hello');
    expect(refusedJson.code).toBe(1);
    expect(JSON.parse(refusedJson.out)).toMatchObject({ ok: false, error: { code: 'not-permitted' } });

    // The namespace's own error code travels like any other; the desk may read (access 'signed-in').
    const empty = await cli(operator, 'notes', 'add', ' ');
    expect(empty.code).toBe(1);
    expect(empty.err).toContain('Error (note-empty): A note needs some text.');
    expect(ok(await cli(desk, 'notes', 'count')).out).toBe('Notes: 1.\n');

    const ledger = JSON.parse(ok(await cli(operator, '--json', 'ledger', 'show')).out) as { ok: boolean; value: { type: string; data: unknown }[] };
    expect(ledger.value.filter((e) => e.type === 'note.added').map((e) => e.data)).toEqual([{ text: 'hello', actor: { host: 'cli', operator } }]);
  });
});
