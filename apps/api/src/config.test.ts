import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadApiConfig } from './config';

const base = {
  DATABASE_URL: 'postgresql://paddock@127.0.0.1:5432/paddock',
  REDIS_URL: 'redis://127.0.0.1:6379',
  PADDOCK_MASTER_KEY: randomBytes(32).toString('base64'),
};

describe('API config: front door', () => {
  it('trusts no proxy and caps password work by default', () => {
    const config = loadApiConfig(base);
    expect(config.TRUSTED_PROXIES).toEqual([]);
    expect(config).toMatchObject({
      OPERATOR_LOGIN_RATE_LIMIT_PER_ADDRESS: 20,
      OPERATOR_LOGIN_RATE_LIMIT_PER_ACCOUNT: 10,
      TENANT_WRITE_RATE_LIMIT: 600,
      TENANT_WRITE_RATE_WINDOW_MS: 60_000,
      PASSWORD_WORK_CONCURRENCY: 4,
      PASSWORD_WORK_QUEUE: 32,
    });
  });

  it('reads trusted proxies as addresses and CIDRs, and refuses anything else', () => {
    expect(loadApiConfig({ ...base, TRUSTED_PROXIES: '10.0.0.1, 10.1.0.0/16,fd00::/8' }).TRUSTED_PROXIES).toEqual([
      '10.0.0.1',
      '10.1.0.0/16',
      'fd00::/8',
    ]);
    for (const bad of ['loopback', '10.0.0.0/33', '*', '10.0.0.1/8/1']) {
      expect(() => loadApiConfig({ ...base, TRUSTED_PROXIES: bad })).toThrow(/TRUSTED_PROXIES/);
    }
  });
});
