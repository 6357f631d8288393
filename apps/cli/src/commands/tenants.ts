import type { Command } from 'commander';
import type { TenantDetail, TenantList, WorkflowRetried, WorkflowStarted } from '../api-types';
import { type CommandContext, type CommandGroup, positiveInt, withJson } from '../command-context';
import { CliError } from '../errors';
import { renderRecord, renderTable, when } from '../output';

type Tenant = TenantList['tenants'][number];

const TENANT_COLUMNS = [
  { header: 'ID', value: (t: Tenant) => t.id },
  { header: 'SLUG', value: (t: Tenant) => t.slug },
  { header: 'STATUS', value: (t: Tenant) => t.status },
  { header: 'PLAN', value: (t: Tenant) => t.plan.code },
  { header: 'BOX', value: (t: Tenant) => (t.box ? `${t.box.status} ${t.box.address ?? ''}`.trim() : null) },
  { header: 'OWNER', value: (t: Tenant) => t.ownerEmail },
  { header: 'CREATED', value: (t: Tenant) => when(t.createdAt) },
];

/** `paddock tenants list|show|suspend|resume|delete|retry` over /v1/operator/tenants and /v1/operator/workflows. */
export const tenantCommands: CommandGroup = {
  register(program: Command, context: CommandContext) {
    const tenants = program.command('tenants').description('find tenants, see why one is parked, act on them');

    withJson(
      tenants
        .command('list')
        .description('tenants, newest first')
        .option('--status <status>', 'provisioning, provisioning_failed, active, suspended, deleting, deleted')
        .option('-q, --query <prefix>', 'a prefix of the slug, the name or an email')
        .option('--limit <n>', 'at most this many (1-200)', positiveInt)
        .option('--cursor <cursor>', 'the next page (printed under a full page)'),
    ).action(async (options: { status?: string; query?: string; limit?: number; cursor?: string; json?: boolean }) => {
      const client = await context.client();
      const reply = await client.get<TenantList>('/v1/operator/tenants', {
        status: options.status,
        q: options.query,
        limit: options.limit,
        cursor: options.cursor,
      });
      context.print(options, reply, (r) => {
        const more = r.nextCursor ? `More: paddock tenants list --cursor ${r.nextCursor}\n` : '';
        return `${renderTable(r.tenants, TENANT_COLUMNS)}${more}`;
      });
    });

    withJson(tenants.command('show').description('one tenant: box, workflows, chains, audit').argument('<id>')).action(
      async (id: string, options: { json?: boolean }) => {
        const client = await context.client();
        const tenant = await client.get<TenantDetail>(`/v1/operator/tenants/${encodeURIComponent(id)}`);
        context.print(options, tenant, renderTenant);
      },
    );

    for (const kind of ['suspend', 'resume', 'delete'] as const) {
      const command = tenants
        .command(kind)
        .description(
          kind === 'delete'
            ? 'delete a tenant: destroys its box, keeps its billing records (needs --yes)'
            : `${kind} a tenant (a ${kind} workflow)`,
        )
        .argument('<id>')
        .option('--idempotency-key <key>', 'repeat-safe key (8-255 characters)');
      if (kind === 'delete') command.option('--yes', 'confirm the deletion');
      withJson(command).action(
        async (id: string, options: { idempotencyKey?: string; yes?: boolean; json?: boolean }) => {
          if (kind === 'delete' && !options.yes) throw new CliError('deleting a tenant destroys its box: add --yes', 2);
          const client = await context.client();
          const reply = await client.post<WorkflowStarted>(
            '/v1/operator/workflows',
            { kind, tenantId: id },
            options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : undefined,
          );
          context.print(options, reply, (r) =>
            r.created
              ? `Started ${kind} workflow ${r.workflowId}.\n`
              : `A ${kind} workflow is already there: ${r.workflowId}.\n`,
          );
        },
      );
    }

    withJson(
      tenants
        .command('retry')
        .description("retry the tenant's failed workflow from the step that failed")
        .argument('<id>'),
    ).action(async (id: string, options: { json?: boolean }) => {
      const client = await context.client();
      const tenant = await client.get<TenantDetail>(`/v1/operator/tenants/${encodeURIComponent(id)}`);
      const failed = tenant.statusWorkflow?.status === 'failed' ? tenant.statusWorkflow : null;
      if (!failed)
        throw new CliError(`tenant ${tenant.slug} has no failed workflow to retry (status ${tenant.status})`);
      const reply = await client.post<WorkflowRetried>(`/v1/operator/workflows/${failed.id}/retry`, {});
      context.print(options, reply, (r) => `Retrying ${failed.kind} workflow ${r.workflowId} (round ${r.round}).\n`);
    });
  },
};

function renderTenant(t: TenantDetail): string {
  const parts = [
    renderRecord([
      ['id', t.id],
      ['slug', t.slug],
      ['name', t.name],
      ['status', t.status],
      ['reason', t.statusReason],
      ['plan', `${t.plan.code} (${t.plan.name})`],
      ['owner', t.ownerEmail],
      ['box', t.box ? `${t.box.id} ${t.box.status} ${t.box.address ?? ''}`.trim() : null],
      ['box reason', t.box?.statusReason],
      ['runtime', t.box?.runtimeVersion],
      ['created', when(t.createdAt)],
      ['activated', when(t.activatedAt)],
      ['suspended', when(t.suspendedAt)],
    ]),
  ];
  if (t.workflows.length > 0) {
    parts.push(
      'Workflows\n',
      renderTable(t.workflows, [
        { header: 'ID', value: (w) => w.id },
        { header: 'KIND', value: (w) => w.kind },
        { header: 'STATUS', value: (w) => w.status },
        { header: 'STEP', value: (w) => w.currentStep },
        { header: 'ERROR', value: (w) => w.error },
        { header: 'CREATED', value: (w) => when(w.createdAt) },
      ]),
    );
  }
  if (t.chains.length > 0) {
    parts.push(
      'Chains\n',
      renderTable(t.chains, [
        { header: 'NAME', value: (c) => c.name },
        { header: 'ACTIVE', value: (c) => c.activeVersion },
        { header: 'KNOWN GOOD', value: (c) => c.lastKnownGoodVersion },
        {
          header: 'LATEST',
          value: (c) => (c.latestVersion ? `${c.latestVersion.version} ${c.latestVersion.status}` : null),
        },
      ]),
    );
  }
  if (t.audit.length > 0) {
    parts.push(
      'Audit\n',
      renderTable(t.audit, [
        { header: 'WHEN', value: (a) => when(a.createdAt) },
        { header: 'ACTOR', value: (a) => a.actorLabel },
        { header: 'ACTION', value: (a) => a.action },
        { header: 'TARGET', value: (a) => (a.targetType ? `${a.targetType} ${a.targetId ?? ''}`.trim() : null) },
      ]),
    );
  }
  return parts.join('');
}
