import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sh } from '@paddock/fleet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, type TestApp } from '../../apps/api/src/test-app';
import { createTestFleet, type TestFleet } from '../fleet/support/test-boxes';
import { type PaddockResult, runPaddock } from '../support/run-paddock';
import { waitFor } from '../support/wait-for';
import { registerTestBox, type SignedUp, signUp, startTenantTestApp } from '../tenant/support';

const PASSWORD = 'correct horse battery staple';

// `paddock boxes ssh` as an operator runs it (`npx paddock`, a real API server, a real sshd test box reached with the
// control plane's key over the pinned host key): a command with its output and exit code, an interactive shell fed
// from a pipe, both audited; metacharacters arrive as typed; a box whose key is not pinned is refused before any
// connection; the box's private key is never printed.
describe('paddock boxes ssh', { timeout: 240_000 }, () => {
  let t: TestApp;
  let fleet: TestFleet;
  let tenant: SignedUp;
  let boxId: string;
  let home: string;
  const outputs: PaddockResult[] = [];

  beforeAll(async () => {
    [t, fleet] = await Promise.all([startTenantTestApp(), createTestFleet(1)]);
    tenant = await signUp(t.app, 'ssh-cli');
    boxId = await registerTestBox(t, tenant.tenantId, fleet.boxes[0]!, fleet.loginKey);
    await createOperator(t.prisma, 'ssh-cli@example.com', PASSWORD);
    const server = await t.app.listen({ host: '127.0.0.1', port: 0 });
    home = await mkdtemp(join(tmpdir(), 'paddock-ssh-cli-'));
    const login = await runPaddock(
      ['login', '--server', server, '--email', 'ssh-cli@example.com', '--password-stdin'],
      {
        configHome: home,
        stdin: `${PASSWORD}\n`,
      },
    );
    expect(login.code, login.stderr).toBe(0);
  }, 240_000);

  afterAll(async () => {
    // Nothing any run printed carries a private key.
    for (const output of outputs) expect(`${output.stdout}${output.stderr}`).not.toContain('PRIVATE KEY');
    await t?.close();
    await fleet?.destroy();
    if (home) await rm(home, { recursive: true, force: true });
  });

  const paddock = async (args: string[], stdin?: string) => {
    const result = await runPaddock(args, { configHome: home, ...(stdin === undefined ? {} : { stdin }) });
    outputs.push(result);
    return result;
  };
  const audits = (action: string) =>
    t.prisma.auditLog.findMany({ where: { targetId: boxId, action }, orderBy: { id: 'asc' } });

  it('runs a command on the box and prints its output; a failing command exits 1; both audited', async () => {
    const ran = await paddock(['boxes', 'ssh', boxId, '--', 'sh', '-c', 'echo out-$((6*7)); echo err-out >&2; id -un']);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toBe('out-42\nroot\n');
    expect(ran.stderr).toBe('err-out\n');

    const failed = await paddock(['boxes', 'ssh', boxId, '--json', '--', 'sh', '-c', 'echo partial; exit 3']);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ boxId, exitCode: 3, stdout: 'partial\n' });
    expect(failed.stderr).toContain('the command exited with 3');

    const rows = await audits('box.exec');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ actorType: 'user', actorLabel: 'ssh-cli@example.com', tenantId: tenant.tenantId });
    expect(rows[0]!.requestId).toMatch(/^cli-/);
    expect(rows[0]!.details).toMatchObject({ exitCode: 0, outcome: 'ran', stdoutBytes: 12, stderrBytes: 8 });
    expect((rows[0]!.details as { command: string }).command).toContain('echo out-$((6*7))');
    expect(rows[1]!.details).toMatchObject({ exitCode: 3 });
  });

  it('passes each word as typed: shell metacharacters in arguments run nothing', async () => {
    const words = ['$(touch /tmp/pwned-a)', '`touch /tmp/pwned-b`', '; touch /tmp/pwned-c', '\'"|&>'];
    const echoed = await paddock(['boxes', 'ssh', boxId, '--', 'echo', ...words]);
    expect(echoed.code, echoed.stderr).toBe(0);
    expect(echoed.stdout).toBe(`${words.join(' ')}\n`);
    const connection = await fleet.pool().connect(fleet.target(fleet.boxes[0]!));
    const left = await connection.exec(sh`ls /tmp | grep -c pwned || true`);
    expect(left.stdout.trim()).toBe('0');
  });

  it('opens an interactive shell, fed here from a pipe (EOF ends it), audited on open and close', async () => {
    const shell = await paddock(['boxes', 'ssh', boxId], 'echo "shell-$((6*7)) $(id -un)"\n');
    expect(shell.code, shell.stderr).toBe(0);
    expect(shell.stdout).toContain('shell-42 root');
    const rows = await waitFor('the shell to be audited closed', async () => {
      const found = await t.prisma.auditLog.findMany({
        where: { targetId: boxId, action: { startsWith: 'box.shell.' } },
        orderBy: { id: 'asc' },
      });
      return found.length === 2 ? found : undefined;
    });
    expect(rows.map((r) => r.action)).toEqual(['box.shell.opened', 'box.shell.closed']);
    expect(rows[1]!.details).toMatchObject({ outcome: 'closed' });
  });

  it('refuses a box whose host key is not pinned, before connecting or auditing anything', async () => {
    const unpinned = await t.prisma.box.update({
      where: { id: boxId },
      data: { hostKeyFingerprint: null, hostKeyTofuAllowed: true },
    });
    const before = await t.prisma.auditLog.count({ where: { targetId: boxId } });
    for (const args of [['--', 'true'], []]) {
      const refused = await paddock(['boxes', 'ssh', unpinned.id, ...args]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^error: conflict: Box \S+ has no pinned host key/);
    }
    expect(await t.prisma.auditLog.count({ where: { targetId: boxId } })).toBe(before);
    const usage = await paddock(['boxes', 'ssh', boxId, '--json']);
    expect(usage.code).toBe(2);
  });
});
