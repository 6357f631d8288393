import type { Command } from 'commander';
import type { AlertList } from '../api-types';
import { type CommandContext, type CommandGroup, positiveInt, withJson } from '../command-context';
import { renderTable, when } from '../output';

type Alert = AlertList['alerts'][number];

const ALERT_COLUMNS = [
  { header: 'SEVERITY', value: (a: Alert) => a.severity },
  { header: 'CODE', value: (a: Alert) => a.code },
  { header: 'STATUS', value: (a: Alert) => a.status },
  { header: 'TIMES', value: (a: Alert) => a.occurrences },
  { header: 'LAST SEEN', value: (a: Alert) => when(a.lastSeenAt) },
  { header: 'BOX', value: (a: Alert) => a.boxId },
  { header: 'MESSAGE', value: (a: Alert) => a.message },
  { header: 'ID', value: (a: Alert) => a.id },
];

/** `paddock alerts list` over /v1/operator/alerts (acknowledge and resolve come with the alert lifecycle API). */
export const alertCommands: CommandGroup = {
  register(program: Command, context: CommandContext) {
    const alerts = program.command('alerts').description('alerts: host keys, silent boxes, lost runs, watchdog kills');

    withJson(
      alerts
        .command('list')
        .description('alerts, newest first')
        .option('--status <status>', 'open, acknowledged, resolved')
        .option('--tenant <id>')
        .option('--box <id>')
        .option('--code <code>', 'e.g. host_key_changed, box_silent, runs_lost, watchdog_killed')
        .option('--limit <n>', 'at most this many', positiveInt)
        .option('--cursor <cursor>', 'the next page (printed under a full page)'),
    ).action(
      async (options: {
        status?: string;
        tenant?: string;
        box?: string;
        code?: string;
        limit?: number;
        cursor?: string;
        json?: boolean;
      }) => {
        const client = await context.client();
        const reply = await client.get<AlertList>('/v1/operator/alerts', {
          status: options.status,
          tenantId: options.tenant,
          boxId: options.box,
          code: options.code,
          limit: options.limit,
          cursor: options.cursor,
        });
        context.print(options, reply, (r) => {
          const more = r.nextCursor ? `More: paddock alerts list --cursor ${r.nextCursor}\n` : '';
          return `${renderTable(r.alerts, ALERT_COLUMNS)}${more}`;
        });
      },
    );
  },
};
