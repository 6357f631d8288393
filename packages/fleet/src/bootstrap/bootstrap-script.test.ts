import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BOX_LAYOUT } from '../deploy/box-layout';
import { bootstrapScript } from './bootstrap-script';
import { renderInfraFiles } from './infra-files';

function script(closeMetadataService: boolean, adminUser = 'root'): string {
  const files = renderInfraFiles(DEFAULT_BOX_LAYOUT, { drainTimeoutMs: 1_000, adminUser });
  return bootstrapScript({
    layout: DEFAULT_BOX_LAYOUT,
    files,
    drainTimeoutMs: 1_000,
    systemNode: false,
    adminUser,
    closeMetadataService,
  }).text;
}

// The script is only parsed here (`sh -n`): it changes firewalls and sshd, which this machine must keep as they are.
describe('the bootstrap script', () => {
  it('parses as POSIX sh with and without the metadata guard', () => {
    for (const close of [false, true]) execFileSync('sh', ['-n'], { input: script(close) });
  });

  it('checks sshd refuses the runtime user and lets the admin in, by name, before it reloads', () => {
    const text = script(false, 'ops_admin');
    expect(text).toContain('has "$runtime_view" \'denyusers paddock\'');
    expect(text).toContain('has "$admin_view" \'allowusers ops_admin\'');
    expect(text).toContain('user=paddock,host=paddock,addr=127.0.0.1');
    expect(text.indexOf('sshd_refuses()')).toBeLessThan(text.indexOf('kill -HUP'));
  });

  it('leaves firewalls alone unless asked (local test boxes share this machine network)', () => {
    const text = script(false);
    expect(text).not.toContain('nft');
    expect(text).not.toContain('169.254.169.254');
    expect(text).not.toContain('paddock-metadata-guard');
  });

  it('when asked, installs a root-only rule for the metadata service that a unit loads at every boot', () => {
    const text = script(true);
    // The rules: their own table, the output hook, every non-root socket owner refused.
    expect(text).toContain('table inet paddock_metadata_guard {');
    expect(text).toContain('type filter hook output priority filter; policy accept;');
    expect(text).toContain('ip daddr 169.254.169.254 meta skuid != 0 counter reject');
    // Persistent: a unit before the network, enabled, loading the rules file bootstrap writes.
    expect(text).toContain('ExecStart=/usr/sbin/nft -f /etc/paddock/metadata-guard.nft');
    expect(text).toContain('Before=network-pre.target');
    expect(text).toContain('WantedBy=sysinit.target');
    expect(text).toContain('systemctl enable --quiet paddock-metadata-guard');
    // Verified in the kernel, and refused where it could not last (no systemd).
    expect(text).toContain(
      "nft list table inet paddock_metadata_guard | grep -qF 'ip daddr 169.254.169.254 meta skuid != 0'",
    );
    expect(text).toMatch(/if \[ "\$mode" != systemd \]; then\n {2}echo 'closing the metadata service needs systemd/);
    expect(text).not.toMatch(/@[A-Z_]+@/);
  });
});
