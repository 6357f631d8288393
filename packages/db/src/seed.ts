import { AppError } from '@paddock/contracts';
import { generatePassword, hashPassword } from '@paddock/vault';
import { z } from 'zod';
import type { BoxProvider, Plan, PrismaClient } from './generated/prisma/client';

// Serialises first-operator seeding across processes started at once (transaction-scoped advisory lock).
const FIRST_OPERATOR_LOCK = 7_306_979_181_624_177_001n;

export type SeedFirstOperatorResult =
  | {
      created: true;
      userId: string;
      email: string /** Shown once; only its scrypt hash is stored. */;
      password: string;
    }
  | { created: false; email: string };

const EmailSchema = z.email({ message: 'is not an email address' });

/**
 * Creates the first operator with a generated password, only when no operator exists yet. The password is returned
 * for the caller to print once; a second call (every later `npm start`) creates nothing and returns no password.
 */
export async function seedFirstOperator(
  prisma: PrismaClient,
  options: { email: string },
): Promise<SeedFirstOperatorResult> {
  const email = options.email.trim().toLowerCase();
  const parsed = EmailSchema.safeParse(email);
  if (!parsed.success)
    throw new AppError('validation_failed', `first operator email "${options.email}" is not an email address`);
  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${FIRST_OPERATOR_LOCK})`;
    const existing = await tx.user.findFirst({ where: { role: 'operator' }, orderBy: { createdAt: 'asc' } });
    if (existing) return { created: false as const, email: existing.email };
    const user = await tx.user.create({
      // The first operator owns the platform: the one who invites and manages every other operator.
      data: {
        email,
        role: 'operator',
        operatorRole: 'owner',
        name: 'Operator',
        passwordHash,
        passwordChangedAt: new Date(),
      },
    });
    return { created: true as const, userId: user.id, email, password };
  });
}

interface DefaultPlan {
  code: string;
  name: string;
  description: string;
  priceMinor: number;
  serverType: string;
  includedUsageMicros: bigint;
  usageMarkupBps: number;
  limits: { maxChains: number; maxConcurrentRuns: number; maxSecrets: number };
  sortOrder: number;
}

/** Prices in US cents per month; included usage in micro-dollars. Server types are Hetzner's names. */
export const DEFAULT_PLANS: readonly DefaultPlan[] = [
  {
    code: 'starter',
    name: 'Starter',
    description: 'One small box for a handful of chains.',
    priceMinor: 1_900,
    serverType: 'cx22',
    includedUsageMicros: 5_000_000n,
    usageMarkupBps: 1_500,
    limits: { maxChains: 5, maxConcurrentRuns: 2, maxSecrets: 20 },
    sortOrder: 10,
  },
  {
    code: 'team',
    name: 'Team',
    description: 'A larger box for a team running chains all day.',
    priceMinor: 7_900,
    serverType: 'cx32',
    includedUsageMicros: 25_000_000n,
    usageMarkupBps: 1_000,
    limits: { maxChains: 25, maxConcurrentRuns: 8, maxSecrets: 100 },
    sortOrder: 20,
  },
  {
    code: 'business',
    name: 'Business',
    description: 'A dedicated large box with room for heavy, parallel chains.',
    priceMinor: 24_900,
    serverType: 'cx42',
    includedUsageMicros: 100_000_000n,
    usageMarkupBps: 500,
    limits: { maxChains: 100, maxConcurrentRuns: 32, maxSecrets: 500 },
    sortOrder: 30,
  },
];

/**
 * Makes sure the default plans exist (by code). Plans that already exist are left as they are, so an operator's
 * price change survives every restart. `provider` is where these plans' boxes come from (`local` for the demo).
 */
export async function seedPlans(
  prisma: PrismaClient,
  options: { provider?: BoxProvider; region?: string | null } = {},
): Promise<Plan[]> {
  const provider = options.provider ?? 'local';
  const plans: Plan[] = [];
  for (const plan of DEFAULT_PLANS) {
    plans.push(
      await prisma.plan.upsert({
        where: { code: plan.code },
        update: {},
        create: {
          ...plan,
          currency: 'USD',
          provider,
          region: options.region ?? (provider === 'hetzner' ? 'nbg1' : null),
        },
      }),
    );
  }
  return plans;
}
