import { asUser, bootstrapBox, ExecError, FleetError, generateSshKeyPair, type SshPool, sh } from '@paddock/fleet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestFleet, type TestFleet } from './support/test-boxes';

// Issue 9: the runtime user runs every tenant command. If it can log in over SSH it is outside the service's
// sandbox (its own session, no drain, no limits) and can hold sessions the control plane does not know of.
let fleet: TestFleet;
let pool: SshPool;

beforeAll(async () => {
  fleet = await createTestFleet(1);
  pool = fleet.pool();
  await bootstrapBox({ pool, target: fleet.target(fleet.boxes[0]!) });
});

afterAll(async () => {
  await fleet?.destroy();
});

describe('who can open an SSH session on a bootstrapped box', () => {
  it('refuses the runtime user, whatever key file it plants; the admin key still works', async () => {
    const box = fleet.boxes[0]!;
    const admin = await pool.connect(fleet.target(box));
    const attacker = generateSshKeyPair('planted by the runtime user');
    // Everywhere sshd might read the runtime user's keys from, written as that user (a tenant step could do this).
    await admin.exec(
      asUser(
        'paddock',
        sh`set -e
umask 077
mkdir -p "$HOME/.ssh"
printf '%s\n' ${attacker.publicKey} >> "$HOME/.ssh/authorized_keys"
printf '%s\n' ${attacker.publicKey} >> "$HOME/.ssh/authorized_keys2"`,
      ),
    );
    // It cannot put its key where the admin's keys are.
    const intoAdmin = await admin.exec(
      asUser('paddock', sh`printf '%s\n' ${attacker.publicKey} >> /root/.ssh/authorized_keys`),
      { okExitCodes: [0, 1, 2] },
    );
    expect(intoAdmin.exitCode).not.toBe(0);
    expect((await admin.exec(sh`cat /root/.ssh/authorized_keys`)).stdout).not.toContain(
      attacker.publicKey.split(' ')[1],
    );

    const fresh = fleet.pool();
    const asRuntime = fleet.target(box, { username: 'paddock', privateKey: attacker.privateKey });
    const refused = await fresh.connect(asRuntime).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(FleetError);
    expect((refused as FleetError).failure).toBe('auth_failed');
    // Refused as a user, not only for this key: sshd's effective configuration for that user denies it.
    const effective = await admin.exec(sh`/usr/sbin/sshd -T -C user=paddock,host=x,addr=127.0.0.1`);
    expect(effective.stdout.split('\n')).toContain('denyusers paddock');

    // The control plane's key for the admin user opens a fresh session as before.
    const again = await fleet.pool().connect(fleet.target(box));
    expect((await again.exec(sh`id -un`)).stdout).toBe('root\n');
  });
});

describe('the bootstrap check of who sshd lets in', () => {
  it('stops before the reload and puts the drop-in back when sshd would not refuse the runtime user', async () => {
    const box = fleet.boxes[0]!;
    const admin = await pool.connect(fleet.target(box));
    // A host whose main config never reads sshd_config.d: the drop-in would change nothing.
    await admin.exec(sh`set -e
cp -p /etc/ssh/sshd_config /root/sshd_config.orig
grep -v '^Include ' /root/sshd_config.orig > /etc/ssh/sshd_config
rm /etc/ssh/sshd_config.d/50-paddock.conf`);
    try {
      const failed = await bootstrapBox({ pool, target: fleet.target(box) }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failed).toBeInstanceOf(ExecError);
      expect((failed as ExecError).exitCode).toBe(78);
      expect((failed as ExecError).stderrTail).toContain('sshd does not refuse the runtime user paddock');
      const left = await admin.exec(sh`test -e /etc/ssh/sshd_config.d/50-paddock.conf && echo present || echo absent`);
      expect(left.stdout).toBe('absent\n');
    } finally {
      await admin.exec(sh`mv /root/sshd_config.orig /etc/ssh/sshd_config`);
    }
    const repaired = await bootstrapBox({ pool, target: fleet.target(box) });
    expect(repaired.steps.find((s) => s.step === 'sshd')).toMatchObject({ changed: true, detail: 'reloaded' });
  });
});
