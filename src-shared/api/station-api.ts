// The station's API: its namespaces, registered here one line each. IPC, the browser host and the CLI
// all dispatch through this table, so a call that is not listed here does not exist. Each namespace's
// calls, types, events and error codes live in its own file beside this one.
import type { CallArgs, CallResult } from './contract';
import { commonErrors } from './errors';
import { clientsCalls, clientsErrors, clientsEventNames, type ClientsEvents } from './clients';
import { deliveryCalls, deliveryErrors, deliveryEventNames, type DeliveryEvents } from './delivery';
import { syncCalls, syncErrors, syncEventNames, type SyncEvents } from './sync';
import { enrolmentCalls, enrolmentErrors, enrolmentEventNames, type EnrolmentEvents } from './enrolment';
import { auditCalls, auditErrors, auditEventNames, type AuditEvents } from './audit';
import { devicesCalls, devicesErrors, devicesEventNames, type DevicesEvents } from './devices';
import { jobsCalls, jobsErrors, jobsEventNames, type JobsEvents } from './jobs';
import { operatorsCalls, operatorsErrors, operatorsEventNames, type OperatorsEvents } from './operators';
import { poolCalls, poolErrors, poolEventNames, type PoolEvents } from './pool';
import { sessionCalls, sessionErrors, sessionEventNames, type SessionEvents } from './session';

export const stationApi = {
  session: sessionCalls,
  operators: operatorsCalls,
  jobs: jobsCalls,
  pool: poolCalls,
  devices: devicesCalls,
  audit: auditCalls,
  clients: clientsCalls,
  delivery: deliveryCalls,
  sync: syncCalls,
  enrolment: enrolmentCalls,
} as const;

export const errorCodes = {
  ...commonErrors,
  ...sessionErrors,
  ...operatorsErrors,
  ...jobsErrors,
  ...poolErrors,
  ...devicesErrors,
  ...auditErrors,
  ...clientsErrors,
  ...deliveryErrors,
  ...syncErrors,
  ...enrolmentErrors,
} as const;

export type StationEvents = SessionEvents &
  OperatorsEvents &
  JobsEvents &
  PoolEvents &
  DevicesEvents &
  AuditEvents &
  ClientsEvents &
  DeliveryEvents &
  SyncEvents &
  EnrolmentEvents;

export const eventNames: readonly EventName[] = [
  ...sessionEventNames,
  ...operatorsEventNames,
  ...jobsEventNames,
  ...poolEventNames,
  ...devicesEventNames,
  ...auditEventNames,
  ...clientsEventNames,
  ...deliveryEventNames,
  ...syncEventNames,
  ...enrolmentEventNames,
];

export type StationApiSpec = typeof stationApi;
export type Namespace = keyof StationApiSpec;
export type MethodOf<N extends Namespace> = keyof StationApiSpec[N] & string;
export type ArgsOf<N extends Namespace, M extends MethodOf<N>> = CallArgs<StationApiSpec[N][M]>;
export type ResultOf<N extends Namespace, M extends MethodOf<N>> = CallResult<StationApiSpec[N][M]>;
export type EventName = keyof StationEvents & string;
export type ErrorCode = keyof typeof errorCodes;

export function isErrorCode(x: unknown): x is ErrorCode {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(errorCodes, x);
}
