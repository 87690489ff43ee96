// The Security Server's acknowledgements, accepted (issue S8, parts 3–5): authenticated under the ack
// key, then checked against this station's own record before anything is drained. A shipment's
// acknowledgement makes its segments allocatable; a reports acknowledgement drains the outbox up to the
// server's position. The station checks the server as the server checks it: the checkpoint the server
// says it witnessed must be this ledger's own root at that size, or this ledger was rewritten after the
// server saw it (or the server is confused), and nothing is drained; the refusal is recorded.
import { StationFailure } from '../../../src-shared/api/result';
import { openAcknowledgement, type Acknowledgement } from '../../../src-shared/sync/acknowledgement';
import { SyncFormatError } from '../../../src-shared/sync/errors';
import type { Core } from '../core';
import type { Actor } from '../operators/accounts';

export type AckVia = 'file' | 'online';

export interface AcceptedAcknowledgement {
  readonly kind: 'shipment' | 'reports';
  /** false: it said nothing new (a shipment acknowledged before, the same position). */
  readonly changed: boolean;
  readonly shipment?: string;
  readonly appliedUpTo?: number;
  readonly refused?: { readonly seq: number; readonly code: string; readonly reason: string };
}

/** Opens an acknowledgement with this station's ack key; a bad one is refused with a typed error and changes nothing. */
export function openAck(core: Core, bytes: Uint8Array): Acknowledgement {
  const reg = core.sync.state.registered;
  if (!reg) throw new StationFailure('not-registered', 'Register the station with its Security Server first (dske-station sync register).');
  const keys = core.registration.read(reg.station);
  try {
    const a = openAcknowledgement(bytes, keys.ack);
    if (a.station !== reg.station || a.hub !== reg.hub) throw new StationFailure('acknowledgement-refused', `This acknowledgement is for station ${a.station.slice(0, 12)}… of hub ${a.hub}, not this station.`);
    return a;
  } catch (e) {
    if (e instanceof SyncFormatError) throw new StationFailure('acknowledgement-refused', `This is not a valid acknowledgement from this station's Security Server: ${e.message}`);
    throw e;
  } finally {
    for (const k of Object.values(keys)) k.fill(0);
  }
}

export function acceptAcknowledgement(core: Core, a: Acknowledgement, via: AckVia, actor?: Actor): AcceptedAcknowledgement {
  const reject = (reason: string): never => {
    core.ledger.append('sync.acknowledgement-refused', { kind: a.kind, reason, via, ...(actor ? { actor } : {}) }, core.now);
    throw new StationFailure('acknowledgement-refused', `${reason} Nothing was drained; the refusal is in the ledger.`);
  };
  if (a.kind === 'state') throw new StationFailure('bad-request', 'This is the server\'s state for reconciliation, not an acknowledgement to import (dske-station sync reconcile reads it).');
  if (a.kind === 'shipment') {
    const sh = core.sync.state.shipments[a.shipment];
    if (!sh) return reject(`The server acknowledges shipment ${a.shipment}, which this station never started.`);
    if (sh.abandoned) return reject(`The server acknowledges shipment ${a.shipment}, which this station abandoned on ${sh.abandoned.time} (${sh.abandoned.reason}); its segments may have gone into another shipment.`);
    if (!sh.written) return reject(`The server acknowledges shipment ${a.shipment}, which this station has not finished writing.`);
    if (sh.segments.length !== a.segments || sh.bytes !== a.bytes) return reject(`The server acknowledges shipment ${a.shipment} with ${a.segments} segments and ${a.bytes} bytes; this station wrote ${sh.segments.length} and ${sh.bytes}.`);
    if (sh.acknowledged) return { kind: 'shipment', changed: false, shipment: a.shipment };
    core.ledger.append('sync.shipment-acknowledged', { shipment: a.shipment, segments: a.segments, bytes: a.bytes, serverTime: a.time, via, ...(actor ? { actor } : {}) }, core.now);
    return { kind: 'shipment', changed: true, shipment: a.shipment };
  }
  const { allocations } = core;
  if (a.appliedUpTo > allocations.lastReport) return reject(`The server says it applied report #${a.appliedUpTo}, but this station has made only ${allocations.lastReport}.`);
  if (a.appliedUpTo < allocations.acknowledgedUpTo) return reject(`The server says it applied reports only up to #${a.appliedUpTo}, but it acknowledged #${allocations.acknowledgedUpTo} before: the server lost reports (restored from an old backup?). Ask the hub operator; the reports after #${a.appliedUpTo} must be sent again.`);
  if (a.witnessed) {
    const own = core.ledger.rootOf(a.witnessed.treeSize);
    if (!own || own.rootHash !== a.witnessed.rootHash || own.chainHead !== a.witnessed.chainHead) {
      return reject(`The server witnessed this station's ledger at ${a.witnessed.treeSize} entries with a root this ledger does not have: this ledger was rewritten after the server saw it, or the acknowledgement is not for this ledger.`);
    }
  }
  const s = core.sync.state;
  const refused = a.refused && a.refused.code !== 'replay' ? a.refused : null;
  const same = a.appliedUpTo === allocations.acknowledgedUpTo && (a.witnessed?.treeSize ?? null) === (s.witnessed?.treeSize ?? null) && (refused?.reason ?? null) === (s.lastRefusal?.reason ?? null);
  if (!same) {
    core.ledger.append('sync.acknowledged', {
      appliedUpTo: a.appliedUpTo,
      ...(a.witnessed ? { witnessedTreeSize: a.witnessed.treeSize, witnessedRoot: a.witnessed.rootHash } : {}),
      ...(refused ? { refusedSeq: refused.seq, refusedCode: refused.code, refusedReason: refused.reason } : {}),
      serverTime: a.time, via, ...(actor ? { actor } : {}),
    }, core.now);
  }
  return { kind: 'reports', changed: !same, appliedUpTo: a.appliedUpTo, ...(refused ? { refused } : {}) };
}
