// `dske-client`: the reference DSKE client's command line (issue S10: its store and importers, and key
// establishment through hubs). Every refusal prints its reason in plain words and exits 1; a usage
// error exits 2. A PIN is read from a file, never from arguments or the environment.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ioReason } from '../src-node/io-reason';
import { ClientFailure } from './errors';
import { DEFAULT_PKCS11_MODULE, readPackageFromToken } from './import/hsm-token';
import { readPackageFile } from './import/package-file';
import { readQrSheetImages } from './import/qr-images';
import { destroyPackageFile, destroyTokenPackage } from './import/carrier-copy';
import { KeyClient } from './keys/key-client';
import { startQkd014Service } from './qkd014/service';
import { ClientStore } from './store/client-store';

const USAGE = `dske-client: the reference DSKE client (its PSRD store)

  dske-client init                                  make a new client store in the data directory
  dske-client register-keys FILE                    register with a hub: its initial keys file, from the desk (spec §11.1)
  dske-client import FILE [--keep]                  import a client package file (dske-pkg-….pkg), then overwrite and delete it
  dske-client import --qr IMAGE [IMAGE…]            import a printed QR sheet from PNG scans of its pages (any order)
  dske-client import --hsm LABEL --pin-file F [--package ID] [--module PATH]
                                                    import a package from a PKCS#11 token ("data" profile)
  dske-client status [--json]                       per hub: the client ID, packages, PSRD held, used and available (each half)
  dske-client set-hub HUB URL                       where this client reaches hub HUB's key-instruction API
  dske-client establish --via HUB=PEER [--via …] --k K [--bits 256]
                                                    establish a key with the peer (its client ID at each hub) through
                                                    those hubs, k of them needed (§11.4); the key is kept here, its ID printed
  dske-client fetch [--json]                        fetch key instructions from every hub set, and recover the keys sent
  dske-client qkd014 --config FILE --cert PEM --key PEM --ca PEM [--host H] [--port P]
                                                    serve ETSI GS QKD 014 to this client's SAEs (mutual TLS) until stopped

Global: --data DIR (or DSKE_CLIENT_DATA; default ~/.local/share/dske-client).
`;

class UsageError extends Error {}

const COMMANDS = ['init', 'register-keys', 'import', 'status', 'set-hub', 'establish', 'fetch', 'qkd014'];

export interface ClientCliIo {
  out(s: string): void;
  err(s: string): void;
}

const processIo: ClientCliIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

function readInput(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ClientFailure('io', `${what} ${path} cannot be read (${ioReason(e)}).`);
  }
}

function withStore<T>(dir: string, work: (s: ClientStore) => T, readOnly = false): T {
  const store = ClientStore.open(dir, { readOnly });
  try {
    return work(store);
  } finally {
    store.close();
  }
}

export async function runClientCli(argv: readonly string[], io: ClientCliIo = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const out = io.out;
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        data: { type: 'string' }, qr: { type: 'boolean' }, hsm: { type: 'string' }, 'pin-file': { type: 'string' }, package: { type: 'string' },
        module: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, keep: { type: 'boolean' },
        via: { type: 'string', multiple: true }, k: { type: 'string' }, bits: { type: 'string' },
        config: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' }, ca: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' },
      },
    });
  } catch (e) {
    io.err(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values: o, positionals } = parsed;
  const [command, ...args] = positionals;
  if (o.help || !command) {
    out(USAGE);
    return command || o.help ? 0 : 2;
  }
  if (!COMMANDS.includes(command)) {
    io.err(`Unknown command: ${command}.\n\n${USAGE}`);
    return 2;
  }
  const dir = o.data ?? env.DSKE_CLIENT_DATA ?? join(homedir(), '.local', 'share', 'dske-client');
  try {
    const one = (what: string): string => {
      if (args.length !== 1) throw new UsageError(args.length === 0 ? `${what} is missing.` : `${command} takes one ${what.toLowerCase()}; ${args.length} were given.`);
      return args[0]!;
    };
    switch (command) {
      case 'init': {
        if (args.length > 0) throw new UsageError('init takes no arguments.');
        ClientStore.init(dir);
        out(`A DSKE client is ready in ${dir}. Keep ${join(dir, 'keys', 'master.key')} safe: without it, nothing held here can be read.\n`);
        return 0;
      }
      case 'register-keys': {
        const bytes = readInput(one('The initial keys file'), 'The initial keys file');
        const r = withStore(dir, (s) => s.registerKeys(bytes));
        bytes.fill(0);
        out(r.added
          ? `Registered with hub ${r.hub} as client ${r.client}; check value ${r.checkValue}: it must match the one printed beside your client ID.\n`
          : `Already registered with hub ${r.hub} as client ${r.client} (check value ${r.checkValue}); nothing changed.\n`);
        return 0;
      }
      case 'import': {
        const modes = [o.qr, o.hsm !== undefined].filter(Boolean).length;
        if (modes > 1) throw new UsageError('Import from one source at a time: a FILE, --qr IMAGE…, or --hsm LABEL.');
        let bytes: Uint8Array;
        // What the medium still holds after the import: destroyed here unless --keep (a third copy of the PSRD).
        let afterwards: (packageId: string) => Promise<string>;
        if (o.qr) {
          if (args.length === 0) throw new UsageError('--qr needs at least one image of the sheet.');
          bytes = readQrSheetImages(args);
          afterwards = async () => ' Shred the printed sheet and delete these scans now: they are a copy of the PSRD.';
        } else if (o.hsm !== undefined) {
          if (args.length > 0) throw new UsageError('--hsm LABEL takes no file.');
          if (!o['pin-file']) throw new UsageError('--pin-file F is missing (the PIN is never taken from the command line).');
          const pin = readInput(o['pin-file'], 'The PIN file').toString('utf8').replace(/\r?\n$/, '');
          const token = { module: o.module ?? DEFAULT_PKCS11_MODULE, token: o.hsm, pin };
          bytes = readPackageFromToken({ ...token, ...(o.package ? { packageId: o.package } : {}) });
          afterwards = async (packageId) => (o.keep ? ` The package is still on the token "${o.hsm}" (--keep).` : (await destroyTokenPackage({ ...token, packageId })) ? ` Its objects on the token "${o.hsm}" were destroyed.` : ` Its objects on the token "${o.hsm}" could NOT be destroyed: remove them with the token's tools.`);
        } else {
          if (o['pin-file'] || o.package || o.module) throw new UsageError('--pin-file, --package and --module go with --hsm.');
          const path = one('The package file');
          bytes = readPackageFile(path);
          afterwards = async () => (o.keep ? ` ${path} is kept (--keep): it is a copy of the PSRD; delete it once this client's store is backed up.` : (await destroyPackageFile(path)) ? ` ${path} was overwritten and deleted.` : ` ${path} could NOT be deleted: delete it yourself.`);
        }
        const r = withStore(dir, (s) => s.importPackage(bytes));
        const note = await afterwards(r.package);
        out(`Imported package ${r.package} from hub ${r.hub} (client ${r.client}): ${r.bytes} bytes of PSRD; ${r.available} bytes available for hub ${r.hub}.${note}\n`);
        return 0;
      }
      case 'status': {
        if (args.length > 0) throw new UsageError('status takes no arguments.');
        const hubs = withStore(dir, (s) => s.status(), true);
        if (o.json) out(JSON.stringify(hubs, null, 2) + '\n');
        else if (hubs.length === 0) out(`No hub registered in ${dir} yet: \`dske-client register-keys FILE\`.\n`);
        else for (const h of hubs) out(`hub ${h.hub}  client ${h.client}  check value ${h.checkValue}  ${h.packages.length} package(s)  PSRD held ${h.heldBytes}, used ${h.usedBytes}, available ${h.availableBytes} bytes  (for key requests ${h.forRequests.availableBytes} of ${h.forRequests.heldBytes} available; for the hub's key instructions ${h.forInstructions.availableBytes} of ${h.forInstructions.heldBytes})  (${h.chunks} chunk(s) at rest, ${h.erasedChunks} erased)\n`);
        return 0;
      }
      case 'set-hub': {
        if (args.length !== 2) throw new UsageError('set-hub takes a hub ID and a URL.');
        withStore(dir, (st) => st.setHubUrl(args[0]!, args[1]!));
        out(`Hub ${args[0]} is reached at ${args[1]}.\n`);
        return 0;
      }
      case 'establish': {
        if (args.length > 0) throw new UsageError('establish takes no positional arguments.');
        const via = o.via ?? [];
        if (via.length === 0) throw new UsageError('--via HUB=PEER is missing (one for each hub, the peer’s client ID there).');
        const peers: Record<string, string> = {};
        for (const v of via) {
          const m = /^([^=]+)=([^=]+)$/.exec(v);
          if (!m) throw new UsageError(`--via ${v}: expected HUB=PEER.`);
          peers[m[1]!] = m[2]!;
        }
        const k = Number(o.k);
        if (!o.k || !Number.isSafeInteger(k)) throw new UsageError('--k K (how many hubs must carry the key) is missing.');
        const bits = Number(o.bits ?? '256');
        if (!Number.isSafeInteger(bits) || bits < 128 || bits % 128 !== 0) throw new UsageError('--bits is a multiple of 128.');
        const store = ClientStore.open(dir);
        try {
          const r = await new KeyClient(store).establish({ peers, hubs: Object.keys(peers), k, m: bits / 128 });
          r.key.fill(0);
          out(`Established key ${r.secretId} (${bits} bits) through ${r.hubs.filter((h) => h.ok).map((h) => h.hub).join(', ')}; it is kept in ${dir}.\n`);
          for (const h of r.hubs) if (!h.ok) out(`  not through ${h.hub}: ${h.reason}\n`);
        } finally {
          store.close();
        }
        return 0;
      }
      case 'qkd014': {
        const missing = (['config', 'cert', 'key', 'ca'] as const).filter((k) => !o[k]);
        if (missing.length > 0) throw new UsageError(`qkd014 needs ${missing.map((m) => `--${m}`).join(', ')}.`);
        const port = o.port === undefined ? 8443 : Number(o.port);
        if (!Number.isSafeInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${o.port} is not a port number.`);
        const svc = await startQkd014Service({ dir, config: o.config!, cert: o.cert!, key: o.key!, ca: o.ca!, host: o.host, port });
        out(`QKD 014 service of KME ${svc.config.kmeId} listening on ${svc.url}\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await svc.close();
        return 0;
      }
      case 'fetch': {
        if (args.length > 0) throw new UsageError('fetch takes no arguments.');
        const store = ClientStore.open(dir);
        try {
          const r = await new KeyClient(store).fetchAndRecover();
          for (const x of r.recovered) x.key.fill(0);
          if (o.json) {
            out(JSON.stringify({ ...r, recovered: r.recovered.map((x) => ({ sender: x.sender, secretId: x.secretId, hubs: x.hubs, liars: x.liars })) }, null, 2) + '\n');
            return 0;
          }
          for (const h of r.hubs) if (!h.ok) out(`Hub ${h.hub} was not reached: ${h.reason}.\n`);
          for (const x of r.recovered) out(`Recovered key ${x.secretId} from ${x.sender} through ${x.hubs.join(', ')}${x.liars.length > 0 ? `; hub${x.liars.length > 1 ? 's' : ''} ${x.liars.join(', ')} sent a wrong share` : ''}.\n`);
          for (const x of r.refused) out(`Refused key ${x.secretId}: ${x.reason}\n`);
          for (const x of r.rejected) out(`Set aside an instruction from hub ${x.hub} (${x.code}): ${x.reason}.\n`);
          for (const x of r.waiting) out(`Key ${x.secretId} waits for more hubs (shares so far from ${x.hubs.join(', ')}).\n`);
          if (r.recovered.length + r.refused.length + r.rejected.length + r.waiting.length === 0) out('No key instructions.\n');
        } finally {
          store.close();
        }
        return 0;
      }
      default:
        throw new UsageError(`Unknown command: ${command}.`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof ClientFailure) {
      io.err(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
