import { createPrismaClient, seedFirstOperator, seedPlans } from '@paddock/db';
import { exitOnConfigError, parseConfig } from '@paddock/platform';
import { z } from 'zod';

// Run by `npm start` after migrations: default plans, and the first operator whose password is printed once.
const SeedConfigSchema = z.object({
  DATABASE_URL: z.string().url(),
  PADDOCK_OPERATOR_EMAIL: z.string().email().default('admin@paddock.local'),
});

let config: z.output<typeof SeedConfigSchema>;
try {
  config = parseConfig('seed', SeedConfigSchema, process.env);
} catch (error) {
  exitOnConfigError(error);
}

const prisma = createPrismaClient(config.DATABASE_URL, { poolMax: 1 });
try {
  await seedPlans(prisma);
  const operator = await seedFirstOperator(prisma, { email: config.PADDOCK_OPERATOR_EMAIL });
  if (operator.created) {
    console.log('\nFirst operator created. This password is shown once; keep it:');
    console.log(`  email:    ${operator.email}`);
    console.log(`  password: ${operator.password}\n`);
  }
} finally {
  await prisma.$disconnect();
}
