import { z } from 'zod';

const postgresUrl = (name: string, role: string) =>
  z
    .string({ message: `${name} is not set: run the tests with \`npm test\`, which starts PostgreSQL (${role})` })
    .regex(/^postgres(ql)?:\/\//, `${name} must be a postgresql:// URL (${role})`);

// The test run's services, started by scripts/test.sh (services.sh) and handed over through the environment.
// Three PostgreSQL roles, as in production: test code connects where the product would with the app role, so a
// missing grant fails a test; the owner role migrates; the admin role only creates, clones and drops databases
// (and does what only an administrator may, e.g. ending other sessions).
const TestEnvSchema = z.object({
  DATABASE_URL: postgresUrl('DATABASE_URL', 'the app role: no superuser, tables only'),
  DATABASE_OWNER_URL: postgresUrl('DATABASE_OWNER_URL', 'the role that owns the databases and runs migrations'),
  DATABASE_ADMIN_URL: postgresUrl('DATABASE_ADMIN_URL', 'a role that may create and drop databases'),
  REDIS_URL: z.string().url({ message: 'REDIS_URL is not set: run the tests with `npm test`, which starts Redis' }),
  /** PostgreSQL's programs (initdb, pg_ctl), for tests of scripts/services.sh itself. */
  PADDOCK_PG_BINDIR: z.string().optional(),
  /** `long` (npm run test:long): fault tests inject more faults at more points; `short` in `npm test`. */
  PADDOCK_TEST_PROFILE: z.enum(['short', 'long']).default('short'),
});

export type TestEnv = z.infer<typeof TestEnvSchema>;

export function readTestEnv(): TestEnv {
  const parsed = TestEnvSchema.safeParse(process.env);
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n'));
  }
  return parsed.data;
}

/** The role a PostgreSQL URL logs in as. */
export function roleOf(url: string): string {
  return decodeURIComponent(new URL(url).username);
}
