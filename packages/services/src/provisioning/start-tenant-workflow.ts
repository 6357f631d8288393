import { randomUUID } from 'node:crypto';
import { AppError } from '@paddock/contracts';
import type { PrismaClient, TenantStatus } from '@paddock/db';
import type { Queues } from '@paddock/jobs';
import { operatorActor, type RequestFacts, writeAudit } from '../audit/audit-entry';
import { retryWorkflow } from '../workflows/retry-workflow';
import { startWorkflow } from '../workflows/start-workflow';

export type TenantWorkflowKind = 'suspend' | 'resume' | 'delete';

/** Which tenant states each operator action starts from. */
const ALLOWED_FROM: Record<TenantWorkflowKind, TenantStatus[]> = {
  suspend: ['active'],
  resume: ['suspended'],
  delete: ['active', 'suspended', 'provisioning_failed', 'provisioning'],
};

export interface Actor {
  userId: string;
  email: string;
}

/**
 * An operator starts suspend, resume or delete for a tenant. One workflow at a time per tenant (a second is a 409
 * naming the running one); `requestKey` (the Idempotency-Key) makes a repeated request find the same workflow.
 */
export async function startTenantWorkflow(
  deps: { prisma: PrismaClient; queues: Queues },
  input: { kind: TenantWorkflowKind; tenantId: string; requestKey?: string | undefined },
  actor: Actor,
  request: RequestFacts = {},
): Promise<{ workflowId: string; created: boolean }> {
  const key = `${input.kind}:${input.tenantId}:${input.requestKey ?? randomUUID()}`;
  const existing = await deps.prisma.workflow.findUnique({ where: { key }, select: { id: true, tenantId: true } });
  if (existing) {
    if (existing.tenantId !== input.tenantId) throw new AppError('idempotency_conflict', 'Idempotency-Key reused.');
    await startWorkflow(deps, { kind: input.kind, key, tenantId: input.tenantId });
    return { workflowId: existing.id, created: false };
  }
  await deps.prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`tenant-workflow:${input.tenantId}`}))`;
    const tenant = await tx.tenant.findUnique({ where: { id: input.tenantId }, select: { status: true } });
    if (!tenant) throw new AppError('not_found', `No tenant ${input.tenantId}.`);
    if (!ALLOWED_FROM[input.kind].includes(tenant.status)) {
      throw new AppError(
        'conflict',
        `Tenant ${input.tenantId} is ${tenant.status}; ${input.kind} is not possible now.`,
      );
    }
    const running = await tx.workflow.findFirst({
      where: { tenantId: input.tenantId, status: 'running' },
      select: { id: true, kind: true },
    });
    // Deleting a tenant whose provisioning is still running would race its box creation; wait for it to settle.
    if (running) {
      throw new AppError(
        'conflict',
        `Tenant ${input.tenantId} has a ${running.kind} workflow running (${running.id}).`,
      );
    }
    await tx.workflow.create({
      data: { kind: input.kind, key, tenantId: input.tenantId, state: { round: 0, steps: {} } },
    });
    if (input.kind === 'delete') {
      await tx.tenant.update({ where: { id: input.tenantId }, data: { status: 'deleting', statusReason: null } });
    }
    await writeAudit(
      { prisma: tx },
      {
        actor: operatorActor(actor),
        action: `tenant.${input.kind}`,
        tenantId: input.tenantId,
        target: { type: 'tenant', id: input.tenantId },
        details: { key },
        before: { status: tenant.status },
        request,
      },
    );
  });
  // The row exists: this adds its first job (and is what a repeated request repeats).
  const { workflowId } = await startWorkflow(deps, { kind: input.kind, key, tenantId: input.tenantId });
  return { workflowId, created: true };
}

/**
 * An operator's retry of a parked workflow (resumes from the failed step). A provisioning tenant goes back from
 * `provisioning_failed` to `provisioning` while it runs again.
 */
export async function retryTenantWorkflow(
  deps: { prisma: PrismaClient; queues: Queues },
  workflowId: string,
  actor: Actor,
  request: RequestFacts = {},
): Promise<{ workflowId: string; round: number }> {
  const result = await retryWorkflow(deps, workflowId, actor, request);
  const workflow = await deps.prisma.workflow.findUniqueOrThrow({ where: { id: workflowId } });
  if (workflow.kind === 'provision') {
    await deps.prisma.tenant.updateMany({
      where: { id: workflow.tenantId, status: 'provisioning_failed' },
      data: { status: 'provisioning', statusReason: null },
    });
  }
  return result;
}
