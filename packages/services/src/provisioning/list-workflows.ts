import type { PrismaClient, WorkflowKind, WorkflowStatus } from '@paddock/db';
import { readWorkflowState } from '../workflows/workflow-state';
import type { ServiceClients } from '../clients';

export interface ListWorkflowsInput {
  status?: WorkflowStatus | undefined;
  kind?: WorkflowKind | undefined;
  tenantId?: string | undefined;
  limit: number;
  before?: string | undefined;
}

/** Operators' view of workflows, newest first, pageable back through created_at. */
export async function listWorkflows({ prisma }: Pick<ServiceClients, 'prisma'>, input: ListWorkflowsInput) {
  const rows = await prisma.workflow.findMany({
    where: {
      ...(input.status ? { status: input.status } : {}),
      ...(input.kind ? { kind: input.kind } : {}),
      ...(input.tenantId ? { tenantId: input.tenantId } : {}),
      ...(input.before ? { createdAt: { lt: new Date(input.before) } } : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: input.limit,
    include: { tenant: { select: { slug: true, status: true, statusReason: true } } },
  });
  return rows.map(describeWorkflow);
}

/** One workflow with its steps and their job records (attempts, errors, which worker ran them). */
export async function getWorkflow({ prisma }: Pick<ServiceClients, 'prisma'>, id: string) {
  const row = await prisma.workflow.findUnique({
    where: { id },
    include: { tenant: { select: { slug: true, status: true, statusReason: true } } },
  });
  if (!row) return null;
  // Step jobs are found by their deterministic ids (wf-<id>-r<round>-s<step>); the signup's job by workflow_id.
  const jobs = await prisma.jobRecord.findMany({
    where: { OR: [{ workflowId: id }, { jobId: { startsWith: `wf-${id}-` } }] },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return {
    ...describeWorkflow(row),
    jobs: jobs.map((job) => ({
      id: job.id,
      jobId: job.jobId,
      name: job.name,
      status: job.status,
      attempts: job.attempts,
      error: job.error,
      workerId: job.workerId,
      createdAt: job.createdAt.toISOString(),
      finishedAt: job.finishedAt?.toISOString() ?? null,
    })),
  };
}

type WorkflowRow = Awaited<ReturnType<PrismaClient['workflow']['findUniqueOrThrow']>> & {
  tenant: { slug: string; status: string; statusReason: string | null };
};

function describeWorkflow(row: WorkflowRow) {
  const state = readWorkflowState(row.state);
  return {
    id: row.id,
    kind: row.kind,
    key: row.key,
    status: row.status,
    tenantId: row.tenantId,
    tenant: { slug: row.tenant.slug, status: row.tenant.status, statusReason: row.tenant.statusReason },
    boxId: row.boxId,
    currentStep: row.currentStep,
    error: row.error,
    attempts: row.attempts,
    round: state.round,
    steps: Object.entries(state.steps).map(([name, record]) => ({
      name,
      finishedAt: record.finishedAt,
      attempts: record.attempts,
      output: record.output ?? null,
    })),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

export type WorkflowSummary = ReturnType<typeof describeWorkflow>;
