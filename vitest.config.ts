import { defineConfig } from 'vitest/config';

// One test run covers every workspace; services (PostgreSQL, Redis, sshd) are started by scripts/test.sh
// and handed over through the environment, which packages/testkit parses.
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    globalSetup: ['packages/testkit/src/global-setup.ts'],
  },
});
