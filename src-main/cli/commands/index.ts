// The CLI's commands, one registration line per namespace; each namespace's commands are in its file.
import type { Command } from '../command';
import { jobsCommands } from './jobs';
import { ledgerCommands } from './ledger';
import { operatorsCommands } from './operators';
import { poolCommands } from './pool';
import { sourcesCommands } from './sources';
import { clientsCommands } from './clients';
import { deliveryCommands } from './delivery';
import { enrolmentCommands } from './enrolment';
import { syncCommands } from './sync';

export const commands: readonly Command[] = [
  ...operatorsCommands,
  ...poolCommands,
  ...sourcesCommands,
  ...ledgerCommands,
  ...jobsCommands,
  ...clientsCommands,
  ...deliveryCommands,
  ...enrolmentCommands,
  ...syncCommands,
];
