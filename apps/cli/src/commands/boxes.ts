import type { Command } from 'commander';
import type { BoxExec, BoxHealth, BoxList, Repinned } from '../api-types';
import { runBoxShell } from '../box-shell';
import { type CommandContext, type CommandGroup, positiveInt, withJson } from '../command-context';
import { CliError } from '../errors';
import { renderJson, renderRecord, renderTable, when } from '../output';

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

/** `paddock boxes list|show|health|ssh|repin` over /v1/operator/boxes. */
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
        .command('ssh')
        .description(
          "a shell on a box through the control plane's key and the pinned host key (audited); with a command after --, runs it and prints its output",
        )
        .argument('<id>')
        .argument('[command...]', 'run this instead of a shell, word by word (a pipeline: -- sh -c "a | b")')
        .option('--timeout <seconds>', 'longest the command may run (1-600, default 60)', positiveInt),
    ).action(async (id: string, command: string[], options: { timeout?: number; json?: boolean }) => {
      const client = await context.client();
      const path = `/v1/operator/boxes/${encodeURIComponent(id)}`;
      if (command.length === 0) {
        if (options.json) throw new CliError('--json needs a command: an interactive shell has no JSON reply', 2);
        await runBoxShell(client, id, context.io);
        return;
      }
      const reply = await client.post<BoxExec>(`${path}/exec`, {
        argv: command,
        ...(options.timeout ? { timeoutSeconds: options.timeout } : {}),
      });
      if (options.json) {
        context.io.stdout.write(renderJson(reply));
      } else {
        context.io.stdout.write(reply.stdout);
        context.io.stderr.write(reply.stderr);
      }
      if (reply.exitCode !== 0) throw new CliError(`the command exited with ${reply.exitCode} on box ${id}`);
    });

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
