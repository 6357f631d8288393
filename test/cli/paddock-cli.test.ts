import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn as spawnPty } from '@lydell/node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, startTestApp, type TestApp } from '../../apps/api/src/test-app';
import { runPaddock } from '../support/run-paddock';

const PASSWORD = 'correct horse battery staple';

// Each test spawns `npx paddock` a few times (about a second of CPU each): on a loaded two-core machine a spawn can
// take many seconds of wall time, hence the generous per-test timeout. Nothing here waits on time.
describe('paddock CLI against a real API server', { timeout: 240_000 }, () => {
  let t: TestApp;
  let server: string;
  let home: string;
  const ids = { active: '', parked: '' };

  beforeAll(async () => {
    t = await startTestApp();
    await createOperator(t.prisma, 'ops@example.com', PASSWORD);
    const plan = await t.prisma.plan.create({ data: { code: 'cli', name: 'CLI', priceMinor: 0, provider: 'local' } });
    const active = await t.prisma.tenant.create({
      data: { slug: 'acme-cli', name: 'Acme', planId: plan.id, status: 'active' },
    });
    const parked = await t.prisma.tenant.create({
      data: { slug: 'parked-cli', name: 'Parked', planId: plan.id, status: 'provisioning_failed' },
    });
    ids.active = active.id;
    ids.parked = parked.id;
    server = await t.app.listen({ host: '127.0.0.1', port: 0 });
    home = await mkdtemp(join(tmpdir(), 'paddock-cli-'));
  });
  afterAll(async () => {
    await t?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  const paddock = (args: string[], stdin?: string) =>
    runPaddock(args, { configHome: home, ...(stdin === undefined ? {} : { stdin }) });

  it('logs in with the password on stdin and keeps the token 0600 in a 0700 directory', async () => {
    const wrong = await paddock(
      ['login', '--server', server, '--email', 'ops@example.com', '--password-stdin'],
      'not it\n',
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('error: unauthenticated:');
    expect(wrong.stderr).not.toMatch(/\n\s+at /); // no stack trace

    const login = await paddock(
      ['login', '--server', server, '--email', 'ops@example.com', '--password-stdin'],
      `${PASSWORD}\n`,
    );
    expect(login.stderr).toBe('');
    expect(login.code).toBe(0);
    expect(login.stdout).toContain(`Logged in to ${server} as ops@example.com`);
    const file = join(home, 'paddock', 'config.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, 'paddock'))).mode & 0o777).toBe(0o700);
    const saved = JSON.parse(await readFile(file, 'utf8'));
    expect(saved).toMatchObject({ server, email: 'ops@example.com' });
    // The saved token is a live operator session: the server knows its hash.
    expect(await t.prisma.session.count({ where: { revokedAt: null } })).toBeGreaterThan(0);
    expect(login.stdout).not.toContain(saved.token);
  });

  it('asks for the password at a terminal without echoing it', async () => {
    const terminalHome = await mkdtemp(join(tmpdir(), 'paddock-cli-tty-'));
    try {
      const term = spawnPty(
        'npx',
        ['--no-install', 'paddock', 'login', '--server', server, '--email', 'ops@example.com'],
        {
          cwd: join(import.meta.dirname, '../..'),
          env: { PATH: process.env.PATH ?? '', HOME: terminalHome, XDG_CONFIG_HOME: terminalHome, TERM: 'xterm' },
          cols: 120,
          rows: 30,
        },
      );
      let screen = '';
      let typed = false;
      const exitCode = await new Promise<number>((resolve) => {
        term.onData((data) => {
          screen += data;
          if (!typed && screen.includes('Password')) {
            typed = true;
            term.write(`${PASSWORD}\r`);
          }
        });
        term.onExit(({ exitCode: code }) => resolve(code));
      });
      expect(screen).toContain('Logged in to');
      expect(screen).not.toContain(PASSWORD);
      expect(exitCode).toBe(0);
      expect((await stat(join(terminalHome, 'paddock', 'config.json'))).mode & 0o777).toBe(0o600);
    } finally {
      await rm(terminalHome, { recursive: true, force: true });
    }
  });

  it('lists tenants as a table and as the API reply with --json', async () => {
    const table = await paddock(['tenants', 'list']);
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines.find((l) => l.includes('SLUG'))).toMatch(/ID.*SLUG.*STATUS.*PLAN/);
    expect(lines.find((l) => l.includes('acme-cli'))).toMatch(new RegExp(`${ids.active}.*acme-cli.*active.*cli`));
    expect(lines.find((l) => l.includes('parked-cli'))).toContain('provisioning_failed');

    const json = await paddock(['tenants', 'list', '--status', 'active', '--json']);
    expect(json.code).toBe(0);
    const reply = JSON.parse(json.stdout);
    expect(reply.tenants.map((x: { id: string }) => x.id)).toEqual([ids.active]);
    expect(reply.nextCursor).toBeNull();

    const show = await paddock(['tenants', 'show', ids.parked, '--json']);
    expect(JSON.parse(show.stdout)).toMatchObject({
      id: ids.parked,
      slug: 'parked-cli',
      status: 'provisioning_failed',
    });
  });

  it('shows an API error with its code and exits 1', async () => {
    const missing = await paddock(['tenants', 'show', '00000000-0000-4000-8000-000000000000']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^error: not_found: There is no tenant 00000000-0000-4000-8000-000000000000\./);
    expect(missing.stderr).toMatch(/request id: cli-[0-9a-f-]{36}/);

    // With --json the error is the API's, as JSON on stderr.
    const invalid = await paddock(['tenants', 'show', 'not-a-uuid', '--json']);
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toBe('');
    expect(JSON.parse(invalid.stderr).error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: 'params.id', message: 'must be a UUID' }],
    });

    // A real action that the API refuses: retrying a tenant with no failed workflow.
    const retry = await paddock(['tenants', 'retry', ids.active]);
    expect(retry.code).toBe(1);
    expect(retry.stderr).toContain('has no failed workflow to retry');
  });

  it('suggests the nearest command for an unknown one and exits 2', async () => {
    const top = await paddock(['tenant', 'list']);
    expect(top.code).toBe(2);
    expect(top.stderr).toContain("unknown command 'tenant'");
    expect(top.stderr).toContain('Did you mean tenants?');
    const sub = await paddock(['tenants', 'lsit']);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toContain('Did you mean list?');
    const option = await paddock(['tenants', 'list', '--limit', 'lots']);
    expect(option.code).toBe(2);
  });

  it('logs out: the session is revoked on the server and the token forgotten', async () => {
    const { token } = JSON.parse(await readFile(join(home, 'paddock', 'config.json'), 'utf8'));
    const asSaved = () => t.app.inject({ url: '/v1/operator/jobs', headers: { authorization: `Bearer ${token}` } });
    expect((await asSaved()).statusCode).toBe(200);
    const out = await paddock(['logout']);
    expect(out.code).toBe(0);
    await expect(stat(join(home, 'paddock', 'config.json'))).rejects.toThrow();
    expect((await asSaved()).statusCode).toBe(401);
    const after = await paddock(['tenants', 'list']);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('not logged in');
  });
});
