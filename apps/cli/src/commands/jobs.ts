import type { Command } from 'commander';
import type { Enqueued, JobList, JobRecord } from '../api-types';
import { type CommandContext, type CommandGroup, positiveInt, withJson } from '../command-context';
import { renderRecord, renderTable, when } from '../output';

/** `paddock jobs list|show|probe` over /v1/operator/jobs (job records live in Postgres). */
export const jobCommands: CommandGroup = {
  register(program: Command, context: CommandContext) {
    const jobs = program.command('jobs').description('job records: what the workers ran, are running, will run');

    withJson(
      jobs
        .command('list')
        .description('job records, newest first')
        .option('--status <status>', 'queued, running, retrying, succeeded, failed')
        .option('--name <name>', 'a job name, e.g. workflow.advance')
        .option('--request <id>', 'every job one API request caused (its X-Request-Id)')
        .option('--limit <n>', 'at most this many (1-200)', positiveInt)
        .option('--before <iso>', 'created before this time (the next page)'),
    ).action(
      async (options: {
        status?: string;
        name?: string;
        request?: string;
        limit?: number;
        before?: string;
        json?: boolean;
      }) => {
        const client = await context.client();
        const reply = await client.get<JobList>('/v1/operator/jobs', {
          status: options.status,
          name: options.name,
          requestId: options.request,
          limit: options.limit,
          before: options.before,
        });
        context.print(options, reply, (r) =>
          renderTable(r.jobs, [
            { header: 'ID', value: (j) => j.id },
            { header: 'NAME', value: (j) => j.name },
            { header: 'STATUS', value: (j) => j.status },
            { header: 'ATTEMPTS', value: (j) => `${j.attempts}/${j.maxAttempts ?? '-'}` },
            { header: 'ERROR', value: (j) => j.error },
            { header: 'CREATED', value: (j) => when(j.createdAt) },
          ]),
        );
      },
    );

    withJson(jobs.command('show').description('one job record').argument('<id>')).action(
      async (id: string, options: { json?: boolean }) => {
        const client = await context.client();
        const job = await client.get<JobRecord>(`/v1/operator/jobs/${encodeURIComponent(id)}`);
        context.print(options, job, (j) =>
          renderRecord([
            ['id', j.id],
            ['name', j.name],
            ['queue', j.queue],
            ['job id', j.jobId],
            ['status', j.status],
            ['attempts', `${j.attempts}/${j.maxAttempts ?? '-'}`],
            ['worker', j.workerId],
            ['tenant', j.tenantId],
            ['box', j.boxId],
            ['request', j.requestId],
            ['error', j.error],
            ['output', j.output],
            ['created', when(j.createdAt)],
            ['started', when(j.startedAt)],
            ['finished', when(j.finishedAt)],
          ]),
        );
      },
    );

    withJson(
      jobs
        .command('probe')
        .description('enqueue a probe job that holds a worker for a while (checks the worker fleet end to end)')
        .option('--label <text>', 'a label to find it by', 'cli probe')
        .option('--duration-ms <ms>', 'how long it holds a worker', (v) => Number.parseInt(v, 10), 100),
    ).action(async (options: { label: string; durationMs: number; json?: boolean }) => {
      const client = await context.client();
      const reply = await client.post<Enqueued>('/v1/operator/jobs/probe', {
        label: options.label,
        durationMs: options.durationMs,
      });
      context.print(options, reply, (r) => `Enqueued probe job ${r.jobId} (record ${r.id}).\n`);
    });
  },
};
