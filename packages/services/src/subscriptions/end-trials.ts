import type { PrismaClient } from '@paddock/db';
import type { Queues } from '@paddock/jobs';
import { BILLING_TX } from '../invoices/invoice-numbers';
import { startWorkflow } from '../workflows/start-workflow';
import { writeAudit } from '../audit/audit-entry';

/** Workflow keys of suspensions a trial's end started (the suspend workflow names this reason on the tenant). */
export const TRIAL_SUSPEND_KEY_PREFIX = 'suspend:trial:';

export interface EndTrialsResult {
  converted: number;
  suspended: number;
  /** Trials due whose tenant had another workflow running: left for the next check. */
  deferred: number;
}

/**
 * The scheduled trial check: every trial whose end has passed ends, at its end instant, into its follow-up plan (a
 * new span from that instant, so the month's fee is prorated from there) or, without one, into a suspension of the
 * tenant (the suspend workflow, started by the system and audited). Each trial is handled in its own transaction
 * with its row locked (SKIP LOCKED), so any number of workers may run the check at once.
 */
export async function endDueTrials(
  deps: { prisma: PrismaClient; queues: Queues },
  now: Date = new Date(),
): Promise<EndTrialsResult> {
  const result: EndTrialsResult = { converted: 0, suspended: 0, deferred: 0 };
  const skipped = new Set<string>();
  for (;;) {
    const outcome = await endOneTrial(deps.prisma, now, [...skipped]);
    if (outcome === null) break;
    if (outcome.kind === 'deferred') {
      skipped.add(outcome.subscriptionId);
      result.deferred++;
    } else if (outcome.kind === 'converted') {
      result.converted++;
    } else {
      result.suspended++;
    }
  }
  // The workflow rows were written with the trial's end; their first jobs go to Redis now (and again on every run
  // while they run: adding a step's job twice is a no-op, so a crash between the two never strands a suspension).
  const pending = await deps.prisma.workflow.findMany({
    where: { kind: 'suspend', status: 'running', key: { startsWith: TRIAL_SUSPEND_KEY_PREFIX } },
    select: { key: true, tenantId: true },
    take: 1_000,
  });
  for (const workflow of pending) {
    await startWorkflow(deps, { kind: 'suspend', key: workflow.key, tenantId: workflow.tenantId });
  }
  return result;
}

type Outcome =
  | { kind: 'converted' | 'suspended'; subscriptionId: string }
  | { kind: 'deferred'; subscriptionId: string }
  | null;

async function endOneTrial(prisma: PrismaClient, now: Date, skip: string[]): Promise<Outcome> {
  return prisma.$transaction(async (tx) => {
    const due = await tx.$queryRaw<Array<{ id: string }>>`
      SELECT id::text AS id FROM subscriptions
       WHERE status = 'trialing' AND trial_ends_at <= ${now} AND NOT (id = ANY(${skip}::uuid[]))
       ORDER BY trial_ends_at LIMIT 1 FOR UPDATE SKIP LOCKED`;
    const id = due[0]?.id;
    if (!id) return null;
    const trial = await tx.subscription.findUniqueOrThrow({
      where: { id },
      include: { plan: { select: { code: true } }, afterTrialPlan: { select: { id: true, code: true } } },
    });
    const end = trial.trialEndsAt ?? now;
    const tenantId = trial.tenantId;
    // The same lock operators' suspend/resume/delete take: one workflow per tenant at a time.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`tenant-workflow:${tenantId}`}))`;
    const tenant = await tx.tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { status: true } });
    const suspend = !trial.afterTrialPlan && tenant.status === 'active';
    if (suspend) {
      const running = await tx.workflow.findFirst({ where: { tenantId, status: 'running' }, select: { id: true } });
      if (running) return { kind: 'deferred', subscriptionId: id };
    }
    await tx.subscription.update({
      where: { id },
      data: { status: 'canceled', endedAt: end, canceledAt: end },
    });
    const audit = (action: string, details: Record<string, string | null>) =>
      writeAudit(
        { prisma: tx },
        {
          actor: { type: 'system', label: 'trial check' },
          action: action,
          tenantId: tenantId,
          target: { type: 'tenant', id: tenantId },
          details: { subscriptionId: id, trialPlan: trial.plan.code, endedAt: end.toISOString(), ...details },
        },
      );
    if (trial.afterTrialPlan) {
      await tx.subscription.create({
        data: {
          tenantId,
          planId: trial.afterTrialPlan.id,
          status: 'active',
          startedAt: end,
          currentPeriodStart: end,
          currentPeriodEnd: new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() + 1, 1)),
        },
      });
      await tx.tenant.update({ where: { id: tenantId }, data: { planId: trial.afterTrialPlan.id } });
      await audit('subscription.trial_converted', { toPlan: trial.afterTrialPlan.code });
      return { kind: 'converted', subscriptionId: id };
    }
    if (suspend) {
      await tx.workflow.create({
        data: {
          kind: 'suspend',
          key: `${TRIAL_SUSPEND_KEY_PREFIX}${id}`,
          tenantId,
          state: { round: 0, steps: {} },
        },
      });
    }
    await audit('subscription.trial_expired', { suspension: suspend ? 'started' : `not needed (${tenant.status})` });
    return { kind: 'suspended', subscriptionId: id };
  }, BILLING_TX);
}
