// One interface for every medium a client package leaves the station on (issue S6, part 4): a removable
// volume, an HSM token, a printed QR sheet, a file. The delivery job drives it through its phases:
// preflight (before any byte is reserved) → write → verify by read-back → release. A carrier reports
// bytes as it goes and fails only with a media fault (src-shared/psrd/media-faults.ts) or 'cancelled'.
import type { PsrdRange } from '../../src-shared/psrd/range';
import type { MediumRecordView } from '../../src-shared/api/delivery';

/** What the ledger and the hand receipt record of a medium: identities, never a secret or a PIN. */
export type MediumRecord = MediumRecordView;
export type CarrierKind = MediumRecord['kind'];

/** A client package as the delivery job streams it (src-shared/psrd/package-format.ts). */
export interface PackageStream {
  readonly hubId: string;
  readonly clientId: string;
  readonly packageId: string;
  readonly ranges: readonly PsrdRange[];
  /** Bytes of the whole encoded package, known before the first is produced. */
  readonly length: number;
  /**
   * The encoded package from its first byte, in pieces of at most 1 MiB plus a tag. A piece is valid
   * until the next is asked for: a carrier that keeps bytes copies them. Each call starts afresh and
   * yields the same bytes (the encoding is deterministic), so a carrier may stream it twice.
   */
  pieces(): AsyncIterable<Uint8Array>;
}

export interface CarrierProgress {
  readonly phase: 'write' | 'verify';
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

/** What write() hands to verify(): the carrier's own notes on where the package went. */
export type Written = Readonly<Record<string, unknown>>;

export interface Carrier {
  readonly kind: CarrierKind;
  /** The medium as it stands now (re-read at each call, so a swapped drive shows). */
  describe(): Promise<MediumRecord>;
  /** Refuses (not allowed, read-only, too small, wrong device) before anything is reserved or written. */
  preflight(packageBytes: number): Promise<void>;
  /** Writes the package and makes it durable (fsync, token commit). */
  write(pkg: PackageStream, progress: (p: CarrierProgress) => void, signal: AbortSignal): Promise<Written>;
  /** Reads back what was written (bypassing caches) and compares it; throws 'verify-failed' on any difference. */
  verify(pkg: PackageStream, written: Written, progress: (p: CarrierProgress) => void, signal: AbortSignal): Promise<void>;
  /** Best effort: removes what a voided delivery left on the medium. Never throws. */
  discard(pkg: Pick<PackageStream, 'packageId'>): Promise<void>;
  /** After a verified write: flush, unmount, power off, close the session. Never throws. */
  release(): Promise<void>;
}
