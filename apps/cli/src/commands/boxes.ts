import type { Command } from 'commander';
import type { BoxHealth, BoxList, Repinned } from '../api-types';
import { type CommandContext, type CommandGroup, positiveInt, withJson } from '../command-context';
import { renderRecord, renderTable, when } from '../output';

type Box = BoxList['boxes'][number];

const BOX_COLUMNS = [
  { header: 'ID', value: (b: Box) => b.id },
  { header: 'NAME', value: (b: Box) => b.name },
  { header: 'STATUS', value: (b: Box) => b.status },
  { header: 'PROVIDER', value: (b: Box) => (b.pool ? `${b.provider} (${b.pool})` : b.provider) },
  { header: 'ADDRESS', value: (b: Box) => (b.address ? `${b.address}:${b.port}` : null) },
  { header: 'TENANT', value: (b: Box) => b.tenantId },
  { header: 'RUNTIME', value: (b: Box) => b.runtimeVersion },
  { header: 'LAST SEEN', value: (b: Box) => when(b.lastSeenAt) },
];

/** `paddock boxes list|show|repin` over /v1/operator/boxes. */
export const boxCommands: CommandGroup = {
  register(program: Command, context: CommandContext) {
    const boxes = program.command('boxes').description("tenants' boxes: status, health, host keys");

    withJson(
      boxes
        .command('list')
        .description('boxes, newest first')
        .option('--status <status>', 'ready, unhealthy, unreachable, bootstrapping, failed, destroyed, ...')
        .option('--provider <provider>', 'byo, hetzner or local')
        .option('--tenant <id>', "one tenant's boxes")
        .option('--limit <n>', 'at most this many (1-500)', positiveInt),
    ).action(
      async (options: { status?: string; provider?: string; tenant?: string; limit?: number; json?: boolean }) => {
        const client = await context.client();
        const reply = await client.get<BoxList>('/v1/operator/boxes', {
          status: options.status,
          provider: options.provider,
          tenantId: options.tenant,
          limit: options.limit,
        });
        context.print(options, reply, (r) => renderTable(r.boxes, BOX_COLUMNS));
      },
    );

    for (const name of ['show', 'health']) {
      withJson(
        boxes
          .command(name)
          .description('one box: status and why, last health answer, figures, reconnect backoff')
          .argument('<id>'),
      ).action(async (id: string, options: { json?: boolean }) => {
        const client = await context.client();
        const health = await client.get<BoxHealth>(`/v1/operator/boxes/${encodeURIComponent(id)}/health`);
        context.print(options, health, renderHealth);
      });
    }

    withJson(
      boxes
        .command('repin')
        .description("pin a box's changed SSH host key after checking it out of band (the box must present it)")
        .argument('<id>')
        .requiredOption('--fingerprint <SHA256:...>', 'the new host key, as ssh-keygen -l prints it')
        .requiredOption('--reason <text>', 'why the key changed (kept in the audit log)'),
    ).action(async (id: string, options: { fingerprint: string; reason: string; json?: boolean }) => {
      const client = await context.client();
      const reply = await client.post<Repinned>(`/v1/operator/boxes/${encodeURIComponent(id)}/host-key`, {
        fingerprint: options.fingerprint,
        reason: options.reason,
      });
      context.print(
        options,
        reply,
        (r) =>
          `Box ${r.boxId} pinned to ${r.fingerprint} (was ${r.previous ?? 'none'}); status ${r.status}, ${r.resolvedAlerts} alert(s) resolved.\n`,
      );
    });
  },
};

function renderHealth(h: BoxHealth): string {
  return renderRecord([
    ['box', h.boxId],
    ['tenant', h.tenantId],
    ['status', h.status],
    ['reason', h.statusReason],
    ['runtime', h.runtimeVersion],
    ['last seen', when(h.lastSeenAt)],
    ['health checked', when(h.healthCheckedAt)],
    ['disk', h.diskUsedBytes && h.diskTotalBytes ? `${h.diskUsedBytes} / ${h.diskTotalBytes} bytes` : null],
    ['health', h.health],
    ['reconnect', h.reconnect],
  ]);
}
