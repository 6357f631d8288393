import { describe, expect, it } from 'vitest';
import { DEFAULT_BOX_LAYOUT } from '../deploy/box-layout';
import { FleetError } from '../errors';
import { renderInfraFiles } from './infra-files';

describe('the sshd drop-in', () => {
  it('lets in only the account the control plane logs in as, and refuses the runtime user by name', () => {
    const root = renderInfraFiles(DEFAULT_BOX_LAYOUT, { drainTimeoutMs: 1_000, adminUser: 'root' }).sshdHardening;
    expect(root.split('\n')).toEqual(
      expect.arrayContaining(['AllowUsers root', 'DenyUsers paddock', 'StrictModes yes']),
    );
    // A bring-your-own host's sudo user.
    const byo = renderInfraFiles(DEFAULT_BOX_LAYOUT, { drainTimeoutMs: 1_000, adminUser: 'ops_admin' }).sshdHardening;
    expect(byo.split('\n')).toContain('AllowUsers ops_admin');
    expect(byo).not.toMatch(/@[A-Z_]+@/);
  });

  it('refuses a login name that would widen or break the list, and the runtime user as admin', () => {
    for (const adminUser of [
      '*',
      'root paddock',
      'root\nAllowUsers *',
      'root@10.0.0.1',
      '!root',
      '',
      'Root',
      'paddock',
    ]) {
      expect(() => renderInfraFiles(DEFAULT_BOX_LAYOUT, { drainTimeoutMs: 1_000, adminUser })).toThrow(FleetError);
    }
  });
});

describe('the metadata guard rules', () => {
  it('close 169.254.169.254 by default, and take only a plain IPv4 address in its place', () => {
    const files = renderInfraFiles(DEFAULT_BOX_LAYOUT, { drainTimeoutMs: 1_000, adminUser: 'root' });
    expect(files.metadataGuardRules).toContain('ip daddr 169.254.169.254 meta skuid != 0 counter reject');
    expect(files.metadataServiceAddress).toBe('169.254.169.254');
    expect(files.metadataGuardRules).not.toMatch(/@[A-Z_]+@/);
    for (const metadataServiceAddress of ['', '169.254.169.254; flush ruleset', '0.0.0.0/0', 'fe80::1', 'localhost']) {
      expect(() =>
        renderInfraFiles(DEFAULT_BOX_LAYOUT, { drainTimeoutMs: 1_000, adminUser: 'root', metadataServiceAddress }),
      ).toThrow(FleetError);
    }
  });
});
