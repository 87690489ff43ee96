// `dske-server`: the reference Security Server's command line (issue S8). Every refusal prints its reason
// in plain words and exits 1; a usage error exits 2.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ioReason } from '../src-node/io-reason';
import { sql } from 'kysely';
import { parseArgs } from 'node:util';
import { writeNewFile } from '../src-node/new-file';
import { verifyAudit } from './audit-log';
import { loadConfig, type ServerConfig } from './config';
import { initServer, openServer, type ServerCore } from './core';
import { ServerFailure } from './errors';
import { clientList, serverStatus } from './holdings';
import { buildApp } from './http/app';
import { registerStation } from './registration';
import { applyReportBatch } from './reports';
import { importShipment } from './shipments';
import { tokenSource } from './shipment-sources';

const USAGE = `dske-server: the reference DSKE Security Server

  dske-server init --hub HUB [--database-url postgres://…] [--port N]   make a new server in the data directory
  dske-server serve [--port N] [--host ADDR]        run the HTTP service (loopback by default)
  dske-server status [--json]                       stations, shipments, clients, sync positions
  dske-server register FILE --code NNNNNNNN         accept a station's registration file (code read aloud at the station)
  dske-server import-shipment FILE --ack-out FILE   import a bulk shipment; write its acknowledgement for the station
  dske-server import-shipment hsm:LABEL --shipment ID --pin-file F --ack-out FILE [--module LIB]
                                                    the same, from the HSM token the station wrote it to
  dske-server import-reports FILE --ack-out FILE    apply a report batch from an air-gapped station; write the acknowledgement
  dske-server clients [--json]                      the clients and the PSRD held for each
  dske-server verify                                check the audit log's hash chain end to end
  dske-server vacuum                                reclaim the pages of deleted rows (PostgreSQL keeps them until then)

Global: --data DIR (or DSKE_SERVER_DATA; default ./dske-server-data). PostgreSQL: DSKE_SERVER_DATABASE_URL.
`;

class UsageError extends Error {}

const COMMANDS = ['init', 'serve', 'status', 'register', 'import-shipment', 'import-reports', 'clients', 'verify', 'vacuum'];

function need(value: string | undefined, what: string): string {
  if (!value) throw new UsageError(`${what} is missing.`);
  return value;
}

async function withCore<T>(config: ServerConfig, work: (core: ServerCore) => Promise<T>): Promise<T> {
  const core = await openServer(config);
  try {
    return await work(core);
  } finally {
    await core.close();
  }
}

/** A file the operator named, or a sentence saying why it cannot be read (a mistyped path is not a crash). */
function readInput(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new ServerFailure('io', `${what} ${file} cannot be read (${ioReason(e)}).`);
  }
}

/** The PIN from its file (its first line), never from the command line where ps would show it. */
function readPin(file: string): string {
  return readInput(file, 'The PIN file').toString('utf8').split('\n')[0];
}

/**
 * Where the acknowledgement goes, checked before anything is imported or applied: a new file in a folder
 * that exists. (The import is idempotent, but the operator should not learn of a bad path after it.)
 */
function ackTarget(path: string): string {
  const full = resolve(path);
  if (existsSync(full)) throw new ServerFailure('io', `${full} exists already; an acknowledgement is never written over a file. Name a new file.`);
  if (!existsSync(dirname(full))) throw new ServerFailure('io', `The folder ${dirname(full)} does not exist; nothing was imported.`);
  return full;
}

function writeAck(path: string, ack: Uint8Array): void {
  try {
    writeNewFile(path, ack);
  } catch (e) {
    throw new ServerFailure('io', `The acknowledgement could not be written to ${path}: ${(e as Error).message} Run the same import again to write it elsewhere (it changes nothing twice).`);
  }
}

const mib = (n: number): string => `${(n / 2 ** 20).toFixed(2)} MiB`;

export interface ServerCliIo {
  out(s: string): void;
  err(s: string): void;
}

const processIo: ServerCliIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

export async function runServerCli(argv: readonly string[], io: ServerCliIo = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const out = io.out;
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        data: { type: 'string' }, hub: { type: 'string' }, 'database-url': { type: 'string' }, port: { type: 'string' }, host: { type: 'string' },
        code: { type: 'string' }, 'ack-out': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
        shipment: { type: 'string' }, 'pin-file': { type: 'string' }, module: { type: 'string' },
      },
    });
  } catch (e) {
    io.err(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values: o, positionals } = parsed;
  const [command, arg] = positionals;
  if (o.help || !command) {
    out(USAGE);
    return command || o.help ? 0 : 2;
  }
  if (!COMMANDS.includes(command)) {
    io.err(`Unknown command: ${command}.\n\n${USAGE}`);
    return 2;
  }
  try {
    const port = o.port === undefined ? undefined : Number(o.port);
    const config = loadConfig(env, { dataDir: o.data, hub: o.hub, databaseUrl: o['database-url'], port, host: o.host });
    switch (command) {
      case 'init': {
        await initServer(config);
        out(`A Security Server for hub ${config.hub} is ready in ${config.dataDir} (${config.database.kind === 'postgres' ? 'PostgreSQL' : 'SQLite'}). Keep ${config.masterKeyPath} safe: without it, none of the PSRD held here can be read.\n`);
        return 0;
      }
      case 'serve': {
        const core = await openServer(config);
        const app = buildApp(core);
        const address = await app.listen({ host: config.host, port: config.port });
        out(`Security Server for hub ${config.hub} listening on ${address}\n`);
        const stop = (): void => {
          void app.close().then(() => core.close()).then(() => process.exit(0));
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        return await new Promise<number>(() => undefined);
      }
      case 'status':
        return await withCore(config, async (core) => {
          const s = await serverStatus(core);
          if (o.json) out(JSON.stringify(s, null, 2) + '\n');
          else {
            out(`Hub ${s.hub} (${s.database}); ${s.stations.length} station(s); clients ${s.clients.active} active, ${s.clients.revoked} revoked; ${mib(s.clientBytes)} in clients' tables; audit log ${s.auditEntries} entries.\n`);
            for (const st of s.stations) out(`  station ${st.station.slice(0, 16)}…  in sync up to #${st.appliedUpTo}; ${st.shipmentsHeld} shipment(s) held; pool ${mib(st.poolBytes)}; ledger witnessed at ${st.witnessedTreeSize ?? 'none yet'}\n`);
          }
          return 0;
        });
      case 'register':
        return await withCore(config, async (core) => {
          const r = await registerStation(core, readInput(need(arg, 'The registration file'), 'The registration file'), need(o.code, '--code (the 8 digits read aloud at the station)'));
          out(r.added ? `Station ${r.station} registered for hub ${r.hub}; confirmation code ${r.confirmationCode} matches.\n` : `Station ${r.station} was registered already with these keys; nothing changed.\n`);
          return 0;
        });
      case 'import-shipment':
        return await withCore(config, async (core) => {
          const ackOut = ackTarget(need(o['ack-out'], '--ack-out (where to write the acknowledgement for the station)'));
          const from = need(arg, 'The shipment (a file, or hsm:LABEL)');
          const source = from.startsWith('hsm:')
            ? tokenSource({ token: from.slice(4), shipment: need(o.shipment, '--shipment (the ID the station printed)'), pin: readPin(need(o['pin-file'], '--pin-file (a file holding the token\'s user PIN)')), ...(o.module ? { module: o.module } : {}) })
            : from;
          const r = await importShipment(core, source, (p) => io.err(`\rimporting ${mib(p.bytes)} of ${mib(p.total)}`));
          io.err('\n');
          writeAck(ackOut, r.ack);
          out(`${r.added ? 'Imported' : 'Already held:'} shipment ${r.shipment}: ${r.segments} segment(s), ${mib(r.bytes)}. Acknowledgement written to ${ackOut}: take it to the station (dske-station sync import).\n`);
          return 0;
        });
      case 'import-reports':
        return await withCore(config, async (core) => {
          const ackOut = ackTarget(need(o['ack-out'], '--ack-out (where to write the acknowledgement for the station)'));
          const r = await applyReportBatch(core, readInput(need(arg, 'The report batch file'), 'The report batch'));
          writeAck(ackOut, r.ack);
          out(`Applied ${r.applied} report(s); station in sync up to #${r.appliedUpTo}.${r.refused ? ` Refused: ${r.refused.reason} (${r.refused.code}).` : ''} Acknowledgement written to ${ackOut}.\n`);
          return r.refused && r.refused.code !== 'replay' ? 1 : 0;
        });
      case 'clients':
        return await withCore(config, async (core) => {
          const list = await clientList(core);
          if (o.json) out(JSON.stringify(list, null, 2) + '\n');
          else for (const c of list) out(`${c.client}  ${c.state}  ${c.bytes} bytes of PSRD, ${c.initialKeyBytes} bytes of initial keys, ${c.reports} report(s)\n`);
          return 0;
        });
      case 'verify':
        return await withCore(config, async (core) => {
          const v = await verifyAudit(core);
          out(v.ok ? `The audit log verifies: ${v.entries} entries, head ${v.head}.\n` : `The audit log does NOT verify: ${v.problem}.\n`);
          return v.ok ? 0 : 1;
        });
      case 'vacuum':
        return await withCore(config, async (core) => {
          // A deleted PSRD row is useless without its key, which went with it; on PostgreSQL its page keeps
          // the ciphertext until VACUUM (SQLite overwrites it at once: secure_delete). VACUUM runs outside a transaction.
          await sql.raw(core.sdb.dialect === 'postgres' ? 'vacuum (analyze) psrd, secrets, instructions, refusal_log' : 'vacuum').execute(core.sdb.db);
          out(`Vacuumed the ${core.sdb.dialect === 'postgres' ? 'PostgreSQL' : 'SQLite'} database: the pages of deleted rows are reclaimed.\n`);
          return 0;
        });
      default:
        throw new UsageError(`Unknown command: ${command}.`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof ServerFailure) {
      io.err(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
