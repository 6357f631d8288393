import { readFileSync } from 'node:fs';
import { bootstrapBox, type SshPool, sh } from '@paddock/fleet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEvents, createTestFleet, type TestFleet } from './support/test-boxes';

let fleet: TestFleet;
let pool: SshPool;

beforeAll(async () => {
  fleet = await createTestFleet(1);
  pool = fleet.pool();
});

afterAll(async () => {
  await fleet?.destroy();
});

describe('bootstrap of a bare box', () => {
  it('sets the box up, records every step, and leaves the host alone', async () => {
    const hostPasswd = readFileSync('/etc/passwd', 'utf8');
    const recorder = collectEvents();
    const box = fleet.boxes[0]!;
    const result = await bootstrapBox({ pool, target: fleet.target(box), recorder });
    expect(result.serviceMode).toBe('supervised');
    const changed = result.steps.filter((s) => s.changed).map((s) => s.step);
    expect(changed).toEqual(['runtime-user', 'directories', 'runtime-config', 'service-script', 'sshd']);
    expect(recorder.events.filter((e) => e.type === 'bootstrap.step')).toHaveLength(result.steps.length);
    expect(recorder.events.at(-1)).toEqual({
      type: 'bootstrap.finished',
      boxId: box.id,
      changedSteps: changed,
      serviceMode: 'supervised',
    });

    const connection = await pool.connect(fleet.target(box));
    const facts = await connection.exec(sh`
id -u paddock
stat -c '%n %a %U' /opt/paddock /opt/paddock/store /opt/paddock/incoming /opt/paddock/locks /etc/paddock /var/lib/paddock /var/log/paddock /opt/paddock/bin/paddock-service
cat /etc/paddock/runtime.env
/usr/sbin/sshd -T -C user=root,host=x,addr=127.0.0.1 | grep -E '^(passwordauthentication|kbdinteractiveauthentication|permitrootlogin|clientaliveinterval) '
tail -n 1 /opt/paddock/bootstrap.log`);
    const lines = facts.stdout.trim().split('\n');
    expect(Number(lines[0])).toBeGreaterThan(0);
    expect(lines).toContain('/opt/paddock 755 root');
    expect(lines).toContain('/opt/paddock/incoming 700 root');
    expect(lines).toContain('/opt/paddock/locks 700 root');
    expect(lines).toContain('/var/lib/paddock 700 paddock');
    expect(lines).toContain('/var/log/paddock 750 paddock');
    expect(lines).toContain('/opt/paddock/bin/paddock-service 755 root');
    expect(lines).toContain('PADDOCK_SERVICE_MODE=supervised');
    expect(lines).toContain('CHAIN_ROOT=/var/lib/paddock');
    expect(lines).toContain('passwordauthentication no');
    expect(lines).toContain('kbdinteractiveauthentication no');
    expect(lines).toContain('permitrootlogin without-password');
    expect(lines).toContain('clientaliveinterval 15');
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ changed, mode: 'supervised' });
    // The user exists on the box only: the host's own files did not change.
    expect(readFileSync('/etc/passwd', 'utf8')).toBe(hostPasswd);
    expect(readFileSync(box.pathOnHost('/etc/passwd'), 'utf8')).toContain('paddock:');
  });

  it('changes nothing when run again, and says so', async () => {
    const result = await bootstrapBox({ pool, target: fleet.target(fleet.boxes[0]!) });
    expect(result.changed).toBe(false);
    expect(result.steps.map((s) => s.step)).toEqual([
      'prerequisites',
      'runtime-user',
      'directories',
      'runtime-config',
      'service-script',
      'service',
      'sshd',
    ]);
  });

  it('repairs what drifted, and only that', async () => {
    const box = fleet.boxes[0]!;
    const connection = await pool.connect(fleet.target(box));
    await connection.exec(sh`chmod 777 /var/lib/paddock && echo tampered >> /opt/paddock/bin/paddock-service`);
    const result = await bootstrapBox({ pool, target: fleet.target(box) });
    expect(result.steps.filter((s) => s.changed).map((s) => `${s.step} ${s.detail}`)).toEqual([
      'directories fixed=1',
      'service-script /opt/paddock/bin/paddock-service',
    ]);
    const after = await connection.exec(
      sh`stat -c %a /var/lib/paddock; grep -c tampered /opt/paddock/bin/paddock-service || true`,
    );
    expect(after.stdout).toBe('700\n0\n');
  });

  it('keeps working over a fresh connection after sshd was reloaded', async () => {
    const own = fleet.pool();
    const connection = await own.connect(fleet.target(fleet.boxes[0]!));
    expect((await connection.exec(sh`echo still-here`)).stdout).toBe('still-here\n');
  });
});
