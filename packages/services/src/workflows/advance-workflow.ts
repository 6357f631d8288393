import { AppError } from '@paddock/contracts';
import type { PrismaClient } from '@paddock/db';
import { enqueueJob, type Queues, createPrismaJobRecords } from '@paddock/jobs';
import type { Logger } from '@paddock/platform';
import type { WorkflowRegistry } from './define-workflow';
import { readWorkflowState, stepOutputs, workflowJobId } from './workflow-state';

export interface AdvanceDeps {
  prisma: PrismaClient;
  queues: Queues;
  workflows: WorkflowRegistry;
}

export interface AdvanceContext {
  attempt: number;
  finalAttempt: boolean;
  signal: AbortSignal;
  logger: Logger;
}

export type AdvanceResult =
  | { workflowId: string; step: string; outcome: 'step_succeeded'; next: string | null }
  | { workflowId: string; outcome: 'skipped'; reason: string };

/**
 * The `workflow.advance` job: runs the first step of the workflow that has not succeeded yet, records it, then
 * enqueues the next step as its own job (so each step has its own retries and its own job record). A step that
 * fails on its last attempt parks the workflow as failed with the reason; `retryWorkflow` resumes it from there.
 */
export async function advanceWorkflow(
  deps: AdvanceDeps,
  payload: { workflowId: string; round: number },
  context: AdvanceContext,
): Promise<AdvanceResult> {
  const workflow = await deps.prisma.workflow.findUnique({ where: { id: payload.workflowId } });
  if (!workflow) throw new AppError('not_found', `No workflow ${payload.workflowId}.`);
  const state = readWorkflowState(workflow.state);
  if (workflow.status !== 'running') return { workflowId: workflow.id, outcome: 'skipped', reason: workflow.status };
  if (state.round !== payload.round) return { workflowId: workflow.id, outcome: 'skipped', reason: 'superseded round' };
  const definition = deps.workflows[workflow.kind];
  if (!definition) throw new AppError('internal', `No definition for workflow kind ${workflow.kind}.`);

  const index = definition.steps.findIndex((step) => !state.steps[step.name]);
  if (index === -1) {
    await finish(deps.prisma, definition, workflow);
    return { workflowId: workflow.id, outcome: 'skipped', reason: 'all steps done' };
  }
  const step = definition.steps[index];
  if (!step) throw new AppError('internal', 'step index out of range');
  await deps.prisma.workflow.update({
    where: { id: workflow.id },
    data: { currentStep: step.name, attempts: { increment: 1 } },
  });

  let output: unknown;
  try {
    output = await step.run({
      prisma: deps.prisma,
      workflowId: workflow.id,
      tenantId: workflow.tenantId,
      boxId: workflow.boxId,
      outputs: stepOutputs(state),
      attempt: context.attempt,
      signal: context.signal,
      logger: context.logger.child({ workflowId: workflow.id, step: step.name }),
    });
  } catch (error) {
    // A run whose job lock was lost (or whose time ran out) is no longer the job's: another worker may be running
    // the step now, and parking the workflow or writing its error would overwrite that run's state.
    if (context.signal.aborted) throw error;
    const reason = `${step.name}: ${error instanceof Error ? error.message : String(error)}`;
    if (context.finalAttempt) await park(deps.prisma, definition, workflow, reason);
    else await deps.prisma.workflow.update({ where: { id: workflow.id }, data: { error: reason } });
    throw error;
  }

  // A run that lost its job lock while the step ran (a worker paused past the lock: the job was taken over) leaves
  // the record and the next step to the run that owns the job now, instead of overwriting its output.
  if (context.signal.aborted) {
    throw new Error(`${step.name}: this run of the step no longer owns its job (${String(context.signal.reason)})`);
  }
  // Merged in SQL so a concurrent writer of another key never loses its write to ours.
  const record = {
    status: 'succeeded',
    finishedAt: new Date().toISOString(),
    attempts: context.attempt,
    output: output ?? null,
  };
  await deps.prisma.$executeRaw`
    UPDATE workflows
       SET state = jsonb_set(jsonb_set(state, '{steps}', coalesce(state->'steps', '{}'::jsonb)), ${['steps', step.name]}::text[], ${JSON.stringify(record)}::jsonb),
           error = NULL,
           updated_at = now()
     WHERE id = ${workflow.id}::uuid`;

  const next = definition.steps[index + 1];
  if (!next) {
    await finish(deps.prisma, definition, workflow);
    return { workflowId: workflow.id, step: step.name, outcome: 'step_succeeded', next: null };
  }
  await enqueueJob(
    { queues: deps.queues, records: createPrismaJobRecords(deps.prisma) },
    'workflow.advance',
    { workflowId: workflow.id, round: state.round },
    {
      jobId: workflowJobId(workflow.id, state.round, index + 1),
      tenantId: workflow.tenantId,
      boxId: workflow.boxId ?? undefined,
    },
  );
  return { workflowId: workflow.id, step: step.name, outcome: 'step_succeeded', next: next.name };
}

type WorkflowRow = { id: string; tenantId: string };

async function finish(
  prisma: PrismaClient,
  definition: WorkflowRegistry[keyof WorkflowRegistry],
  workflow: WorkflowRow,
) {
  await prisma.$transaction(async (tx) => {
    const updated = await tx.workflow.updateMany({
      where: { id: workflow.id, status: 'running' },
      data: { status: 'succeeded', currentStep: null, error: null, finishedAt: new Date() },
    });
    if (updated.count === 1) await definition?.onSucceeded?.(tx as unknown as PrismaClient, workflow);
  });
}

async function park(
  prisma: PrismaClient,
  definition: WorkflowRegistry[keyof WorkflowRegistry],
  workflow: WorkflowRow,
  reason: string,
) {
  await prisma.$transaction(async (tx) => {
    const updated = await tx.workflow.updateMany({
      where: { id: workflow.id, status: 'running' },
      data: { status: 'failed', error: reason.slice(0, 4_000), finishedAt: new Date() },
    });
    if (updated.count === 1) await definition?.onFailed?.(tx as unknown as PrismaClient, workflow, reason);
  });
}
