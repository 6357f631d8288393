import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOperator, startTestApp, type TestApp } from '../../apps/api/src/test-app';
import { createTestFleet, type TestFleet } from '../fleet/support/test-boxes';
import { runPaddock } from '../support/run-paddock';

const PASSWORD = 'correct horse battery staple';

// The command groups for boxes, hosts, plans, prices, invoices, alerts and audit, run as `npx paddock` against a
// real API server (real Postgres; a real sshd test box on a loopback address as the bring-your-own host). Each
// spawn costs about a second of CPU, hence few of them and a generous timeout; nothing waits on time.
describe('paddock fleet and money commands against a real API server', { timeout: 240_000 }, () => {
  let t: TestApp;
  let fleet: TestFleet;
  let server: string;
  let home: string;
  const ids = { tenant: '', box: '' };

  beforeAll(async () => {
    [t, fleet] = await Promise.all([startTestApp(), createTestFleet(1)]);
    await createOperator(t.prisma, 'fleet-cli@example.com', PASSWORD);
    const plan = await t.prisma.plan.create({
      data: { code: 'cli-fleet', name: 'CLI fleet', priceMinor: 1_900, provider: 'local' },
    });
    const tenant = await t.prisma.tenant.create({
      data: { slug: 'acme-fleet', name: 'Acme', planId: plan.id, status: 'active' },
    });
    const box = await t.prisma.box.create({
      data: { tenantId: tenant.id, provider: 'local', name: 'acme-box', address: '127.77.9.9', status: 'unreachable' },
    });
    await t.prisma.alert.create({
      data: {
        tenantId: tenant.id,
        boxId: box.id,
        severity: 'critical',
        code: 'runs_lost',
        message: '1 run(s) on the box marked lost',
        dedupeKey: `runs_lost:${box.id}`,
      },
    });
    await t.prisma.auditLog.create({
      data: {
        tenantId: tenant.id,
        actorType: 'system',
        actorLabel: 'test',
        action: 'tenant.noted',
        targetType: 'tenant',
        targetId: tenant.id,
      },
    });
    ids.tenant = tenant.id;
    ids.box = box.id;
    server = await t.app.listen({ host: '127.0.0.1', port: 0 });
    home = await mkdtemp(join(tmpdir(), 'paddock-fleet-cli-'));
    const login = await runPaddock(
      ['login', '--server', server, '--email', 'fleet-cli@example.com', '--password-stdin'],
      { configHome: home, stdin: `${PASSWORD}\n` },
    );
    expect(login.code, login.stderr).toBe(0);
  }, 240_000);
  afterAll(async () => {
    await t?.close();
    await fleet?.destroy();
    if (home) await rm(home, { recursive: true, force: true });
  });

  const paddock = (args: string[], stdin?: string) =>
    runPaddock(args, { configHome: home, ...(stdin === undefined ? {} : { stdin }) });

  it('lists boxes as a table and as JSON, shows one, and reports a bad filter as the API error', async () => {
    const table = await paddock(['boxes', 'list', '--tenant', ids.tenant]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/│ ID\s+│ NAME\s+│ STATUS/);
    expect(table.stdout).toContain('acme-box');
    expect(table.stdout).toContain('unreachable');
    const json = await paddock(['boxes', 'list', '--json']);
    expect((JSON.parse(json.stdout) as { boxes: { id: string }[] }).boxes.map((b) => b.id)).toContain(ids.box);
    const show = await paddock(['boxes', 'show', ids.box]);
    expect(show.stdout).toMatch(/│ status\s+│ unreachable/);
    const bad = await paddock(['boxes', 'list', '--status', 'sideways']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('error: validation_failed:');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it('creates, shows and closes plans, and adds and lists prices, from JSON files', async () => {
    const planFile = join(home, 'plan.json');
    await writeFile(planFile, JSON.stringify({ code: 'cli-pro', name: 'Pro', priceMinor: 4_900, provider: 'byo' }));
    const created = await paddock(['plans', 'create', '--from-file', planFile, '--json']);
    expect(created.code, created.stderr).toBe(0);
    const plan = JSON.parse(created.stdout) as { id: string; code: string };
    expect(plan.code).toBe('cli-pro');
    const list = await paddock(['plans', 'list']);
    expect(list.stdout).toMatch(/│ cli-pro\s+│ Pro\s+│ 49\.00 USD/);
    const closed = await paddock(['plans', 'deactivate', plan.id]);
    expect(closed.stdout).toContain('Plan cli-pro is closed to new signups.');
    expect((await t.prisma.plan.findUniqueOrThrow({ where: { id: plan.id } })).active).toBe(false);
    const broken = join(home, 'broken.json');
    await writeFile(broken, '{ not json');
    const usage = await paddock(['plans', 'update', plan.id, '--from-file', broken]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('is not JSON');

    const priceFile = join(home, 'price.json');
    await writeFile(
      priceFile,
      JSON.stringify({
        model: 'cli-model',
        currency: 'USD',
        inputMicrosPerMillion: 3_000_000,
        outputMicrosPerMillion: 15_000_000,
        effectiveFrom: '2026-01-01T00:00:00Z',
      }),
    );
    const added = await paddock(['prices', 'add-model', '--from-file', priceFile]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain('for cli-model from 2026-01-01 00:00:00Z');
    const models = await paddock(['prices', 'models', '--model', 'cli-model']);
    expect(models.stdout).toMatch(/│ cli-model\s+│ 3000000 µUSD\s+│ 15000000 µUSD/);
  });

  it('lists invoices and alerts, and shows a missing invoice as not_found', async () => {
    const invoices = await paddock(['invoices', 'list', '--tenant', ids.tenant]);
    expect(invoices.code, invoices.stderr).toBe(0);
    expect(invoices.stdout).toMatch(/│ NUMBER\s+│ KIND/);
    const missing = await paddock(['invoices', 'show', randomUUID()]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('error: not_found:');
    const alerts = await paddock(['alerts', 'list', '--code', 'runs_lost', '--status', 'open']);
    expect(alerts.code, alerts.stderr).toBe(0);
    expect(alerts.stdout).toMatch(/│ critical\s+│ runs_lost\s+│ open/);
  });

  it("lists the audit log (a tenant's rows where the server has no audit search), with a clear error otherwise", async () => {
    const tenantRows = await paddock(['audit', 'list', '--tenant', ids.tenant]);
    expect(tenantRows.code, tenantRows.stderr).toBe(0);
    expect(tenantRows.stdout).toContain('tenant.noted');
    const everything = await paddock(['audit', 'list']);
    if (everything.code === 0) {
      // The audit search API is there (issue 13): the same row comes back from it.
      expect(everything.stdout).toContain('tenant.noted');
    } else {
      expect(everything.code).toBe(1);
      expect(everything.stderr).toContain('no audit search');
    }
  });

  it('registers a bring-your-own host only once its probed key is confirmed, then lists it', async () => {
    const box = fleet.boxes[0]!;
    const keyFile = join(home, 'host-key');
    await writeFile(keyFile, fleet.loginKey.privateKey, { mode: 0o600 });
    const probe = await paddock(['hosts', 'probe', box.host]);
    expect(probe.code, probe.stderr).toBe(0);
    expect(probe.stdout).toBe(`${box.host}:22 presents ssh-ed25519 ${box.hostKeyFingerprint}\n`);
    // Piped, nobody can answer the question: nothing is registered.
    const unconfirmed = await paddock(['hosts', 'add', 'own-1', box.host, '--key-file', keyFile]);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain(box.hostKeyFingerprint);
    expect(unconfirmed.stderr).toContain('not registered');
    expect(await t.prisma.box.count({ where: { provider: 'byo' } })).toBe(0);
    const added = await paddock(['hosts', 'add', 'own-1', box.host, '--key-file', keyFile, '--yes', '--pool', 'eu']);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/Registered host .* \(own-1\) in pool eu, key SHA256:/);
    const list = await paddock(['hosts', 'list', '--pool', 'eu']);
    expect(list.stdout).toMatch(/│ own-1\s+│ root@127\.77\.\d+\.\d+:22\s+│ eu\s+│ bootstrapping\s+│ free/);
    const audit = await t.prisma.auditLog.findFirstOrThrow({ where: { action: 'host.register' } });
    expect(audit.details).toMatchObject({ trust: 'first_use', fingerprint: box.hostKeyFingerprint });
    const host = await t.prisma.box.findFirstOrThrow({ where: { provider: 'byo' } });
    const assign = await paddock(['hosts', 'assign', host.id, '--tenant', randomUUID()]);
    expect(assign.code).toBe(1);
    expect(assign.stderr).toContain('error: not_found:');
  });
});
