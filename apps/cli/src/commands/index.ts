import type { CommandGroup } from '../command-context';
import { alertCommands } from './alerts';
import { auditCommands } from './audit';
import { boxCommands } from './boxes';
import { chainCommands } from './chains';
import { hostCommands } from './hosts';
import { invoiceCommands } from './invoices';
import { jobCommands } from './jobs';
import { loginCommands } from './login';
import { planCommands } from './plans';
import { priceCommands } from './prices';
import { quarantineCommands } from './quarantine';
import { releaseCommands } from './releases';
import { rolloutCommands } from './rollouts';
import { tenantCommands } from './tenants';
import { workflowCommands } from './workflows';

/**
 * Every command group, in the order `paddock --help` lists them. A new operator API gets one file in this folder
 * (a `CommandGroup`) and one line here.
 */
export const COMMAND_GROUPS: readonly CommandGroup[] = [
  loginCommands,
  tenantCommands,
  workflowCommands,
  jobCommands,
  quarantineCommands,
  chainCommands,
  releaseCommands,
  rolloutCommands,
  boxCommands,
  hostCommands,
  planCommands,
  priceCommands,
  invoiceCommands,
  alertCommands,
  auditCommands,
];
