import type { Command } from 'commander';
import type { QuarantineList } from '../api-types';
import { type CommandContext, type CommandGroup, positiveInt, withJson } from '../command-context';
import { renderTable, when } from '../output';

/** `paddock quarantine list` over /v1/operator/quarantine: box events the collector refused to store. */
export const quarantineCommands: CommandGroup = {
  register(program: Command, context: CommandContext) {
    const quarantine = program.command('quarantine').description('box events the collector refused to store');
    withJson(
      quarantine
        .command('list')
        .description('quarantined events, newest first')
        .option('--tenant <id>', "one tenant's")
        .option('--box <id>', "one box's")
        .option('--reason <code>', 'line_too_long, invalid_event, event_too_large, foreign_run, ...')
        .option('--limit <n>', 'at most this many (1-200)', positiveInt)
        .option('--cursor <cursor>', 'the next page (printed under a full page)'),
    ).action(
      async (options: {
        tenant?: string;
        box?: string;
        reason?: string;
        limit?: number;
        cursor?: string;
        json?: boolean;
      }) => {
        const client = await context.client();
        const reply = await client.get<QuarantineList>('/v1/operator/quarantine', {
          tenantId: options.tenant,
          boxId: options.box,
          reason: options.reason,
          limit: options.limit,
          cursor: options.cursor,
        });
        context.print(options, reply, (r) => {
          const table = renderTable(r.events, [
            { header: 'WHEN', value: (e) => when(e.createdAt) },
            { header: 'BOX', value: (e) => e.boxId },
            { header: 'RUN', value: (e) => e.runtimeRunId },
            { header: 'SEQ', value: (e) => e.seq },
            { header: 'REASON', value: (e) => e.reason },
            { header: 'BYTES', value: (e) => e.bytes },
            { header: 'DETAIL', value: (e) => e.detail },
          ]);
          return `${table}${r.nextCursor ? `More: paddock quarantine list --cursor ${r.nextCursor}\n` : ''}`;
        });
      },
    );
  },
};
