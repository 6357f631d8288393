import type { Command } from 'commander';
import type { ChainActivation } from '../api-types';
import { type CommandContext, type CommandGroup, positiveInt, withJson } from '../command-context';

/** `paddock chains activate`: an operator's audited override of a tenant's active chain version. */
export const chainCommands: CommandGroup = {
  register(program: Command, context: CommandContext) {
    const chains = program.command('chains').description("tenants' chains (operator overrides)");
    withJson(
      chains
        .command('activate')
        .description("make a tenant's chain version active now, saying why (audited; an override if staging failed)")
        .argument('<tenant-id>')
        .argument('<chain>')
        .argument('<version>', 'version number', positiveInt)
        .requiredOption('--reason <text>', 'why (3-500 characters, kept in the audit log)'),
    ).action(async (tenantId: string, chain: string, version: number, options: { reason: string; json?: boolean }) => {
      const client = await context.client();
      const path = `/v1/operator/tenants/${encodeURIComponent(tenantId)}/chains/${encodeURIComponent(chain)}/versions/${version}/activate`;
      const reply = await client.post<ChainActivation>(path, { reason: options.reason });
      context.print(options, reply, (r) => {
        const previous = r.previous ? ` (was ${r.previous.version}, ${r.previous.status})` : '';
        return `Chain ${chain}: version ${r.activeVersion.version} is active${previous}.\n`;
      });
    });
  },
};
