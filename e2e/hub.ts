// A ready hub for the window's specs: the station made by browser-host.ts gets a pool from the built CLI,
// and a real Security Server (the built `dske-server`, on SQLite in a temporary folder, serving on
// loopback) holds a copy of it — registered with the code read aloud, the pool shipped, the shipment
// imported there and its acknowledgement imported here — the path a hub takes, so that the pool is
// allocatable. Use it as `startBuiltHost(prepare, { afterInit: (dir) => readyHub(dir, …) })`: it runs
// before the browser host opens the station (which then holds its lock).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPERATOR, SECOND, passphraseOf } from './browser-host';
import { makeSecurityServer } from './security-server';

export interface RunningHub {
  /** http://127.0.0.1:PORT of the Security Server. */
  readonly url: string;
  readonly serverDir: string;
  /** The Security Server's own command line (`dske-server … --data DIR`), for checks. */
  server(...args: string[]): string;
  stop(): Promise<void>;
}

function run(what: string, args: string[]): string {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${what} ${args.slice(1).join(' ')} failed (${r.status}): ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/**
 * Generates `poolBytes` of PSRD at the station in `dataDir` (hub operator Otto Operator, the OS source),
 * starts a Security Server holding a copy of it and serving on loopback, and writes its address into
 * station.json (`sync.serverUrl`). The station must not be open elsewhere.
 */
export async function readyHub(dataDir: string, opts: { poolBytes: string; hub?: string }): Promise<RunningHub> {
  const server = makeSecurityServer(opts.hub);
  const work = server.work;
  const pass = (name: string): string => {
    const f = join(work, `${name.replace(/\W/g, '_')}.pass`);
    writeFileSync(f, passphraseOf(name), { mode: 0o600 });
    return f;
  };
  const asOperator = ['--operator', OPERATOR, '--passphrase-file', pass(OPERATOR)];
  const approved = ['--approver', SECOND, '--approver-passphrase-file', pass(SECOND)];
  const station = (...args: string[]): string => run('dske-station', ['out/main/cli.js', '--data-dir', dataDir, ...args]);
  try {
    station(...asOperator, 'pool', 'generate', '--bytes', opts.poolBytes, '--source', 'os');
    const reg = JSON.parse(station(...asOperator, ...approved, '--json', 'sync', 'register', '--out', join(work, 'station.dskereg'))) as { ok: boolean; value: { confirmationCode: string } };
    server.cli('register', join(work, 'station.dskereg'), '--code', reg.value.confirmationCode);
    station(...asOperator, ...approved, 'sync', 'ship', '--out', join(work, 'pool.dskeshp'));
    server.cli('import-shipment', join(work, 'pool.dskeshp'), '--ack-out', join(work, 'pool.dskeack'));
    station(...asOperator, 'sync', 'import', join(work, 'pool.dskeack'));
    rmSync(join(work, 'pool.dskeshp'), { force: true });
    const url = await server.serve();
    const settingsFile = join(dataDir, 'station.json');
    const settings = existsSync(settingsFile) ? (JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>) : {};
    writeFileSync(settingsFile, JSON.stringify({ ...settings, sync: { serverUrl: url } }));
    return { url, serverDir: server.dataDir, server: server.cli, stop: server.stop };
  } catch (e) {
    await server.stop();
    throw e;
  }
}
