import type { Command } from 'commander';
import type { WorkflowDetail, WorkflowList, WorkflowRetried } from '../api-types';
import { type CommandContext, type CommandGroup, positiveInt, withJson } from '../command-context';
import { renderRecord, renderTable, when } from '../output';

/** `paddock workflows list|show|retry` over /v1/operator/workflows. */
export const workflowCommands: CommandGroup = {
  register(program: Command, context: CommandContext) {
    const workflows = program.command('workflows').description('tenant workflows: provision, suspend, resume, delete');

    withJson(
      workflows
        .command('list')
        .description('workflows, newest first')
        .option('--status <status>', 'running, succeeded, failed, canceled')
        .option('--kind <kind>', 'provision, suspend, resume, delete')
        .option('--tenant <id>', "one tenant's workflows")
        .option('--limit <n>', 'at most this many (1-200)', positiveInt)
        .option('--before <iso>', 'created before this time (the next page)'),
    ).action(
      async (options: {
        status?: string;
        kind?: string;
        tenant?: string;
        limit?: number;
        before?: string;
        json?: boolean;
      }) => {
        const client = await context.client();
        const reply = await client.get<WorkflowList>('/v1/operator/workflows', {
          status: options.status,
          kind: options.kind,
          tenantId: options.tenant,
          limit: options.limit,
          before: options.before,
        });
        context.print(options, reply, (r) =>
          renderTable(r.workflows, [
            { header: 'ID', value: (w) => w.id },
            { header: 'KIND', value: (w) => w.kind },
            { header: 'TENANT', value: (w) => w.tenant.slug },
            { header: 'STATUS', value: (w) => w.status },
            { header: 'STEP', value: (w) => w.currentStep },
            { header: 'ERROR', value: (w) => w.error },
            { header: 'CREATED', value: (w) => when(w.createdAt) },
          ]),
        );
      },
    );

    withJson(workflows.command('show').description('one workflow with its steps and jobs').argument('<id>')).action(
      async (id: string, options: { json?: boolean }) => {
        const client = await context.client();
        const workflow = await client.get<WorkflowDetail>(`/v1/operator/workflows/${encodeURIComponent(id)}`);
        context.print(options, workflow, (w) =>
          [
            renderRecord([
              ['id', w.id],
              ['kind', w.kind],
              ['tenant', `${w.tenant.slug} (${w.tenantId})`],
              ['status', w.status],
              ['step', w.currentStep],
              ['error', w.error],
              ['round', w.round],
              ['attempts', w.attempts],
              ['created', when(w.createdAt)],
              ['finished', when(w.finishedAt)],
            ]),
            'Jobs\n',
            renderTable(w.jobs, [
              { header: 'JOB', value: (j) => j.jobId },
              { header: 'NAME', value: (j) => j.name },
              { header: 'STATUS', value: (j) => j.status },
              { header: 'ATTEMPTS', value: (j) => j.attempts },
              { header: 'ERROR', value: (j) => j.error },
              { header: 'WORKER', value: (j) => j.workerId },
            ]),
          ].join(''),
        );
      },
    );

    withJson(
      workflows.command('retry').description('retry a failed workflow from the step that failed').argument('<id>'),
    ).action(async (id: string, options: { json?: boolean }) => {
      const client = await context.client();
      const reply = await client.post<WorkflowRetried>(`/v1/operator/workflows/${encodeURIComponent(id)}/retry`, {});
      context.print(options, reply, (r) => `Retrying workflow ${r.workflowId} (round ${r.round}).\n`);
    });
  },
};
