import type { CommandGroup } from '../command-context';
import { chainCommands } from './chains';
import { jobCommands } from './jobs';
import { loginCommands } from './login';
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
];
