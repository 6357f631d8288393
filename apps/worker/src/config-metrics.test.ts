import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadWorkerConfig } from './config';

const base = {
  DATABASE_URL: 'postgresql://app:secret@127.0.0.1:5432/paddock',
  REDIS_URL: 'redis://:secret@127.0.0.1:6379',
  PADDOCK_MASTER_KEY: randomBytes(32).toString('base64'),
};

describe("the worker's metrics listener settings", () => {
  it('is off by default and binds loopback when turned on', () => {
    expect(loadWorkerConfig(base).METRICS_PORT).toBeUndefined();
    const on = loadWorkerConfig({ ...base, METRICS_PORT: '9464' });
    expect(on).toMatchObject({ METRICS_PORT: 9464, METRICS_HOST: '127.0.0.1' });
  });

  it('refuses a non-loopback address without a token, and a short token', () => {
    expect(() => loadWorkerConfig({ ...base, METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' })).toThrow(
      /METRICS_HOST: a non-loopback address publishes the metrics: set METRICS_TOKEN too/,
    );
    expect(() => loadWorkerConfig({ ...base, METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN: must be at least 16/);
    const token = 'a-long-enough-metrics-token';
    expect(loadWorkerConfig({ ...base, METRICS_HOST: '0.0.0.0', METRICS_TOKEN: token }).METRICS_TOKEN).toBe(token);
    expect(loadWorkerConfig({ ...base, METRICS_HOST: '::1' }).METRICS_HOST).toBe('::1');
  });
});
