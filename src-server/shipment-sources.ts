// Where the server reads a bulk shipment from (issue S8, part 3): a file (on a volume the operator
// mounted), or the objects of an HSM token the station wrote it to ('data' objects labelled
// dske:<shipment>:<i>/<n>@<offset>, read back in order; the bytes are authenticated by the importer,
// not trusted for coming from a token). The PIN is used to log in and dropped.
import { HsmTokenCarrier } from '../hardware/carriers/hsm-token';
import { StationFailure } from '../src-shared/api/result';
import { ServerFailure } from './errors';
import type { ShipmentSource } from './shipments';

export const DEFAULT_PKCS11_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export function tokenSource(opts: { readonly module?: string; readonly token: string; readonly pin: string; readonly shipment: string }): ShipmentSource {
  return {
    name: `token "${opts.token}"`,
    read: () => readToken(opts),
  };
}

async function* readToken(opts: { readonly module?: string; readonly token: string; readonly pin: string; readonly shipment: string }): AsyncGenerator<Uint8Array> {
  let carrier: HsmTokenCarrier;
  try {
    carrier = HsmTokenCarrier.open({ module: opts.module ?? DEFAULT_PKCS11_MODULE, token: opts.token, pin: opts.pin, profile: 'data' });
  } catch (e) {
    throw new ServerFailure('io', e instanceof StationFailure ? e.message : `The token "${opts.token}" cannot be opened.`);
  }
  try {
    yield* carrier.readBack(opts.shipment);
  } catch (e) {
    throw new ServerFailure('io', e instanceof StationFailure ? e.message : `The token "${opts.token}" could not be read.`);
  } finally {
    await carrier.release();
  }
}
