import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadWorkerConfig } from './config';
import { createProviders } from './provisioning';

const base = {
  DATABASE_URL: 'postgresql://app:secret@127.0.0.1:5432/paddock',
  REDIS_URL: 'redis://:secret@127.0.0.1:6379',
  PADDOCK_MASTER_KEY: randomBytes(32).toString('base64'),
};

describe('the local provider', () => {
  it('is off unless the operator turns it on: its boxes share the control plane machine', () => {
    expect(createProviders(loadWorkerConfig(base)).local).toBeUndefined();
    expect(createProviders(loadWorkerConfig({ ...base, PADDOCK_ALLOW_LOCAL_BOXES: 'false' })).local).toBeUndefined();
    expect(createProviders(loadWorkerConfig({ ...base, PADDOCK_ALLOW_LOCAL_BOXES: 'true' })).local).toBeDefined();
  });

  it('refuses a setting that is neither true nor false rather than guessing', () => {
    expect(() => loadWorkerConfig({ ...base, PADDOCK_ALLOW_LOCAL_BOXES: 'yes' })).toThrow(
      /PADDOCK_ALLOW_LOCAL_BOXES: must be true or false/,
    );
  });
});

describe('the Hetzner provider', () => {
  const hetzner = { ...base, HETZNER_API_TOKEN: 'token' };

  it('closes the metadata service of real Hetzner servers', () => {
    expect(createProviders(loadWorkerConfig(hetzner)).hetzner?.servesUserData).toBe(true);
  });

  it('takes an API on loopback as a stand-in of local test boxes: only where local boxes are allowed', () => {
    const standIn = { ...hetzner, HETZNER_API_URL: 'http://127.0.0.1:8080/v1' };
    expect(() => loadWorkerConfig(standIn)).toThrow(/HETZNER_API_URL: a Hetzner API on loopback is a stand-in/);
    const config = loadWorkerConfig({ ...standIn, PADDOCK_ALLOW_LOCAL_BOXES: 'true' });
    // Its servers share this machine's network: the guard would change this machine's firewall.
    expect(createProviders(config).hetzner?.servesUserData).toBe(false);
  });
});
