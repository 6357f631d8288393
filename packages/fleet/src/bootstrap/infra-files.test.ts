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
