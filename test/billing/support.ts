import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '@paddock/db';

/** Plans of these tests' own (seeded plans are shared rows other tests read). */
export async function seedTestPlans(prisma: PrismaClient) {
  const suffix = randomUUID().slice(0, 8);
  const make = (code: string, name: string, priceMinor: number, includedUsageMicros: bigint, usageMarkupBps: number) =>
    prisma.plan.create({
      data: { code: `${code}-${suffix}`, name, priceMinor, provider: 'local', includedUsageMicros, usageMarkupBps },
    });
  return {
    // $29 with $5 of usage included and +20% on the rest; $99 with $20 included and +10%.
    starter: await make('starter', 'Starter', 2_900, 5_000_000n, 2_000),
    team: await make('team', 'Team', 9_900, 20_000_000n, 1_000),
  };
}

export interface SpanSeed {
  planId: string;
  from: string;
  to?: string;
  status?: 'active' | 'trialing' | 'canceled';
  trialEndsAt?: string;
  afterTrialPlanId?: string | null;
}

/** A tenant that exists since `createdAt`, its plan spans, and a box for its usage rows. */
export async function seedTenant(
  prisma: PrismaClient,
  input: { createdAt: string; spans: SpanSeed[]; status?: 'active' | 'suspended' },
): Promise<{ tenantId: string; boxId: string }> {
  const last = input.spans.at(-1);
  if (!last) throw new Error('seedTenant: a tenant needs a plan span');
  const slug = `t-${randomUUID().slice(0, 12)}`;
  const tenant = await prisma.tenant.create({
    data: {
      slug,
      name: slug,
      status: input.status ?? 'active',
      planId: last.planId,
      createdAt: new Date(input.createdAt),
    },
  });
  for (const span of input.spans) {
    const status = span.status ?? (span.to ? 'canceled' : 'active');
    await prisma.subscription.create({
      data: {
        tenantId: tenant.id,
        planId: span.planId,
        status,
        startedAt: new Date(span.from),
        endedAt: span.to ? new Date(span.to) : null,
        canceledAt: span.to ? new Date(span.to) : null,
        currentPeriodStart: new Date(span.from),
        currentPeriodEnd: new Date(span.to ?? '2100-01-01T00:00:00Z'),
        trialEndsAt: span.trialEndsAt ? new Date(span.trialEndsAt) : null,
        afterTrialPlanId: span.afterTrialPlanId ?? null,
      },
    });
  }
  const box = await prisma.box.create({ data: { tenantId: tenant.id, provider: 'local', status: 'ready' } });
  return { tenantId: tenant.id, boxId: box.id };
}

export interface UsageSeed {
  model: string;
  tokensIn: number;
  tokensOut: number;
  /** The control plane's exact charge (null with rating 'unpriced'). */
  picos: bigint | null;
  occurredAt: string;
}

/** Usage rows as the rating side writes them (received now: `received_at` defaults to the transaction's start). */
export async function seedUsage(
  prisma: PrismaClient,
  owner: { tenantId: string; boxId: string },
  events: UsageSeed[],
): Promise<void> {
  const rows = events.map((e, i) => ({
    key: `${owner.boxId}:run:${randomUUID()}:${i}`,
    seq: i,
    model: e.model,
    tokens_in: e.tokensIn,
    tokens_out: e.tokensOut,
    picos: e.picos === null ? null : e.picos.toString(),
    rating: e.picos === null ? 'unpriced' : 'priced',
    occurred_at: e.occurredAt,
  }));
  await prisma.$executeRaw`
    INSERT INTO usage_events (tenant_id, box_id, idempotency_key, runtime_run_id, seq, type, model, tokens_in, tokens_out,
                              charged_picos, rating, occurred_at)
    SELECT ${owner.tenantId}::uuid, ${owner.boxId}::uuid, key, 'run', seq, 'step_finished', model, tokens_in,
           tokens_out, picos, rating, occurred_at
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(key text, seq int, model text, tokens_in int,
           tokens_out int, picos bigint, rating text, occurred_at timestamptz)`;
}

/** $1 in picos. */
export const DOLLAR_PICOS = 1_000_000_000_000n;
