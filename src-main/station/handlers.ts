// The station's handlers, one registration line per namespace (the contract's twin in
// src-shared/api/station-api.ts). Each namespace's handlers live in its own folder.
import type { Handlers } from '../../src-shared/api/dispatch';
import type { StationApiSpec } from '../../src-shared/api/station-api';
import type { Core } from './core';
import type { Operator } from './operators/gate';
import { auditHandlers } from './audit/handlers';
import { devicesHandlers } from './devices/handlers';
import { jobsHandlers } from './jobs/handlers';
import { operatorsHandlers } from './operators/handlers';
import { poolHandlers } from './pool/handlers';
import { sessionHandlers } from './session/handlers';
import { clientsHandlers } from './clients/handlers';
import { deliveryHandlers } from './delivery/handlers';
import { syncHandlers } from './sync/handlers';
import { enrolmentHandlers } from './enrolment/handlers';

export type StationHandlers = Handlers<StationApiSpec, Operator>;

export function stationHandlers(core: Core): StationHandlers {
  return {
    session: sessionHandlers(core),
    operators: operatorsHandlers(core),
    jobs: jobsHandlers(core),
    pool: poolHandlers(core),
    devices: devicesHandlers(core),
    audit: auditHandlers(core),
    clients: clientsHandlers(core),
    delivery: deliveryHandlers(core),
    sync: syncHandlers(core),
    enrolment: enrolmentHandlers(core),
  };
}
