import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, TEST_FRONT_DOOR, type TestApp } from '../../apps/api/src/test-app';
import { startTenantTestApp } from '../tenant/support';
import { uniqueSuffix } from './support';

const operatorLogin = (email: string, password: string, remoteAddress: string) => ({
  method: 'POST' as const,
  url: '/v1/operator/sessions',
  payload: { email, password },
  remoteAddress,
});

describe('operator login under a guessing flood', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTenantTestApp({
      frontDoor: {
        ...TEST_FRONT_DOOR,
        operatorLoginPerAddress: { limit: 20, windowMs: 60_000 },
        operatorLoginPerAccount: { limit: 5, windowMs: 60_000 },
      },
    });
  });
  afterAll(() => t.close());

  it('refuses most of 200 parallel wrong passwords from one address; the right one still works from another', async () => {
    const email = `op-${uniqueSuffix()}@example.com`;
    await createOperator(t.prisma, email, 'the right operator password');
    const flood = await Promise.all(
      Array.from({ length: 200 }, (_, i) => t.app.inject(operatorLogin(email, `wrong ${i}`, '198.51.100.20'))),
    );
    const statuses = flood.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 201)).toHaveLength(0);
    // The account's limit from this address (5) is below the address's own (20): at most 5 guesses reached scrypt.
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(195);
    const refused = flood.find((r) => r.statusCode === 429);
    expect(refused?.json().error.code).toBe('rate_limited');
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThan(0);

    // The guesser's address stays refused, even with the right password...
    expect((await t.app.inject(operatorLogin(email, 'the right operator password', '198.51.100.20'))).statusCode).toBe(
      429,
    );
    // ...and the operator, from an address that has not been failing, logs in at once.
    const owner = await t.app.inject(operatorLogin(email, 'the right operator password', '198.51.100.21'));
    expect(owner.statusCode).toBe(201);
    expect(await t.prisma.session.count({ where: { user: { email } } })).toBe(1);
  });
});
