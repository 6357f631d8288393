import { createTestDatabase, type TestDatabase } from '@paddock/testkit';
import { verifyPassword } from '@paddock/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, type PrismaClient, DEFAULT_PLANS, seedFirstOperator, seedPlans } from '@paddock/db';

describe('seeds', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrismaClient(db.url);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.drop();
  });

  it('creates the first operator once, from processes starting at once, and returns the password once', async () => {
    const clients = [prisma, createPrismaClient(db.url), createPrismaClient(db.url)];
    try {
      const results = await Promise.all(
        clients.map((client) => seedFirstOperator(client, { email: ' Ops@Example.com ' })),
      );
      const created = results.filter((result) => result.created);
      expect(created).toHaveLength(1);
      const first = created[0];
      if (!first?.created) throw new Error('no operator was created');
      expect(first.email).toBe('ops@example.com');

      const operators = await prisma.user.findMany({ where: { role: 'operator' } });
      expect(operators).toHaveLength(1);
      expect(operators[0]?.tenantId).toBeNull();
      expect(operators[0]?.passwordHash).not.toContain(first.password);
      expect(await verifyPassword(first.password, operators[0]?.passwordHash ?? '')).toBe(true);

      const again = await seedFirstOperator(prisma, { email: 'someone-else@example.com' });
      expect(again).toEqual({ created: false, email: 'ops@example.com' });
      expect(again).not.toHaveProperty('password');
    } finally {
      await Promise.all(clients.slice(1).map((client) => client.$disconnect()));
    }
  });

  it('refuses a malformed email and writes nothing', async () => {
    const before = await prisma.user.count();
    await expect(seedFirstOperator(prisma, { email: 'not an email' })).rejects.toThrow(/is not an email address/);
    expect(await prisma.user.count()).toBe(before);
  });

  it('creates the default plans once and keeps an operator’s edits', async () => {
    const plans = await seedPlans(prisma);
    expect(plans.map((plan) => plan.code)).toEqual(DEFAULT_PLANS.map((plan) => plan.code));
    expect(plans.every((plan) => Number.isInteger(plan.priceMinor) && plan.priceMinor > 0)).toBe(true);
    expect(plans[0]?.provider).toBe('local');

    await prisma.plan.update({ where: { code: 'starter' }, data: { priceMinor: 2_500 } });
    await seedPlans(prisma);
    expect(await prisma.plan.count()).toBe(DEFAULT_PLANS.length);
    expect((await prisma.plan.findUniqueOrThrow({ where: { code: 'starter' } })).priceMinor).toBe(2_500);
  });
});
