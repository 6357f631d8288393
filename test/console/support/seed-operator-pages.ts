import type { PrismaClient } from '@paddock/db';

const DAY_MS = 86_400_000;
const PICOS_PER_MICRO = 1_000_000n;

/**
 * Tenants for the operator pages' browser tests, written straight to PostgreSQL (what signup would make, minus the
 * boxes' work): names with ties and mixed case so a sort has something to get wrong, statuses mixed.
 */
export async function seedTenants(prisma: PrismaClient, count: number): Promise<string> {
  const plan = await prisma.plan.create({
    data: { code: 'console-pages', name: 'Team', priceMinor: 4900, provider: 'local' },
  });
  await prisma.$executeRaw`
    INSERT INTO tenants (slug, name, status, plan_id, created_at)
    SELECT 'ws-' || lpad(i::text, 3, '0'),
           (ARRAY['Northwind', 'acme', 'Acme', 'Globex', 'initech', 'Umbrella', 'Hooli', 'Stark'])[1 + i % 8]
             || ' ' || (i % 5),
           (ARRAY['active', 'active', 'suspended', 'provisioning_failed', 'provisioning'])[1 + i % 5]::tenant_status,
           ${plan.id}::uuid, now() - make_interval(mins => i)
      FROM generate_series(1, ${count}::int) i`;
  return plan.id;
}

/**
 * One tenant with something on every section of its page: a box, 14 days of model usage (priced) and box time, an
 * issued invoice and an open alert. Answers what it charged in all (micros), for the page's figure.
 */
export async function seedTenantActivity(prisma: PrismaClient, planId: string) {
  const tenant = await prisma.tenant.create({
    data: { slug: 'zz-showcase', name: 'Showcase Labs', status: 'active', planId, activatedAt: new Date() },
  });
  const box = await prisma.box.create({
    data: { tenantId: tenant.id, provider: 'local', status: 'ready', address: '127.77.0.9', runtimeVersion: '0.9.1' },
  });
  let usageMicros = 0n;
  for (let day = 0; day < 14; day += 1) {
    const at = new Date(Date.now() - day * DAY_MS);
    const micros = BigInt(20_000 + ((day * 7_919) % 60_000));
    usageMicros += micros;
    await prisma.usageEvent.create({
      data: {
        tenantId: tenant.id,
        boxId: box.id,
        idempotencyKey: `${box.id}:seed:${day}`,
        runtimeRunId: 'seed',
        seq: day + 1,
        type: 'usage',
        chainName: 'triage',
        stepName: 'summarise',
        model: 'claude-sonnet',
        tokensIn: 12_000 + day * 900,
        tokensOut: 3_000 + day * 250,
        rating: 'priced',
        chargedPicos: micros * PICOS_PER_MICRO,
        reportedCostMicros: (micros * 6n) / 10n,
        occurredAt: at,
      },
    });
    await prisma.costEntry.create({
      data: {
        tenantId: tenant.id,
        boxId: box.id,
        kind: 'box_time',
        description: 'box time',
        quantity: 86_400_000n,
        unit: 'ms',
        amountMicros: 160_000n,
        sourceKey: `box:${box.id}:seed:${day}`,
        occurredAt: at,
      },
    });
  }
  const monthStart = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 1, 1));
  const invoice = await prisma.invoice.create({
    data: {
      tenantId: tenant.id,
      number: 'PDK-2026-000042',
      status: 'issued',
      periodStart: monthStart,
      periodEnd: new Date(Date.UTC(monthStart.getUTCFullYear(), monthStart.getUTCMonth() + 1, 1)),
      subtotalMinor: 7412,
      totalMinor: 7412,
      issuedAt: new Date(),
    },
  });
  await prisma.alert.create({
    data: {
      tenantId: tenant.id,
      boxId: box.id,
      severity: 'warning',
      code: 'watchdog_killed',
      message: 'Step summarise was idle for 10 minutes and was stopped.',
      dedupeKey: `seed:${tenant.id}`,
      occurrences: 3,
    },
  });
  return { tenantId: tenant.id, boxId: box.id, usageMicros, invoiceNumber: invoice.number };
}
