// `npx tsx src-client/qkd014/main.ts --dir DIR --config FILE --cert PEM --key PEM --ca PEM [--host H] [--port P]`:
// this client's ETSI GS QKD 014 service for its SAEs, until SIGINT or SIGTERM. Exit 0 on a clean stop,
// 1 when it cannot start (the reason on stderr), 2 on a usage error.
import { parseArgs } from 'node:util';
import { ClientFailure } from '../errors';
import { startQkd014Service } from './service';

async function main(argv: string[]): Promise<number> {
  let v: Record<string, string | undefined>;
  try {
    v = parseArgs({ args: argv, options: { dir: { type: 'string' }, config: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' }, ca: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' } }, strict: true }).values;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  const missing = ['dir', 'config', 'cert', 'key', 'ca'].filter((k) => !v[k]);
  const port = v.port === undefined ? 8443 : Number(v.port);
  if (missing.length > 0 || !Number.isSafeInteger(port) || port < 0 || port > 65535) {
    process.stderr.write('usage: --dir DIR --config FILE --cert PEM --key PEM --ca PEM [--host H] [--port P]\n');
    return 2;
  }
  let svc;
  try {
    svc = await startQkd014Service({ dir: v.dir!, config: v.config!, cert: v.cert!, key: v.key!, ca: v.ca!, host: v.host, port });
  } catch (e) {
    process.stderr.write(`${e instanceof ClientFailure ? e.message : (e as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`QKD 014 service of KME ${svc.config.kmeId} listening on ${svc.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await svc.close();
  return 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => {
  process.stderr.write(`The QKD 014 service stopped on an unexpected error: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(70);
});
