// The `delivery` namespace (issue S6, parts 3–6; spec §10.2, §10.3, §11.2): a range of the pool to
// exactly one client, on one medium, verified by read-back, the station's copy destroyed, a range
// report queued for the Security Server. Also the ledger's reconciliation and its CSV export.
import { call, returns } from './contract';
import { boolean, integer, object, oneOf, optional, text } from './validate';
import { clientId } from './clients';
import { mediaFaults } from '../psrd/media-faults';
import type { DriveStatus } from '../psrd/drive-safety';

/** usb:/dev/sdX | hsm:LABEL | qr:FILE.pdf | file:PATH */
export const carrierTarget = text({ maxLength: 4096, pattern: /^(usb|hsm|qr|file):[^\x00-\x1f]{1,4090}$/ });

/** A package at most this size (a hub sends a client years of PSRD at once, not terabytes). */
export const MAX_PACKAGE_BYTES = 2 ** 36;

/** A medium as the delivery recorded it: identities, never a secret or a PIN. */
export interface MediumRecordView {
  readonly kind: 'usb' | 'hsm' | 'qr' | 'file';
  /** Where it went, as the operator named it: a device path, a token label, a file path. */
  readonly target: string;
  readonly serial?: string;
  readonly model?: string;
  readonly sizeBytes?: number;
  /** For a QR sheet: the pages and codes printed. */
  readonly pages?: number;
  readonly codes?: number;
}

export interface DeliveryResult {
  readonly job: string;
  readonly client: string;
  readonly package: string;
  readonly bytes: number;
  readonly packageBytes: number;
  readonly ranges: readonly { readonly segment: string; readonly offset: number; readonly length: number }[];
  readonly medium: MediumRecordView;
  /** The range report queued for the Security Server. */
  readonly report: number;
}

export interface ReconcileProblem {
  readonly kind: 'overlap' | 'two-states' | 'not-destroyed' | 'unfinished' | 'outbox' | 'pool-files' | 'keystore' | 'sheet-on-disk';
  readonly detail: string;
}

export interface ReconcileResult {
  readonly ok: boolean;
  readonly deliveries: number;
  readonly voided: number;
  readonly bytesDelivered: number;
  readonly bytesVoided: number;
  readonly reportsQueued: number;
  readonly problems: readonly ReconcileProblem[];
}

export interface DeliveryProgress {
  readonly job: string;
  readonly phase: 'reserve' | 'write' | 'verify' | 'destroy' | 'report' | 'done' | 'failed';
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

/** A drive the desk may choose, with what the drive-safety policy says of it (never pre-selected). */
export interface DriveView {
  readonly device: string;
  readonly description: string;
  readonly size: number | null;
  readonly serial?: string;
  readonly mountpoint?: string;
  readonly statuses: readonly DriveStatus[];
  /** No error among the statuses: the drive may be chosen (warnings are shown, the operator decides). */
  readonly deliverable: boolean;
}

/** A PKCS#11 token present, as the desk chooses one (never pre-selected): what the token says of itself. */
export interface TokenView {
  readonly label: string;
  readonly serial: string;
  readonly model: string;
  readonly manufacturer: string;
  readonly freePrivateBytes: number | null;
}

export interface TokenList {
  /** The PKCS#11 module for clients' tokens (station.json delivery.pkcs11Module). */
  readonly module: string;
  readonly tokens: readonly TokenView[];
  /** Why no token could be listed (the module missing or not starting), in plain words. */
  readonly problem?: string;
}

export const deliveryCalls = {
  /** The drives present, each with its drive-safety statuses for a package of that size. */
  drives: call({ args: object({ packageBytes: optional(integer({ min: 1, max: MAX_PACKAGE_BYTES })) }), result: returns<DriveView[]>(), access: ['desk', 'operator'] }),
  /** The HSM tokens present in the clients' PKCS#11 module: no session, no login. */
  tokens: call({ args: object({}), result: returns<TokenList>(), access: ['desk', 'operator'] }),
  deliver: call({
    args: object({ client: clientId, bytes: integer({ min: 1, max: MAX_PACKAGE_BYTES }), to: carrierTarget, token: optional(object({ pin: text({ maxLength: 256 }), profile: optional(oneOf(['data', 'secret'] as const)) })) }),
    result: returns<DeliveryResult>(),
    access: ['desk', 'operator'],
    /** Above the two-person threshold (station.json delivery.twoPersonAboveBytes) a second person approves. */
    approvalOptional: ['operator', 'admin'],
  }),
  /**
   * Destroys the PDF of a delivered QR sheet once it is printed (spec §10.3: the paper is the client's
   * copy; the file would be a third). Overwritten and removed, and recorded.
   */
  destroySheet: call({
    args: object({ package: text({ maxLength: 36, pattern: /^pkg-[0-9a-f]{32}$/ }) }),
    result: returns<{ readonly package: string; readonly path: string; readonly found: boolean }>(),
    access: ['desk', 'operator'],
  }),
  /** Checks the whole allocation record against itself, the pool's files and the outbox. */
  reconcile: call({ args: object({ deep: optional(boolean()) }), result: returns<ReconcileResult>(), access: ['auditor', 'operator', 'admin'] }),
  /** Every allocation, delivery, destruction and report as CSV rows, written to a file. */
  exportCsv: call({ args: object({ to: text({ maxLength: 4096 }) }), result: returns<{ readonly path: string; readonly rows: number }>(), access: ['auditor', 'operator', 'admin'] }),
} as const;

export const deliveryErrors = {
  ...mediaFaults,
  'package-too-large': 'A medium of this kind cannot hold a package that large.',
} as const;

export interface DeliveryEvents {
  'delivery.progress': DeliveryProgress;
}
export const deliveryEventNames = ['delivery.progress'] as const;
