import { AppError } from '@paddock/contracts';
import type { Subscription } from '@paddock/db';
import { BILLING_TX, type Tx } from '../invoices/invoice-numbers';
import { operatorActor, type RequestFacts, writeAudit } from '../audit/audit-entry';
import type { ServiceClients } from '../clients';

export interface SpanView {
  id: string;
  plan: string;
  status: string;
  startedAt: string;
  endedAt: string | null;
  trialEndsAt: string | null;
  afterTrialPlan: string | null;
}

export interface ChangePlanInput {
  tenantId: string;
  plan: string;
  reason: string;
  trial?: { days: number; thenPlan: string | null } | undefined;
}

/**
 * An operator moves a tenant to another plan now: the open span ends and the new one starts at the same instant, so
 * the month's invoice charges each plan its share (proration, packages/billing). With `trial`, the new span is a
 * trial that the scheduled check ends into `trial.thenPlan` or, when null, a suspension. Audited with the reason.
 */
export async function changeTenantPlan(
  { prisma }: Pick<ServiceClients, 'prisma'>,
  actor: { userId: string; email: string },
  input: ChangePlanInput,
  request: RequestFacts = {},
): Promise<{ ended: SpanView | null; started: SpanView }> {
  return prisma.$transaction(async (tx) => {
    // One plan change per tenant at a time: the tenant row is the lock.
    const locked = await tx.$queryRaw<Array<{ status: string }>>`
      SELECT status::text AS status FROM tenants WHERE id = ${input.tenantId}::uuid FOR UPDATE`;
    const tenant = locked[0];
    if (!tenant) throw new AppError('not_found', `There is no tenant ${input.tenantId}.`);
    if (tenant.status === 'deleting' || tenant.status === 'deleted') {
      throw new AppError('conflict', `Tenant ${input.tenantId} is ${tenant.status}: its plan can no longer change.`);
    }
    const plan = await activePlan(tx, input.plan, 'plan');
    const after = input.trial?.thenPlan ? await activePlan(tx, input.trial.thenPlan, 'trial.thenPlan') : null;
    const open = await tx.subscription.findFirst({
      where: { tenantId: input.tenantId, status: { not: 'canceled' } },
      include: { plan: { select: { code: true } } },
    });
    if (open && open.planId === plan.id && !input.trial && open.status !== 'trialing') {
      throw new AppError('conflict', `Tenant ${input.tenantId} is already on plan ${plan.code}.`);
    }
    const now = new Date();
    let ended: (Subscription & { plan: { code: string } }) | null = null;
    if (open) {
      // Never end a span before it started (a change in the same millisecond as the last one keeps order).
      const at = open.startedAt > now ? open.startedAt : now;
      ended = await tx.subscription.update({
        where: { id: open.id },
        data: { status: 'canceled', canceledAt: at, endedAt: at },
        include: { plan: { select: { code: true } } },
      });
    }
    const startedAt = ended?.endedAt ?? now;
    const trialEndsAt = input.trial ? new Date(startedAt.getTime() + input.trial.days * 86_400_000) : null;
    const started = await tx.subscription.create({
      data: {
        tenantId: input.tenantId,
        planId: plan.id,
        status: input.trial ? 'trialing' : 'active',
        startedAt,
        currentPeriodStart: startedAt,
        currentPeriodEnd: trialEndsAt ?? monthEnd(startedAt),
        trialEndsAt,
        afterTrialPlanId: after?.id ?? null,
      },
      include: { plan: { select: { code: true } } },
    });
    await tx.tenant.update({ where: { id: input.tenantId }, data: { planId: plan.id } });
    await writeAudit(
      { prisma: tx },
      {
        actor: operatorActor(actor),
        action: input.trial ? 'subscription.start_trial' : 'subscription.change_plan',
        tenantId: input.tenantId,
        target: { type: 'tenant', id: input.tenantId },
        before: { plan: ended?.plan.code ?? null },
        after: { plan: plan.code },
        request,
        details: {
          reason: input.reason,
          fromPlan: ended?.plan.code ?? null,
          toPlan: plan.code,
          at: startedAt.toISOString(),
          trialEndsAt: trialEndsAt?.toISOString() ?? null,
          afterTrial: input.trial ? (after?.code ?? 'suspend') : null,
        },
      },
    );
    return { ended: ended ? spanView(ended, null) : null, started: spanView(started, after?.code ?? null) };
  }, BILLING_TX);
}

async function activePlan(tx: Tx, code: string, field: string) {
  const plan = await tx.plan.findUnique({ where: { code } });
  if (!plan?.active) {
    throw new AppError('validation_failed', `There is no active plan "${code}".`, {
      details: [{ path: `body.${field}`, message: 'must be the code of an active plan' }],
    });
  }
  return plan;
}

function monthEnd(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
}

export function spanView(span: Subscription & { plan: { code: string } }, afterTrialPlan: string | null): SpanView {
  return {
    id: span.id,
    plan: span.plan.code,
    status: span.status,
    startedAt: span.startedAt.toISOString(),
    endedAt: span.endedAt?.toISOString() ?? null,
    trialEndsAt: span.trialEndsAt?.toISOString() ?? null,
    afterTrialPlan,
  };
}
