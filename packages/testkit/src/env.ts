import { z } from 'zod';

// The test run's services, started by scripts/test.sh and handed over through the environment.
const TestEnvSchema = z.object({
  DATABASE_URL: z
    .string()
    .url({ message: 'DATABASE_URL is not set: run the tests with `npm test`, which starts PostgreSQL' }),
  REDIS_URL: z.string().url({ message: 'REDIS_URL is not set: run the tests with `npm test`, which starts Redis' }),
});

export type TestEnv = z.infer<typeof TestEnvSchema>;

export function readTestEnv(): TestEnv {
  const parsed = TestEnvSchema.safeParse(process.env);
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n'));
  }
  return parsed.data;
}
